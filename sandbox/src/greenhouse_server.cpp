// Emulated Greenhouse Harvest v3 (reference/api/greenhouse.md §3-§7): client-credentials tokens,
// bare-array lists in id-descending order with a `Link: rel="next"` cursor only, per_page <= 500,
// a fixed 30-second window with X-RateLimit-* headers, and signed attachment URLs that expire.
#include <algorithm>
#include <cmath>

#include "servers.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace {

constexpr int kWindowLimit = 75;  // the doc's example X-RateLimit-Limit
constexpr int kMaxPerPage = 500;

using Row = GreenhouseRow;

json::value time_or_null(std::int64_t ms) {
  return ms == 0 ? json::value(nullptr) : json::value(iso_time(ms));
}

json::array contacts(const std::vector<GhContact>& items) {
  json::array out;
  for (const auto& item : items)
    out.push_back(json::object{{"value", item.value}, {"type", item.type}});
  return out;
}

std::vector<Row> build_rows(const World& world, const std::string& resource) {
  const GreenhouseData& gh = world.data.greenhouse;
  std::vector<Row> rows;
  auto named = [&](const std::vector<GhNamed>& items, bool with_type) {
    for (const auto& item : items) {
      json::object object{{"id", item.id},
                          {"name", item.name},
                          {"created_at", iso_time(1420070400000)},
                          {"updated_at", iso_time(1420070400000)}};
      if (with_type)
        object["type"] = json::object{{"id", 1}, {"name", item.type_key}, {"key", item.type_key}};
      rows.push_back({item.id, 0, 0, 0, 0, 0, 0, std::move(object)});
    }
  };
  if (resource == "candidates") {
    for (const auto& c : gh.candidates) {
      json::object custom;
      for (const auto& [key, value] : c.custom_fields) {
        auto it = std::find_if(gh.custom_fields.begin(), gh.custom_fields.end(),
                               [&](const GhCustomField& f) { return f.name_key == key; });
        custom[key] = json::object{{"name", it->name}, {"type", it->value_type}, {"value", value}};
      }
      json::array tags;
      for (const auto& tag : c.tags)
        tags.emplace_back(tag);
      rows.push_back({c.id, c.created_at, c.updated_at, c.id, 0, 0, 0,
                      json::object{{"id", c.id},
                                   {"first_name", c.first_name},
                                   {"last_name", c.last_name},
                                   {"preferred_name", nullptr},
                                   {"company", c.company},
                                   {"title", c.title},
                                   {"private", false},
                                   {"can_email", true},
                                   {"time_zone", nullptr},
                                   {"created_at", iso_time(c.created_at)},
                                   {"updated_at", iso_time(c.updated_at)},
                                   {"last_activity_at", iso_time(c.updated_at)},
                                   {"email_addresses", contacts(c.emails)},
                                   {"phone_numbers", contacts(c.phones)},
                                   {"addresses", contacts(c.addresses)},
                                   {"website_addresses", contacts(c.websites)},
                                   {"social_media_addresses", contacts(c.social)},
                                   {"tags", std::move(tags)},
                                   {"linked_user_ids", json::array{}},
                                   {"custom_fields", std::move(custom)}}});
    }
  } else if (resource == "applications") {
    for (const auto& a : gh.applications) {
      json::array prospective;
      if (a.prospect && a.job_id)
        prospective.push_back(*a.job_id);
      auto opt = [](const std::optional<std::int64_t>& v) {
        return v ? json::value(*v) : json::value(nullptr);
      };
      std::string stage_name;
      if (a.stage_id) {
        const GhJob& job = gh.jobs[world.gh_job_by_id.at(*a.job_id)];
        for (const auto& s : job.stages)
          if (s.id == *a.stage_id)
            stage_name = s.name;
      }
      rows.push_back(
          {a.id, a.created_at, a.updated_at, a.candidate_id, a.id, a.job_id.value_or(0), 0,
           json::object{{"id", a.id},
                        {"candidate_id", a.candidate_id},
                        {"prospect", a.prospect},
                        {"status", a.status},
                        {"created_at", iso_time(a.created_at)},
                        {"updated_at", iso_time(a.updated_at)},
                        {"last_activity_at", iso_time(a.updated_at)},
                        {"rejected_at", time_or_null(a.rejected_at)},
                        {"job_id", opt(a.job_id)},
                        {"prospective_job_ids", std::move(prospective)},
                        {"job_post_id", nullptr},
                        {"stage_id", opt(a.stage_id)},
                        {"stage_name", a.stage_id ? json::value(stage_name) : json::value(nullptr)},
                        {"recruiter_id", a.recruiter_id},
                        {"coordinator_id", opt(a.coordinator_id)},
                        {"referrer_id", opt(a.referrer_id)},
                        {"source_id", a.source_id},
                        {"rejection_reason_id", opt(a.rejection_reason_id)},
                        {"location_address", nullptr},
                        {"answers", json::array{}},
                        {"needs_decision", false},
                        {"agency_note_id", nullptr},
                        {"custom_fields", json::object{}}}});
    }
  } else if (resource == "application_stages") {
    for (const auto& a : gh.applications)
      for (std::size_t i = 0; i < a.stages.size(); ++i) {
        const auto& s = a.stages[i];
        bool current = i + 1 == a.stages.size();
        std::int64_t end = s.exited_at.value_or(0);
        rows.push_back({s.id, s.entered_at, end ? end : s.entered_at, a.candidate_id, a.id,
                        a.job_id.value_or(0), 0,
                        json::object{{"id", s.id},
                                     {"application_id", a.id},
                                     {"job_interview_stage_id", s.stage_id},
                                     {"entered_at", iso_time(s.entered_at)},
                                     {"exited_at", time_or_null(end)},
                                     {"current", current},
                                     {"days_in_stage",
                                      ((end ? end : 1767225600000) - s.entered_at) / 86400000},
                                     {"created_at", iso_time(s.entered_at)},
                                     {"updated_at", iso_time(end ? end : s.entered_at)}}});
      }
  } else if (resource == "jobs") {
    for (const auto& j : gh.jobs)
      rows.push_back(
          {j.id, j.created_at, j.updated_at, 0, 0, j.id, 0,
           json::object{{"id", j.id},
                        {"name", j.name},
                        {"requisition_id", "REQ-" + std::to_string(j.id)},
                        {"notes", "<p>Hiring plan</p>"},
                        {"confidential", j.confidential},
                        {"status", j.status},
                        {"created_at", iso_time(j.created_at)},
                        {"opened_at", iso_time(j.created_at)},
                        {"closed_at", j.status == "closed" ? json::value(iso_time(j.updated_at))
                                                           : json::value(nullptr)},
                        {"updated_at", iso_time(j.updated_at)},
                        {"is_template", false},
                        {"copied_from_id", nullptr},
                        {"department_id", j.department_id},
                        {"office_ids", json::array{j.office_id}},
                        {"custom_fields", json::object{}}}});
  } else if (resource == "job_interview_stages") {
    for (const auto& j : gh.jobs)
      for (const auto& s : j.stages)
        rows.push_back({s.id, j.created_at, j.updated_at, 0, 0, j.id, 0,
                        json::object{{"id", s.id},
                                     {"job_id", j.id},
                                     {"name", s.name},
                                     {"sort_order", s.sort_order},
                                     {"active", true},
                                     {"created_at", iso_time(j.created_at)},
                                     {"updated_at", iso_time(j.updated_at)}}});
  } else if (resource == "scorecards") {
    for (const auto& s : gh.scorecards) {
      std::string notes;
      for (const auto& answer : s.answers)
        if (answer.question == "Key Take-Aways")
          notes = answer.answer;
      const auto& app = gh.applications[world.gh_application_by_id.at(s.application_id)];
      rows.push_back(
          {s.id, s.created_at, s.updated_at, app.candidate_id, s.application_id,
           app.job_id.value_or(0), s.id,
           json::object{{"id", s.id},
                        {"application_id", s.application_id},
                        {"interview_kit_id", nullptr},
                        {"interview", s.interview},
                        {"interviewer_id", s.interviewer_id},
                        {"submitter_id", s.submitter_id},
                        {"interviewed_at", iso_time(s.interviewed_at)},
                        {"submitted_at", time_or_null(s.status == "complete" ? s.submitted_at : 0)},
                        {"status", s.status},
                        {"candidate_rating", s.rating},
                        {"notes", notes},
                        {"private_notes", nullptr},
                        {"public_notes", notes},
                        {"created_at", iso_time(s.created_at)},
                        {"updated_at", iso_time(s.updated_at)}}});
    }
  } else if (resource == "scorecard_candidate_attributes" ||
             resource == "scorecard_question_answers") {
    // Rows name their attribute / question by id only (greenhouse.md §6.5): the names and the
    // question texts are in /v3/job_candidate_attributes and /v3/scorecard_questions.
    bool attributes = resource == "scorecard_candidate_attributes";
    auto id_by_name = [](const std::vector<GhNamed>& items, const std::string& name) {
      auto it = std::find_if(items.begin(), items.end(),
                             [&](const GhNamed& item) { return item.name == name; });
      return it == items.end() ? json::value(nullptr) : json::value(it->id);
    };
    for (const auto& s : gh.scorecards) {
      const auto& app = gh.applications[world.gh_application_by_id.at(s.application_id)];
      const GhJob& job = gh.jobs[world.gh_job_by_id.at(app.job_id.value_or(0))];
      std::size_t n = attributes ? s.attributes.size() : s.answers.size();
      for (std::size_t i = 0; i < n; ++i) {
        std::int64_t id = s.id * 100 + static_cast<std::int64_t>(i) + (attributes ? 0 : 50);
        json::object object{{"id", id},
                            {"scorecard_id", s.id},
                            {"created_at", iso_time(s.created_at)},
                            {"updated_at", iso_time(s.updated_at)}};
        if (attributes) {
          object["job_candidate_attribute_id"] =
              id_by_name(job.candidate_attributes, s.attributes[i].name);
          object["candidate_attribute_rating"] = s.attributes[i].rating;
          object["note"] = s.attributes[i].note.empty() ? json::value(nullptr)
                                                        : json::value(s.attributes[i].note);
        } else {
          object["scorecard_question_id"] =
              id_by_name(job.scorecard_questions, s.answers[i].question);
          object["answer"] = s.answers[i].answer;
          object["boolean_value"] = nullptr;
        }
        rows.push_back({id, s.created_at, s.updated_at, app.candidate_id, s.application_id, 0, s.id,
                        std::move(object)});
      }
    }
  } else if (resource == "scorecard_questions" || resource == "job_candidate_attributes") {
    // Shapes: the v3 OpenAPI as MeltanoLabs/tap-greenhouse generated it (greenhouse.md source ML).
    bool questions = resource == "scorecard_questions";
    for (const auto& j : gh.jobs) {
      const auto& items = questions ? j.scorecard_questions : j.candidate_attributes;
      for (std::size_t i = 0; i < items.size(); ++i) {
        json::object object{{"id", items[i].id},
                            {"created_at", iso_time(j.created_at)},
                            {"updated_at", iso_time(j.created_at)}};
        if (questions) {
          object["interview_kit_id"] = j.interview_kit_id;
          object["question"] = items[i].name;
          object["sort_order"] = i;
          object["active"] = true;
          object["answer_type"] = "free_form";
          object["required"] = false;
        } else {
          object["job_id"] = j.id;
          object["name"] = items[i].name;
          object["type"] = items[i].type_key;
          object["sort_order"] = i;
          object["active"] = true;
        }
        rows.push_back({items[i].id, j.created_at, j.created_at, 0, 0, j.id, 0, std::move(object)});
      }
    }
  } else if (resource == "referrers") {
    for (const auto& r : gh.referrers)
      rows.push_back(
          {r.id, 1420070400000, 1420070400000, 0, 0, 0, 0,
           json::object{{"id", r.id},
                        {"name", r.name},
                        {"user_id", r.user_id ? json::value(*r.user_id) : json::value(nullptr)},
                        {"created_at", iso_time(1420070400000)},
                        {"updated_at", iso_time(1420070400000)}}});
  } else if (resource == "rejection_details") {
    for (const auto& d : gh.rejection_details) {
      const auto& app = gh.applications[world.gh_application_by_id.at(d.application_id)];
      json::object questions;
      for (const auto& q : d.questions)
        questions[q.key] =
            json::object{{"name", q.name}, {"type", "short_text"}, {"value", q.value}};
      rows.push_back(
          {d.id, app.rejected_at, app.rejected_at, app.candidate_id, app.id, app.job_id.value_or(0),
           0,
           json::object{
               {"id", d.id},
               {"application_id", app.id},
               {"rejected_at", time_or_null(app.rejected_at)},
               {"rejected_by_id", d.rejected_by_id},
               {"rejection_reason_id", app.rejection_reason_id
                                           ? json::value(*app.rejection_reason_id)
                                           : json::value(nullptr)},
               {"rejection_note_id",
                d.rejection_note_id ? json::value(*d.rejection_note_id) : json::value(nullptr)},
               {"question_custom_fields",
                questions.empty() ? json::value(nullptr) : json::value(questions)},
               {"created_at", iso_time(app.rejected_at)},
               {"updated_at", iso_time(app.rejected_at)}}});
    }
  } else if (resource == "interviews") {
    for (const auto& i : gh.interviews) {
      const auto& app = gh.applications[world.gh_application_by_id.at(i.application_id)];
      rows.push_back({i.id, i.created_at, i.updated_at, app.candidate_id, i.application_id,
                      i.job_id, 0,
                      json::object{{"id", i.id},
                                   {"application_id", i.application_id},
                                   {"job_id", i.job_id},
                                   {"name", i.name},
                                   {"status", i.status},
                                   {"starts_at", iso_time(i.starts_at)},
                                   {"ends_at", iso_time(i.ends_at)},
                                   {"organizer_id", i.interviewer_ids.front()},
                                   {"location", nullptr},
                                   {"created_at", iso_time(i.created_at)},
                                   {"updated_at", iso_time(i.updated_at)}}});
    }
  } else if (resource == "interviewers") {
    for (const auto& i : gh.interviews)
      for (std::size_t k = 0; k < i.interviewer_ids.size(); ++k) {
        std::int64_t id = i.id * 10 + static_cast<std::int64_t>(k);
        const auto& user = *std::find_if(gh.users.begin(), gh.users.end(), [&](const GhUser& u) {
          return u.id == i.interviewer_ids[k];
        });
        rows.push_back({id, i.created_at, i.updated_at, 0, i.application_id, 0, 0,
                        json::object{{"id", id},
                                     {"interview_id", i.id},
                                     {"user_id", user.id},
                                     {"email", user.email},
                                     {"response_status", "accepted"},
                                     {"scorecard_id", nullptr},
                                     {"created_at", iso_time(i.created_at)},
                                     {"updated_at", iso_time(i.updated_at)}}});
      }
  } else if (resource == "offers") {
    for (const auto& o : gh.offers) {
      const auto& app = gh.applications[world.gh_application_by_id.at(o.application_id)];
      rows.push_back({o.id, o.created_at, o.updated_at, app.candidate_id, o.application_id,
                      app.job_id.value_or(0), 0,
                      json::object{{"id", o.id},
                                   {"version", 1},
                                   {"application_id", o.application_id},
                                   {"opening_id", nullptr},
                                   {"status", o.status},
                                   {"sent_on", iso_date(o.sent_at)},
                                   {"starts_on", iso_date(o.starts_at)},
                                   {"resolved_at", iso_time(o.updated_at)},
                                   {"custom_fields", json::object{}},
                                   {"created_at", iso_time(o.created_at)},
                                   {"updated_at", iso_time(o.updated_at)}}});
    }
  } else if (resource == "notes") {
    for (const auto& n : gh.notes)
      rows.push_back(
          {n.id, n.created_at, n.created_at, n.candidate_id, n.application_id.value_or(0), 0, 0,
           json::object{{"id", n.id},
                        {"candidate_id", n.candidate_id},
                        {"application_id",
                         n.application_id ? json::value(*n.application_id) : json::value(nullptr)},
                        {"user_id", n.user_id},
                        {"type", "NOTE"},
                        {"subject", nullptr},
                        {"body", n.body},
                        {"visibility", n.visibility},
                        {"created_at", iso_time(n.created_at)},
                        {"updated_at", iso_time(n.created_at)}}});
  } else if (resource == "attachments") {
    for (const auto& a : gh.attachments) {
      std::int64_t id = std::stoll(a.file.id);
      rows.push_back({id, a.created_at, a.created_at, a.candidate_id, a.application_id, 0, 0,
                      json::object{{"id", id},
                                   {"candidate_id", a.candidate_id},
                                   {"application_id", a.application_id},
                                   {"filename", a.file.name},
                                   {"type", a.type},
                                   {"url", nullptr},
                                   {"created_at", iso_time(a.created_at)},
                                   {"updated_at", iso_time(a.created_at)}}});
    }
  } else if (resource == "users") {
    for (const auto& u : gh.users)
      rows.push_back({u.id, u.created_at, u.created_at, 0, 0, 0, 0,
                      json::object{{"id", u.id},
                                   {"first_name", u.first_name},
                                   {"last_name", u.last_name},
                                   {"name", u.first_name + " " + u.last_name},
                                   {"primary_email", u.email},
                                   {"deactivated", u.deactivated},
                                   {"site_admin", u.site_admin},
                                   {"employee_id", nullptr},
                                   {"job_title", nullptr},
                                   {"office_ids", json::array{}},
                                   {"department_ids", json::array{}},
                                   {"created_at", iso_time(u.created_at)},
                                   {"updated_at", iso_time(u.created_at)}}});
  } else if (resource == "departments" || resource == "offices" || resource == "candidate_tags") {
    named(resource == "departments" ? gh.departments
          : resource == "offices"   ? gh.offices
                                    : gh.tags,
          false);
  } else if (resource == "sources" || resource == "rejection_reasons") {
    named(resource == "sources" ? gh.sources : gh.rejection_reasons,
          resource == "rejection_reasons");
  } else if (resource == "applied_candidate_tags") {
    for (const auto& c : gh.candidates)
      for (std::size_t i = 0; i < c.tags.size(); ++i) {
        auto tag = std::find_if(gh.tags.begin(), gh.tags.end(),
                                [&](const GhNamed& t) { return t.name == c.tags[i]; });
        std::int64_t id = c.id * 10 + static_cast<std::int64_t>(i);
        rows.push_back({id, c.created_at, c.updated_at, c.id, 0, 0, 0,
                        json::object{{"id", id},
                                     {"candidate_id", c.id},
                                     {"candidate_tag_id", tag->id},
                                     {"created_at", iso_time(c.created_at)},
                                     {"updated_at", iso_time(c.updated_at)}}});
      }
  } else if (resource == "custom_fields") {
    for (const auto& f : gh.custom_fields)
      rows.push_back({f.id, 0, 0, 0, 0, 0, 0,
                      json::object{{"id", f.id},
                                   {"name", f.name},
                                   {"name_key", f.name_key},
                                   {"field_type", "candidate"},
                                   {"value_type", f.value_type},
                                   {"active", true},
                                   {"private", false},
                                   {"required", false}}});
  } else if (resource == "custom_field_options") {
    for (const auto& f : gh.custom_fields)
      for (std::size_t i = 0; i < f.options.size(); ++i) {
        std::int64_t id = f.id * 10 + static_cast<std::int64_t>(i);
        rows.push_back({id, 0, 0, 0, 0, 0, 0,
                        json::object{{"id", id},
                                     {"custom_field_id", f.id},
                                     {"name", f.options[i]},
                                     {"sort_order", i},
                                     {"active", true}}});
      }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.id > b.id; });
  return rows;
}

json::object gh_error(const std::string& message, json::array errors = {}) {
  json::object body{{"message", message}};
  if (!errors.empty())
    body["errors"] = std::move(errors);
  return body;
}

}  // namespace

GreenhouseServer::GreenhouseServer(const Options& options, Sleeper& sleeper, World& world,
                                   const Credentials& credentials)
    : VendorServer(Vendor::greenhouse, options, sleeper),
      world_(world),
      credentials_(credentials),
      window_(kWindowLimit, 30.0 / options.rate_scale),
      attachment_url_ttl_s_(options.attachment_url_ttl_s) {}

bool GreenhouseServer::is_write(const httplib::Request&) const {
  return false;
}

void GreenhouseServer::write_fault_429(httplib::Response& response) {
  response.set_header("X-RateLimit-Limit", std::to_string(kWindowLimit));
  response.set_header("X-RateLimit-Remaining", "0");
  response.set_header("X-RateLimit-Reset", std::to_string(now_ms() / 1000 + 30));
  response.set_header("Retry-After", "1");
  set_json(response, 429, gh_error("Rate limit exceeded"));
}

void GreenhouseServer::write_server_error(httplib::Response& response, int status) {
  set_json(response, status, gh_error("Something went wrong; try again in a few minutes"));
}

bool GreenhouseServer::handle_inspection(const httplib::Request& request,
                                         httplib::Response& response) {
  if (request.method == "POST" && request.path == "/_sandbox/mutate") {
    int count = 1;
    try {
      auto body = json::parse(request.body.empty() ? "{}" : request.body).as_object();
      if (auto* value = body.if_contains("count"))
        count = static_cast<int>(value->to_number<double>());
    } catch (const std::exception& error) {
      set_json(response, 400, json::object{{"error", std::string("mutate body: ") + error.what()}});
      return true;
    }
    std::unique_lock lock(world_.mutex);
    auto changes = mutate_greenhouse(world_, std::clamp(count, 0, 100000));
    set_json(response, 200, json::object{{"changed", changes}});
    return true;
  }
  if (request.method == "POST" && request.path == "/_sandbox/attachment_ttl") {
    // A URL read from now on lives this long (negative: it is expired when handed out), so a
    // test can make every download fail, then let a re-run succeed, on one running sandbox.
    try {
      attachment_url_ttl_s_ =
          json::parse(request.body).as_object().at("seconds").to_number<double>();
    } catch (const std::exception& error) {
      set_json(response, 400,
               json::object{{"error", std::string("attachment_ttl body: ") + error.what()}});
      return true;
    }
    set_json(response, 200, json::object{{"seconds", attachment_url_ttl_s_.load()}});
    return true;
  }
  return VendorServer::handle_inspection(request, response);
}

void GreenhouseServer::token(const httplib::Request& request, httplib::Response& response) {
  bool basic = false;
  std::string pair = bearer_or_basic_key(request, basic);
  if (!basic || pair.empty()) {
    set_json(response, 401, json::object{{"message", "Unauthorized"}, {"errorId", "err-sandbox"}});
    return;
  }
  std::string grant = request.get_param_value("grant_type");
  if (grant.empty()) {
    set_json(response, 400,
             json::object{{"message", "Must include `grant_type` parameter in /token request"}});
    return;
  }
  if (grant != "client_credentials") {
    set_json(
        response, 400,
        json::object{{"message",
                      "grant_type=" + grant +
                          " is invalid, please use one of: authorization_code, refresh_token, "
                          "client_credentials, urn:ietf:params:oauth:grant-type:token-exchange"}});
    return;
  }
  if (pair != credentials_.greenhouse_client_id + ":" + credentials_.greenhouse_client_secret) {
    set_json(response, 401, json::object{{"error", "invalid_client"}});
    return;
  }
  // `sub` names the acting user; without it the credential's service user acts (greenhouse.md
  // §3.1).
  bool site_admin = true;
  if (request.has_param("sub")) {
    std::string sub = request.get_param_value("sub");
    std::shared_lock data_lock(world_.mutex);
    const auto& users = world_.data.greenhouse.users;
    auto user = std::find_if(users.begin(), users.end(),
                             [&](const GhUser& u) { return std::to_string(u.id) == sub; });
    if (user == users.end() || user->deactivated) {
      set_json(response, 400, json::object{{"message", "sub=" + sub + " is not an active user"}});
      return;
    }
    site_admin = user->site_admin;
  }
  std::lock_guard lock(token_mutex_);
  std::string access =
      "ghv3." + Rng(mix_seed(static_cast<std::uint64_t>(now_ms()), ++token_serial_)).hex(48);
  double ttl_s = options_.token_ttl_s / options_.rate_scale;
  std::int64_t expiry = now_ms() + static_cast<std::int64_t>(ttl_s * 1000);
  tokens_[access] = Token{expiry, site_admin};
  set_json(response, 200,
           json::object{{"access_token", access},
                        {"token_type", "Bearer"},
                        {"expires_at", iso_time(expiry)},
                        {"expires_in", static_cast<std::int64_t>(ttl_s)}});
}

std::string GreenhouseServer::signed_url(const std::string& attachment_id) const {
  std::int64_t expires = now_ms() + static_cast<std::int64_t>(attachment_url_ttl_s_.load() *
                                                              1000.0 / options_.rate_scale);
  std::string payload = attachment_id + ":" + std::to_string(expires);
  return "http://" + options_.host + ":" + std::to_string(port()) + "/_files/attachments/" +
         attachment_id + "?X-Amz-Expires-At=" + std::to_string(expires) +
         "&X-Amz-Signature=" + hmac_sha256_hex(world_.secret, payload);
}

void GreenhouseServer::download(const httplib::Request& request, httplib::Response& response) {
  std::string id = request.path.substr(std::string("/_files/attachments/").size());
  std::string expires = request.get_param_value("X-Amz-Expires-At");
  std::string signature = request.get_param_value("X-Amz-Signature");
  auto denied = [&](const std::string& message) {
    response.status = 403;
    response.set_content(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>" +
            message + "</Message><RequestId>SANDBOX</RequestId><HostId>sandbox</HostId></Error>",
        "application/xml");
  };
  if (expires.empty() || signature != hmac_sha256_hex(world_.secret, id + ":" + expires))
    return denied("Request signature does not match");
  if (std::stoll(expires) < now_ms())
    return denied("Request has expired");
  std::shared_lock lock(world_.mutex);
  std::int64_t numeric = 0;
  try {
    numeric = std::stoll(id);
  } catch (const std::exception&) {
    return denied("Unknown key");
  }
  auto it = world_.gh_attachment_by_id.find(numeric);
  if (it == world_.gh_attachment_by_id.end())
    return denied("Unknown key");
  const SandboxFile& file = world_.data.greenhouse.attachments[it->second].file;
  response.status = 200;
  response.set_header("Content-Disposition", "attachment; filename=\"" + file.name + "\"");
  response.set_content(file_bytes(file),
                       file.ext == "pdf" ? "application/pdf" : "application/octet-stream");
}

std::shared_ptr<const std::vector<GreenhouseRow>> GreenhouseServer::rows(
    const std::string& resource) {
  std::lock_guard lock(rows_mutex_);
  auto& entry = rows_cache_[resource];
  if (!entry.second || entry.first != world_.mutations) {
    entry = {world_.mutations,
             std::make_shared<const std::vector<GreenhouseRow>>(build_rows(world_, resource))};
  }
  return entry.second;
}

void GreenhouseServer::list(const httplib::Request& request, httplib::Response& response,
                            const std::string& resource) {
  json::object filters;
  int per_page = 100;
  std::int64_t after = 0;
  if (request.has_param("cursor")) {
    if (request.params.size() > 1) {
      set_json(response, 422,
               gh_error("Unprocessable Content",
                        json::array{"When passing a cursor, do not include other query params."}));
      return;
    }
    std::string decoded;
    try {
      if (!base64url_decode(request.get_param_value("cursor"), decoded))
        throw std::runtime_error("bad base64");
      auto value = json::parse(decoded).as_object();
      std::string mac(value.at("m").as_string());
      value.erase("m");
      if (mac != hmac_sha256_hex(world_.secret, json::serialize(value)).substr(0, 16) ||
          value.at("r") != resource.c_str())
        throw std::runtime_error("bad mac");
      after = value.at("a").as_int64();
      per_page = static_cast<int>(value.at("p").as_int64());
      filters = value.at("f").as_object();
    } catch (const std::exception&) {
      set_json(response, 422,
               gh_error("Unprocessable Content", json::array{"Invalid or expired cursor."}));
      return;
    }
  } else {
    for (const auto& [key, value] : request.params) {
      if (key == "per_page") {
        try {
          per_page = std::stoi(value);
        } catch (const std::exception&) {
          per_page = -1;
        }
        if (per_page > kMaxPerPage) {
          set_json(response, 422,
                   gh_error("Unprocessable Content",
                            json::array{json::object{
                                {"per_page", "`" + value + "` number is greater than: 500"}}}));
          return;
        }
        if (per_page < 1) {
          set_json(response, 422,
                   gh_error("Unprocessable Content",
                            json::array{json::object{
                                {"per_page", "`" + value + "` must be a positive integer"}}}));
          return;
        }
      } else {
        filters[key] = value;
      }
    }
    if (filters.contains("created_at") && filters.contains("updated_at")) {
      set_json(response, 422,
               gh_error("Unprocessable Content",
                        json::array{"Do not send created_at and updated_at together."}));
      return;
    }
  }
  // Parse filters: id lists and `gte|A|lte|B` date ranges.
  auto id_list = [&](const char* key, std::vector<std::int64_t>& out) -> bool {
    if (!filters.contains(key))
      return true;
    std::string text(filters.at(key).as_string());
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t comma = text.find(',', start);
      try {
        out.push_back(std::stoll(text.substr(start, comma - start)));
      } catch (const std::exception&) {
        return false;
      }
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    return out.size() <= 50;
  };
  std::vector<std::int64_t> ids, candidate_ids, application_ids, job_ids, scorecard_ids;
  if (!id_list("ids", ids) || !id_list("candidate_ids", candidate_ids) ||
      !id_list("application_ids", application_ids) || !id_list("job_ids", job_ids) ||
      !id_list("scorecard_ids", scorecard_ids)) {
    set_json(response, 422,
             gh_error("Unprocessable Content",
                      json::array{"Id filters take at most 50 comma-separated integers."}));
    return;
  }
  struct Range {
    std::int64_t low = INT64_MIN, high = INT64_MAX;
  };
  auto date_range = [&](const char* key, std::optional<Range>& out) -> bool {
    if (!filters.contains(key))
      return true;
    std::string text = url_decode(std::string(filters.at(key).as_string()));
    Range range;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t bar = text.find('|', start);
      std::size_t bar2 = bar == std::string::npos ? std::string::npos : text.find('|', bar + 1);
      if (bar == std::string::npos)
        return false;
      std::string op = text.substr(start, bar - start),
                  when = text.substr(
                      bar + 1, bar2 == std::string::npos ? std::string::npos : bar2 - bar - 1);
      std::int64_t ms = 0;
      if (!parse_iso_time(when, ms))
        return false;
      if (op == "gte")
        range.low = ms;
      else if (op == "gt")
        range.low = ms + 1;
      else if (op == "lte")
        range.high = ms;
      else if (op == "lt")
        range.high = ms - 1;
      else
        return false;
      if (bar2 == std::string::npos)
        break;
      start = bar2 + 1;
    }
    out = range;
    return true;
  };
  std::optional<Range> created, updated;
  if (!date_range("created_at", created) || !date_range("updated_at", updated)) {
    set_json(
        response, 422,
        gh_error("Unprocessable Content",
                 json::array{
                     "Date filters look like gte|2024-01-01T00:00:00Z|lte|2024-02-01T00:00:00Z."}));
    return;
  }
  std::shared_lock lock(world_.mutex);
  auto cached = rows(resource);
  auto contains = [](const std::vector<std::int64_t>& list, std::int64_t id) {
    return list.empty() || std::find(list.begin(), list.end(), id) != list.end();
  };
  std::string body = "[";
  int served = 0;
  std::int64_t last_id = 0;
  bool more = false;
  for (const auto& row : *cached) {
    if (after != 0 && row.id >= after)
      continue;
    if (!contains(ids, row.id) || !contains(candidate_ids, row.candidate_id) ||
        !contains(application_ids, row.application_id) || !contains(job_ids, row.job_id) ||
        !contains(scorecard_ids, row.scorecard_id))
      continue;
    if (created && (row.created_at < created->low || row.created_at > created->high))
      continue;
    if (updated && (row.updated_at < updated->low || row.updated_at > updated->high))
      continue;
    if (served == per_page) {
      more = true;
      break;
    }
    json::object object = row.object;
    if (resource == "attachments")
      object["url"] = signed_url(std::to_string(row.id));
    if (served > 0)
      body += ",";
    body += json::serialize(object);
    ++served;
    last_id = row.id;
  }
  body += "]";
  if (more) {
    json::object cursor{{"r", resource}, {"a", last_id}, {"p", per_page}, {"f", filters}};
    cursor["m"] = hmac_sha256_hex(world_.secret, json::serialize(cursor)).substr(0, 16);
    response.set_header(
        "Link", "<http://" + options_.host + ":" + std::to_string(port()) + "/v3/" + resource +
                    "?cursor=" + base64url_encode(json::serialize(cursor)) + ">; rel=\"next\"");
  }
  response.status = 200;
  response.set_content(body, "application/json");
}

void GreenhouseServer::handle(const httplib::Request& request, httplib::Response& response) {
  if (request.method == "POST" && (request.path == "/token" || request.path == "/oauth/token"))
    return token(request, response);
  if (request.method == "GET" && request.path.rfind("/_files/attachments/", 0) == 0)
    return download(request, response);
  // v3 routes before auth: an unknown path is 404 even unauthenticated (greenhouse.md §4).
  std::string resource = request.path.rfind("/v3/", 0) == 0 ? request.path.substr(4) : "";
  bool known = false;
  {
    std::shared_lock lock(world_.mutex);
    static const std::set<std::string> kResources{"candidates",
                                                  "applications",
                                                  "application_stages",
                                                  "jobs",
                                                  "job_interview_stages",
                                                  "scorecards",
                                                  "scorecard_candidate_attributes",
                                                  "scorecard_question_answers",
                                                  "scorecard_questions",
                                                  "job_candidate_attributes",
                                                  "referrers",
                                                  "rejection_details",
                                                  "interviews",
                                                  "interviewers",
                                                  "offers",
                                                  "notes",
                                                  "attachments",
                                                  "users",
                                                  "departments",
                                                  "offices",
                                                  "candidate_tags",
                                                  "sources",
                                                  "rejection_reasons",
                                                  "applied_candidate_tags",
                                                  "custom_fields",
                                                  "custom_field_options"};
    known = kResources.count(resource) > 0;
  }
  if (!known || request.method != "GET") {
    set_json(response, 404, gh_error("Resource not found"));
    return;
  }
  bool basic = false;
  std::string token = bearer_or_basic_key(request, basic);
  bool ok = false, site_admin = false;
  if (!basic && !token.empty()) {
    std::lock_guard lock(token_mutex_);
    auto it = tokens_.find(token);
    ok = it != tokens_.end() && it->second.expiry_ms > now_ms();
    site_admin = ok && it->second.site_admin;
  }
  if (!ok) {
    set_json(
        response, 401,
        gh_error(
            "Unauthorized",
            json::array{
                "Token could not be decoded. Please ensure your token is from a trusted source."}));
    return;
  }
  if (!site_admin) {
    set_json(response, 403,
             gh_error("Forbidden",
                      json::array{"Every v3 list endpoint requires a Site Admin acting user."}));
    return;
  }
  auto limit = window_.take(credentials_.greenhouse_client_id);  // per credential, not per token
  response.set_header("X-RateLimit-Limit", std::to_string(limit.limit));
  response.set_header("X-RateLimit-Remaining", std::to_string(limit.remaining));
  response.set_header("X-RateLimit-Reset", std::to_string(limit.reset_epoch_s));
  if (!limit.allowed) {
    response.set_header("Retry-After", std::to_string(limit.retry_after_s));
    set_json(response, 429, gh_error("Rate limit exceeded"));
    return;
  }
  list(request, response, resource);
}

}  // namespace atsm::sandbox
