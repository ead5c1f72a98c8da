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

// Rows follow specs/greenhouse-v3/schemas/<resource>.json exactly: every documented key, no other
// (tests/sandbox/greenhouse_v3_contract.py validates every item of every list served).
json::value nullable(const std::string& text) {
  return text.empty() ? json::value(nullptr) : json::value(text);
}
json::value nullable_id(const std::optional<std::int64_t>& id) {
  return id ? json::value(*id) : json::value(nullptr);
}
json::object stamped(std::int64_t id, std::int64_t created_ms, std::int64_t updated_ms) {
  return json::object{
      {"id", id}, {"created_at", iso_time(created_ms)}, {"updated_at", iso_time(updated_ms)}};
}

// Greenhouse's built-in rejection reason, listed only with include_defaults=true (greenhouse.md
// §3.2 names the switch; which reasons are built in is not documented: the emulator marks the
// "None specified" one).
bool is_default_reason(const GhNamed& reason) {
  return reason.type_key == "NONE_SPECIFIED";
}

std::vector<Row> build_rows(const World& world, const std::string& resource) {
  const GreenhouseData& gh = world.data.greenhouse;
  constexpr std::int64_t kSetupTime = 1420070400000;
  std::vector<Row> rows;
  auto add = [&](std::int64_t id, std::int64_t created, std::int64_t updated, json::object object) {
    Row row;
    row.id = id;
    row.created_at = created;
    row.updated_at = updated;
    row.object = std::move(object);
    rows.push_back(std::move(row));
    return &rows.back();
  };
  auto app_of = [&](std::int64_t id) -> const GhApplication& {
    return gh.applications[world.gh_application_by_id.at(id)];
  };
  auto job_of = [&](std::int64_t id) -> const GhJob& { return gh.jobs[world.gh_job_by_id.at(id)]; };
  if (resource == "candidates") {
    for (const auto& c : gh.candidates) {
      json::object custom;
      for (const auto& [key, value] : c.custom_fields) {
        auto it = std::find_if(gh.custom_fields.begin(), gh.custom_fields.end(),
                               [&](const GhCustomField& f) { return f.name_key == key; });
        custom[key] = json::object{{"name", it->name}, {"type", it->value_type}, {"value", value}};
      }
      json::array tags, social;
      for (const auto& tag : c.tags)
        tags.emplace_back(tag);
      for (const auto& item : c.social)  // social_media_addresses items carry `value` only
        social.push_back(json::object{{"value", item.value}});
      json::object object = stamped(c.id, c.created_at, c.updated_at);
      object.insert({{"first_name", c.first_name},
                     {"last_name", c.last_name},
                     {"preferred_name", nullptr},
                     {"company", nullable(c.company)},
                     {"title", nullable(c.title)},
                     {"private", false},
                     {"can_email", c.can_email},
                     {"time_zone", nullable(c.time_zone)},
                     {"last_activity_at", iso_time(c.updated_at)},
                     {"email_addresses", contacts(c.emails)},
                     {"phone_numbers", contacts(c.phones)},
                     {"addresses", contacts(c.addresses)},
                     {"website_addresses", contacts(c.websites)},
                     {"social_media_addresses", std::move(social)},
                     {"tags", std::move(tags)},
                     {"linked_user_ids", json::array{}},
                     {"custom_fields", std::move(custom)}});
      add(c.id, c.created_at, c.updated_at, std::move(object));
    }
  } else if (resource == "applications") {
    // No rejection_reason_id here: v3 keeps it on /v3/rejection_details (applications.json).
    for (const auto& a : gh.applications) {
      json::array prospective, answers;
      if (a.prospect && a.job_id)
        prospective.push_back(*a.job_id);
      for (const auto& [question, answer] : a.answers)
        answers.push_back(json::object{{"question", question}, {"answer", answer}});
      std::string stage_name;
      if (a.stage_id)
        for (const auto& s : job_of(*a.job_id).stages)
          if (s.id == *a.stage_id)
            stage_name = s.name;
      json::object object = stamped(a.id, a.created_at, a.updated_at);
      object.insert({{"candidate_id", a.candidate_id},
                     {"prospect", a.prospect},
                     {"status", a.status},
                     {"last_activity_at", iso_time(a.updated_at)},
                     {"rejected_at", time_or_null(a.rejected_at)},
                     {"job_id", nullable_id(a.job_id)},
                     {"prospective_job_ids", std::move(prospective)},
                     {"job_post_id", nullable_id(a.job_post_id)},
                     {"stage_id", nullable_id(a.stage_id)},
                     {"stage_name", nullable(stage_name)},
                     {"recruiter_id", a.recruiter_id},
                     {"coordinator_id", nullable_id(a.coordinator_id)},
                     {"referrer_id", nullable_id(a.referrer_id)},
                     {"source_id", a.source_id},
                     {"location_address", nullptr},
                     {"answers", std::move(answers)},
                     {"needs_decision", false},
                     {"agency_note_id", nullptr},
                     {"custom_fields", json::object{}}});
      add(a.id, a.created_at, a.updated_at, std::move(object));
    }
  } else if (resource == "application_stages") {
    for (const auto& a : gh.applications)
      for (std::size_t i = 0; i < a.stages.size(); ++i) {
        const auto& s = a.stages[i];
        std::int64_t end = s.exited_at.value_or(0);
        json::object object = stamped(s.id, s.entered_at, end ? end : s.entered_at);
        // "backfilled or partially recorded history" has entered_at null
        // (application_stages.json, `entered_at`).
        object.insert(
            {{"application_id", a.id},
             {"job_interview_stage_id", s.stage_id},
             {"entered_at", s.entered_at_known ? json::value(iso_time(s.entered_at)) : nullptr},
             {"exited_at", time_or_null(end)},
             {"current", i + 1 == a.stages.size()},
             {"days_in_stage", ((end ? end : 1767225600000) - s.entered_at) / 86400000}});
        add(s.id, s.entered_at, end ? end : s.entered_at, std::move(object));
      }
  } else if (resource == "jobs") {
    for (const auto& j : gh.jobs) {
      json::object object = stamped(j.id, j.created_at, j.updated_at);
      object.insert({{"name", j.name},
                     {"requisition_id", "REQ-" + std::to_string(j.id)},
                     {"notes", "<p>Hiring plan</p>"},
                     {"confidential", j.confidential},
                     {"status", j.status},
                     {"opened_at", iso_time(j.created_at)},
                     {"closed_at", j.status == "closed" ? json::value(iso_time(j.updated_at))
                                                        : json::value(nullptr)},
                     {"is_template", false},
                     {"copied_from_id", nullptr},
                     {"department_id", j.department_id},
                     {"office_ids", json::array{j.office_id}},
                     {"custom_fields", json::object{}}});
      add(j.id, j.created_at, j.updated_at, std::move(object));
    }
  } else if (resource == "job_interview_stages") {
    for (const auto& j : gh.jobs)
      for (const auto& s : j.stages) {
        json::object object = stamped(s.id, j.created_at, j.updated_at);
        object.insert(
            {{"job_id", j.id}, {"name", s.name}, {"sort_order", s.sort_order}, {"active", true}});
        add(s.id, j.created_at, j.updated_at, std::move(object));
      }
  } else if (resource == "job_interviews" || resource == "interview_kits") {
    // The interview plan: job_interviews.json (`name` is the interview's title) and
    // interview_kits.json (a kit names its job interview).
    bool kits = resource == "interview_kits";
    for (const auto& j : gh.jobs)
      for (std::size_t i = 0; i < j.interviews.size(); ++i) {
        const auto& plan = j.interviews[i];
        std::int64_t id = kits ? plan.kit_id : plan.id;
        json::object object = stamped(id, j.created_at, j.updated_at);
        object["job_id"] = j.id;
        if (kits) {
          object.insert({{"job_interview_id", plan.id},
                         {"exercises", "<p>Ask about a system they built.</p>"},
                         {"anonymize_candidate", false},
                         {"anonymize_resumes", false}});
        } else {
          object.insert({{"job_interview_stage_id", plan.stage_id},
                         {"name", plan.name},
                         {"sort_order", static_cast<std::int64_t>(i)},
                         {"scheduling_type", "needs_scheduling"},
                         {"duration", 45},
                         {"summary", nullptr},
                         {"instructions", nullptr},
                         {"active", true},
                         {"require_scorecard", true}});
        }
        add(id, j.created_at, j.updated_at, std::move(object));
      }
  } else if (resource == "scorecards") {
    for (const auto& s : gh.scorecards) {
      std::string notes;
      for (const auto& answer : s.answers)
        if (answer.question == "Key Take-Aways")
          notes = answer.answer;
      const auto& app = app_of(s.application_id);
      std::int64_t kit = 0;
      for (const auto& plan : job_of(app.job_id.value_or(0)).interviews)
        if (plan.id == s.job_interview_id)
          kit = plan.kit_id;
      // No `interview` (scorecards.json): the form's name is the kit's job interview's.
      json::object object = stamped(s.id, s.created_at, s.updated_at);
      object.insert({{"application_id", s.application_id},
                     {"interview_kit_id", kit},
                     {"interviewer_id", s.interviewer_id},
                     {"submitter_id", s.submitter_id},
                     {"interviewed_at", iso_time(s.interviewed_at)},
                     {"submitted_at", time_or_null(s.status == "complete" ? s.submitted_at : 0)},
                     {"status", s.status},
                     {"candidate_rating", s.rating},
                     {"notes", notes},
                     {"notes_with_tags", notes},
                     {"private_notes", nullptr},
                     {"private_notes_with_tags", nullptr},
                     {"public_notes", nullable(s.public_notes)},
                     {"public_notes_with_tags", nullable(s.public_notes)}});
      add(s.id, s.created_at, s.updated_at, std::move(object));
    }
  } else if (resource == "scorecard_candidate_attributes" ||
             resource == "scorecard_question_answers" ||
             resource == "scorecard_question_answer_options") {
    // Rows name their attribute / question by id only (greenhouse.md §6.5): the names and the
    // question texts are in /v3/job_candidate_attributes and /v3/scorecard_questions; a select
    // question's answer is null and its chosen options are rows of
    // /v3/scorecard_question_answer_options naming /v3/scorecard_question_options.
    bool attributes = resource == "scorecard_candidate_attributes";
    bool options = resource == "scorecard_question_answer_options";
    for (const auto& s : gh.scorecards) {
      const auto& app = app_of(s.application_id);
      const GhJob& job = job_of(app.job_id.value_or(0));
      const GhJob::Interview* plan = nullptr;
      for (const auto& candidate_plan : job.interviews)
        if (candidate_plan.id == s.job_interview_id)
          plan = &candidate_plan;
      std::size_t n = attributes ? s.attributes.size() : s.answers.size();
      for (std::size_t i = 0; i < n; ++i) {
        std::int64_t id = s.id * 100 + static_cast<std::int64_t>(i) + (attributes ? 0 : 50);
        if (attributes) {
          std::int64_t attribute_id = 0;
          for (const auto& attribute : job.candidate_attributes)
            if (attribute.name == s.attributes[i].name)
              attribute_id = attribute.id;
          json::object object = stamped(id, s.created_at, s.updated_at);
          object.insert({{"scorecard_id", s.id},
                         {"job_candidate_attribute_id", attribute_id},
                         {"candidate_attribute_rating", s.attributes[i].rating},
                         {"note", nullable(s.attributes[i].note)}});
          add(id, s.created_at, s.updated_at, std::move(object));
          continue;
        }
        const GhAnswer& answer = s.answers[i];
        const GhJob::Question* question = nullptr;
        for (const auto& q : plan->questions)
          if (q.text == answer.question)
            question = &q;
        if (options) {
          for (std::size_t k = 0; k < answer.selected.size(); ++k)
            for (const auto& option : question->options)
              if (option.name == answer.selected[k]) {
                std::int64_t option_row = id * 10 + static_cast<std::int64_t>(k);
                json::object object = stamped(option_row, s.created_at, s.updated_at);
                object.insert({{"scorecard_question_answer_id", id},
                               {"scorecard_question_option_id", option.id}});
                add(option_row, s.created_at, s.updated_at, std::move(object));
              }
          continue;
        }
        bool yes_no = question->answer_type == "yes_no";
        json::object object = stamped(id, s.created_at, s.updated_at);
        object.insert({{"scorecard_id", s.id},
                       {"scorecard_question_id", question->id},
                       {"answer", nullable(answer.answer)},
                       {"answer_with_tags", nullable(answer.answer)},
                       {"boolean_value", yes_no ? json::value(answer.answer == "Yes") : nullptr}});
        add(id, s.created_at, s.updated_at, std::move(object));
      }
    }
  } else if (resource == "scorecard_questions" || resource == "scorecard_question_options") {
    bool options = resource == "scorecard_question_options";
    for (const auto& j : gh.jobs)
      for (const auto& plan : j.interviews)
        for (std::size_t i = 0; i < plan.questions.size(); ++i) {
          const auto& q = plan.questions[i];
          if (!options) {
            json::object object = stamped(q.id, j.created_at, j.created_at);
            object.insert({{"interview_kit_id", plan.kit_id},
                           {"question", q.text},
                           {"sort_order", static_cast<std::int64_t>(i)},
                           {"active", true},
                           {"answer_type", q.answer_type},
                           {"required", false}});
            add(q.id, j.created_at, j.created_at, std::move(object));
            continue;
          }
          for (std::size_t k = 0; k < q.options.size(); ++k) {
            json::object object = stamped(q.options[k].id, j.created_at, j.created_at);
            object.insert({{"scorecard_question_id", q.id},
                           {"name", q.options[k].name},
                           {"sort_order", static_cast<std::int64_t>(k)},
                           {"active", true}});
            add(q.options[k].id, j.created_at, j.created_at, std::move(object));
          }
        }
  } else if (resource == "job_candidate_attributes") {
    for (const auto& j : gh.jobs)
      for (std::size_t i = 0; i < j.candidate_attributes.size(); ++i) {
        const auto& item = j.candidate_attributes[i];
        json::object object = stamped(item.id, j.created_at, j.created_at);
        // The parent /v3/candidate_attribute_types row is per job and named like the attribute
        // (candidate_attribute_types.json), not a category such as "Skills"; not served, its id
        // derives from the attribute's: one type per (job, attribute) pairing.
        object.insert({{"job_id", j.id},
                       {"name", item.name},
                       {"candidate_attribute_type_id", item.id * 10 + 1},
                       {"sort_order", static_cast<std::int64_t>(i)},
                       {"active", true}});
        add(item.id, j.created_at, j.created_at, std::move(object));
      }
  } else if (resource == "job_hiring_managers" || resource == "job_owners" ||
             resource == "openings") {
    // job_hiring_managers.json, job_owners.json (type sourcer|recruiter|coordinator),
    // openings.json; row ids derive from the job's.
    for (const auto& j : gh.jobs) {
      if (resource == "job_hiring_managers") {
        for (std::size_t i = 0; i < j.hiring_manager_ids.size(); ++i) {
          std::int64_t id = j.id * 100 + 1 + static_cast<std::int64_t>(i);
          json::object object = stamped(id, j.created_at, j.updated_at);
          object.insert({{"job_id", j.id}, {"user_id", j.hiring_manager_ids[i]}});
          add(id, j.created_at, j.updated_at, std::move(object));
        }
      } else if (resource == "job_owners") {
        std::int64_t id = j.id * 100 + 10;
        json::object object = stamped(id, j.created_at, j.updated_at);
        object.insert({{"job_id", j.id},
                       {"user_id", j.recruiter_owner_id},
                       {"type", "recruiter"},
                       {"responsible", true}});
        add(id, j.created_at, j.updated_at, std::move(object));
      } else {
        json::object object = stamped(j.opening_id, j.created_at, j.updated_at);
        bool open = j.status != "closed";
        object.insert(
            {{"job_id", j.id},
             {"opening_id", "REQ-" + std::to_string(j.id) + "-1"},
             {"open", open},
             {"opened_at", iso_time(j.created_at)},
             {"closed_at", open ? json::value(nullptr) : json::value(iso_time(j.updated_at))},
             {"sort_order", 0},
             {"application_id", nullptr},
             {"close_reason_id", nullptr},
             {"target_start_on", nullptr},
             {"custom_fields", json::object{}}});
        add(j.opening_id, j.created_at, j.updated_at, std::move(object));
      }
    }
  } else if (resource == "referrers") {
    for (const auto& r : gh.referrers) {
      json::object object = stamped(r.id, kSetupTime, kSetupTime);
      object.insert({{"name", r.name}, {"user_id", nullable_id(r.user_id)}});
      add(r.id, kSetupTime, kSetupTime, std::move(object));
    }
  } else if (resource == "rejection_details") {
    for (const auto& d : gh.rejection_details) {
      const auto& app = app_of(d.application_id);
      json::object questions;
      for (const auto& q : d.questions)
        questions[q.key] =
            json::object{{"name", q.name}, {"type", "short_text"}, {"value", q.value}};
      json::object object = stamped(d.id, app.rejected_at, app.rejected_at);
      object.insert({{"application_id", app.id},
                     {"rejected_at", time_or_null(app.rejected_at)},
                     {"rejected_by_id", d.rejected_by_id},
                     {"rejection_reason_id", nullable_id(app.rejection_reason_id)},
                     {"rejection_note_id", nullable_id(d.rejection_note_id)},
                     {"question_custom_fields",
                      questions.empty() ? json::value(nullptr) : json::value(questions)}});
      add(d.id, app.rejected_at, app.rejected_at, std::move(object));
    }
  } else if (resource == "interviews") {
    // No `name` (interviews.json): the title is /v3/job_interviews.name via job_interview_id.
    for (const auto& i : gh.interviews) {
      json::object object = stamped(i.id, i.created_at, i.updated_at);
      object.insert({{"application_id", i.application_id},
                     {"job_id", i.job_id},
                     {"job_interview_id", i.job_interview_id},
                     {"status", i.status},
                     {"starts_at", iso_time(i.starts_at)},
                     {"ends_at", iso_time(i.ends_at)},
                     {"all_day_start_on", nullptr},
                     {"all_day_end_on", nullptr},
                     {"organizer_id", i.interviewer_ids.front()},
                     {"scheduled_at", iso_time(i.created_at)},
                     {"location", nullptr},
                     {"external_event_id", "evt-" + std::to_string(i.id)},
                     {"video_conferencing_url", nullable(i.video_conferencing_url)},
                     {"availability_received_at", nullptr}});
      add(i.id, i.created_at, i.updated_at, std::move(object));
    }
  } else if (resource == "interviewers") {
    for (const auto& i : gh.interviews)
      for (std::size_t k = 0; k < i.interviewer_ids.size(); ++k) {
        std::int64_t id = i.id * 10 + static_cast<std::int64_t>(k);
        const auto& user = *std::find_if(gh.users.begin(), gh.users.end(), [&](const GhUser& u) {
          return u.id == i.interviewer_ids[k];
        });
        json::object object = stamped(id, i.created_at, i.updated_at);
        object.insert({{"interview_id", i.id},
                       {"user_id", user.id},
                       {"email", user.email},
                       {"response_status", "accepted"},
                       {"scorecard_id", nullptr}});
        add(id, i.created_at, i.updated_at, std::move(object));
      }
  } else if (resource == "offers") {
    // Every version is listed; current_only=true keeps the current one (greenhouse.md §3.2).
    for (const auto& o : gh.offers) {
      const auto& app = app_of(o.application_id);
      json::object object = stamped(o.id, o.created_at, o.updated_at);
      object.insert({{"version", o.version},
                     {"application_id", o.application_id},
                     {"job_id", app.job_id.value_or(0)},
                     {"candidate_id", app.candidate_id},
                     {"opening_id", nullptr},
                     {"status", o.status},
                     {"sent_on", iso_date(o.sent_at)},
                     {"starts_on", iso_date(o.starts_at)},
                     {"resolved_at", iso_time(o.updated_at)},
                     {"custom_fields", json::object{}}});
      add(o.id, o.created_at, o.updated_at, std::move(object))->hidden_with =
          o.status == "Deprecated" ? "current_only" : "";
    }
  } else if (resource == "notes") {
    for (const auto& n : gh.notes) {
      bool email = n.type == "EMAIL";
      json::object object = stamped(n.id, n.created_at, n.created_at);
      object.insert({{"candidate_id", n.candidate_id},
                     {"application_id", nullable_id(n.application_id)},
                     {"user_id", n.user_id},
                     {"type", n.type},
                     {"subject", nullable(n.subject)},
                     {"body", n.body},
                     {"body_with_tags", n.body},
                     {"visibility", n.visibility},
                     {"email_from", email ? json::value("recruiting@globex.example") : nullptr},
                     {"email_to", email ? json::value("candidate@example.org") : nullptr},
                     {"email_cc", email ? json::value(json::array{}) : nullptr},
                     {"email_attachment_file_names", email ? json::value(json::array{}) : nullptr},
                     {"import_hash", nullptr}});
      add(n.id, n.created_at, n.created_at, std::move(object));
    }
  } else if (resource == "attachments") {
    for (const auto& a : gh.attachments) {
      std::int64_t id = std::stoll(a.file.id);
      json::object object = stamped(id, a.created_at, a.created_at);
      object.insert(
          {{"candidate_id", a.candidate_id_listed ? json::value(a.candidate_id) : nullptr},
           {"application_id", a.application_id},
           {"filename", a.file.name},
           {"type", a.type},
           {"url", ""}});  // signed when served
      add(id, a.created_at, a.created_at, std::move(object));
    }
  } else if (resource == "users") {
    for (const auto& u : gh.users) {
      json::array emails;
      if (!u.service_account)
        emails.emplace_back(u.email);
      for (const auto& extra : u.extra_emails)
        emails.emplace_back(extra);
      json::object object = stamped(u.id, u.created_at, u.created_at);
      object.insert({{"first_name", u.first_name},
                     {"last_name", u.last_name},
                     {"name", u.first_name + " " + u.last_name},
                     {"primary_email", u.email},
                     {"emails", std::move(emails)},
                     {"deactivated", u.deactivated},
                     {"site_admin", u.site_admin},
                     {"agency_id", nullptr},
                     {"employee_id", nullptr},
                     {"job_title", nullptr},
                     {"linked_candidate_ids", json::array{}},
                     {"office_ids", json::array{}},
                     {"department_ids", json::array{}},
                     {"interviewer_tags", json::array{}},
                     {"custom_fields", json::object{}}});
      add(u.id, u.created_at, u.created_at, std::move(object))->shown_only_with =
          u.service_account ? "show_service_accounts" : "";
    }
  } else if (resource == "departments" || resource == "offices" || resource == "candidate_tags" ||
             resource == "sources" || resource == "rejection_reasons") {
    const auto& items = resource == "departments"      ? gh.departments
                        : resource == "offices"        ? gh.offices
                        : resource == "candidate_tags" ? gh.tags
                        : resource == "sources"        ? gh.sources
                                                       : gh.rejection_reasons;
    static const std::map<std::string, std::string> kReasonTypes{
        {"WE_REJECTED_THEM", "We rejected them"},
        {"THEY_REJECTED_US", "They rejected us"},
        {"NONE_SPECIFIED", "None specified"}};
    for (const auto& item : items) {
      json::object object = stamped(item.id, kSetupTime, kSetupTime);
      object["name"] = item.name;
      if (resource == "departments" || resource == "offices")
        object.insert({{"parent_id", nullptr}, {"external_id", nullptr}});
      if (resource == "offices")
        object.insert({{"location", item.name}, {"primary_in_house_contact_user_id", nullptr}});
      if (resource == "sources")
        object["type"] = json::object{{"id", 1}, {"name", "Attract"}};
      Row* row = add(item.id, kSetupTime, kSetupTime, std::move(object));
      if (resource == "rejection_reasons") {
        auto type = kReasonTypes.find(item.type_key);
        row->object["type"] = json::object{{"id", 1 + std::distance(kReasonTypes.begin(), type)},
                                           {"key", item.type_key},
                                           {"name", type->second}};
        row->shown_only_with = is_default_reason(item) ? "include_defaults" : "";
      }
    }
  } else if (resource == "applied_candidate_tags") {
    for (const auto& c : gh.candidates)
      for (std::size_t i = 0; i < c.tags.size(); ++i) {
        auto tag = std::find_if(gh.tags.begin(), gh.tags.end(),
                                [&](const GhNamed& t) { return t.name == c.tags[i]; });
        std::int64_t id = c.id * 10 + static_cast<std::int64_t>(i);
        json::object object = stamped(id, c.created_at, c.updated_at);
        object.insert({{"candidate_id", c.id}, {"candidate_tag_id", tag->id}});
        add(id, c.created_at, c.updated_at, std::move(object));
      }
  } else if (resource == "custom_fields") {
    for (std::size_t i = 0; i < gh.custom_fields.size(); ++i) {
      const auto& f = gh.custom_fields[i];
      json::object object = stamped(f.id, kSetupTime, kSetupTime);
      object.insert({{"name", f.name},
                     {"name_key", f.name_key},
                     {"field_type", "candidate"},
                     {"value_type", f.value_type},
                     {"sort_order", static_cast<std::int64_t>(i)},
                     {"active", true},
                     {"private", false},
                     {"required", false},
                     {"require_approval", false},
                     {"trigger_new_version", false},
                     {"updated_by_id", nullptr},
                     {"internal_type", nullptr},
                     {"expose_in_job_board_api", false},
                     {"placeholder", nullptr},
                     {"description", nullptr},
                     {"application_type", nullptr},
                     {"api_only", false},
                     {"use_for_job_approvals", nullptr},
                     {"use_for_offer_approvals", nullptr},
                     {"template_token_string", nullptr},
                     {"default_value", nullptr}});
      add(f.id, kSetupTime, kSetupTime, std::move(object));
    }
  } else if (resource == "custom_field_options") {
    auto option = [&](std::int64_t id, std::int64_t field_id, const std::string& name,
                      std::size_t sort_order) {
      json::object object = stamped(id, kSetupTime, kSetupTime);
      object.insert({{"custom_field_id", field_id},
                     {"name", name},
                     {"external_id", nullptr},
                     {"sort_order", static_cast<std::int64_t>(sort_order)},
                     {"active", true}});
      return add(id, kSetupTime, kSetupTime, std::move(object));
    };
    for (const auto& f : gh.custom_fields)
      for (std::size_t i = 0; i < f.options.size(); ++i)
        option(f.id * 10 + static_cast<std::int64_t>(i), f.id, f.options[i], i);
    // Education's options are listed only by custom_field_key=school_name|degree|discipline
    // (greenhouse.md §3.2); their field is not among /v3/custom_fields: a fixed id stands in.
    std::int64_t field_id = 900001;
    for (const auto* list : {&gh.schools, &gh.degrees, &gh.disciplines}) {
      for (std::size_t i = 0; i < list->size(); ++i)
        option((*list)[i].id, field_id, (*list)[i].name, i)->custom_field_key = (*list)[i].type_key;
      ++field_id;
    }
  } else if (resource == "candidate_educations" || resource == "candidate_employments") {
    auto option_id = [](const std::vector<GhNamed>& list, const std::string& name) {
      for (const auto& item : list)
        if (item.name == name)
          return json::value(item.id);
      return json::value(nullptr);
    };
    for (const auto& c : gh.candidates) {
      if (resource == "candidate_educations") {
        for (std::size_t i = 0; i < c.educations.size(); ++i) {
          const auto& e = c.educations[i];
          json::object object = stamped(e.id, c.created_at, c.updated_at);
          object.insert(
              {{"candidate_id", c.id},
               {"school_name_custom_field_option_id", option_id(gh.schools, e.school)},
               {"degree_custom_field_option_id", option_id(gh.degrees, e.degree)},
               {"discipline_custom_field_option_id", option_id(gh.disciplines, e.discipline)},
               {"start_at", nullptr},
               {"end_at", nullptr},
               {"start_date_month", nullptr},
               {"start_date_year", e.start_year},
               {"end_date_month", nullptr},
               {"end_date_year", e.end_year},
               {"latest", i == 0}});
          add(e.id, c.created_at, c.updated_at, std::move(object));
        }
      } else {
        for (std::size_t i = 0; i < c.employments.size(); ++i) {
          const auto& e = c.employments[i];
          json::object object = stamped(e.id, c.created_at, c.updated_at);
          object.insert({{"candidate_id", c.id},
                         {"company_name", e.company},
                         {"title", e.title},
                         {"start_date", e.start_date},
                         {"end_date", nullable(e.end_date)},
                         {"latest", i == 0}});
          add(e.id, c.created_at, c.updated_at, std::move(object));
        }
      }
    }
  } else if (resource == "prospect_pools" || resource == "prospect_pool_stages") {
    for (const auto& pool : gh.prospect_pools) {
      if (resource == "prospect_pools") {
        json::object object = stamped(pool.id, kSetupTime, kSetupTime);
        object.insert({{"name", pool.name},
                       {"active", true},
                       {"description", nullptr},
                       {"department_ids", json::array{}},
                       {"office_ids", json::array{}},
                       {"job_ids", json::array{}}});
        add(pool.id, kSetupTime, kSetupTime, std::move(object));
        continue;
      }
      for (std::size_t i = 0; i < pool.stages.size(); ++i) {
        json::object object = stamped(pool.stages[i].id, kSetupTime, kSetupTime);
        object.insert({{"prospect_pool_id", pool.id},
                       {"name", pool.stages[i].name},
                       {"sort_order", static_cast<std::int64_t>(i)}});
        add(pool.stages[i].id, kSetupTime, kSetupTime, std::move(object));
      }
    }
  } else if (resource == "prospect_details") {
    for (const auto& d : gh.prospect_details) {
      const auto& app = app_of(d.application_id);
      json::object object = stamped(d.id, app.created_at, app.updated_at);
      auto id_or_null = [](std::int64_t id) {
        return nullable_id(id ? std::optional(id) : std::nullopt);
      };
      object.insert({{"application_id", d.application_id},
                     {"pool_id", id_or_null(d.pool_id)},
                     {"pool_stage_id", id_or_null(d.pool_stage_id)},
                     {"prospect_owner_id", id_or_null(d.owner_id)},
                     {"department_id", nullptr},
                     {"office_id", nullptr}});
      add(d.id, app.created_at, app.updated_at, std::move(object));
    }
  } else if (resource == "eeoc") {
    // eeoc.json: answered for every fourth application; a declined question is null.
    for (const auto& a : gh.applications) {
      if (a.id % 4 != 0)
        continue;
      std::int64_t id = a.id * 10 + 7;
      json::object object = stamped(id, a.created_at, a.updated_at);
      object.insert({{"application_id", a.id},
                     {"candidate_id", a.candidate_id},
                     {"gender", json::object{{"id", 2}, {"description", "Female"}}},
                     {"race", nullptr},
                     {"veteran_status", nullptr},
                     {"disability_status",
                      json::object{{"id", 3}, {"description", "I do not wish to answer"}}},
                     {"submitted_at", iso_time(a.created_at)}});
      add(id, a.created_at, a.updated_at, std::move(object));
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.id > b.id; });
  return rows;
}

// The filters a list defines (greenhouse.md §3.2): paging, `ids`, the date ranges, a parent filter
// `<parent>_ids` where its items carry `<parent>_id` (specs/greenhouse-v3/schemas/<list>.json),
// and the documented switches.
bool defined_filter(const std::string& resource, const std::string& key) {
  static const std::set<std::string> kCommon{"per_page", "cursor", "ids", "created_at",
                                             "updated_at"};
  static const std::map<std::string, std::set<std::string>> kParentFilters{
      {"applications", {"candidate_ids", "job_ids"}},
      {"application_stages", {"application_ids"}},
      {"job_interview_stages", {"job_ids"}},
      {"job_interviews", {"job_ids"}},
      {"interview_kits", {"job_ids"}},
      {"scorecards", {"application_ids"}},
      {"job_candidate_attributes", {"job_ids"}},
      {"rejection_details", {"application_ids"}},
      {"interviews", {"application_ids", "job_ids"}},
      {"offers", {"application_ids", "job_ids", "candidate_ids", "current_only"}},
      {"notes", {"candidate_ids", "application_ids"}},
      {"attachments", {"candidate_ids", "application_ids"}},
      {"applied_candidate_tags", {"candidate_ids"}},
      {"candidate_educations", {"candidate_ids"}},
      {"candidate_employments", {"candidate_ids"}},
      {"prospect_details", {"application_ids"}},
      {"job_hiring_managers", {"job_ids"}},
      {"job_owners", {"job_ids"}},
      {"openings", {"application_ids", "job_ids"}},
      {"eeoc", {"candidate_ids", "application_ids"}},
      {"users", {"show_service_accounts"}},
      {"rejection_reasons", {"include_defaults"}},
      {"custom_field_options", {"custom_field_key"}}};
  if (kCommon.count(key))
    return true;
  auto it = kParentFilters.find(resource);
  return it != kParentFilters.end() && it->second.count(key) > 0;
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
      attachment_url_ttl_s_(options.attachment_url_ttl_s),
      refuse_unknown_filters_(
          options.greenhouse_refuse_unknown_filters.value_or((options.seed & 1U) != 0)),
      redirect_attachments_(
          options.greenhouse_redirect_attachments.value_or((options.seed & 2U) != 0)) {}

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

// A Greenhouse endpoint that "issues a fresh short-lived file URL per request" (attachments.json
// `url`, greenhouse.md §7): 302 to a freshly signed file URL. Whether it needs the API token is
// not known [unverified]: it is signed like a file URL and needs none.
std::string GreenhouseServer::redirect_url(const std::string& attachment_id) const {
  std::string file = signed_url(attachment_id);
  return "http://" + options_.host + ":" + std::to_string(port()) + "/_files/redirect/" +
         file.substr(file.find("/_files/attachments/") + 20);
}

void GreenhouseServer::redirect(const httplib::Request& request, httplib::Response& response) {
  std::string id = request.path.substr(std::string("/_files/redirect/").size());
  std::string expires = request.get_param_value("X-Amz-Expires-At");
  if (expires.empty() ||
      request.get_param_value("X-Amz-Signature") !=
          hmac_sha256_hex(world_.secret, id + ":" + expires) ||
      std::stoll(expires) < now_ms()) {
    set_json(response, 404, gh_error("Resource not found"));
    return;
  }
  response.status = 302;
  response.set_header("Location", signed_url(id));
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
  // S3 refuses a presigned request that also carries an Authorization header ("Only one auth
  // mechanism allowed"): the API credential never goes to the file host.
  if (request.has_header("Authorization")) {
    response.status = 400;
    response.set_content(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code>"
        "<Message>Only one auth mechanism allowed</Message></Error>",
        "application/xml");
    return;
  }
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
      if (!defined_filter(resource, key)) {
        // No source says whether v3 ignores a filter a list does not define or refuses it: a
        // seeded switch emulates each ([unverified], greenhouse.md §3.2 lists the filters).
        if (refuse_unknown_filters_) {
          set_json(response, 422,
                   gh_error("Unprocessable Content",
                            json::array{json::object{
                                {key, "is not a permitted filter for /v3/" + resource}}}));
          return;
        }
        continue;
      }
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
  std::vector<std::int64_t> ids, candidate_ids, application_ids, job_ids;
  if (!id_list("ids", ids) || !id_list("candidate_ids", candidate_ids) ||
      !id_list("application_ids", application_ids) || !id_list("job_ids", job_ids)) {
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
  // A parent filter matches the row's own member (null matches nothing).
  auto matches = [](const std::vector<std::int64_t>& list, const json::object& object,
                    const char* key) {
    if (list.empty())
      return true;
    const json::value* id = object.if_contains(key);
    return id != nullptr && id->is_int64() &&
           std::find(list.begin(), list.end(), id->as_int64()) != list.end();
  };
  auto switched_on = [&](const std::string& name) {
    return filters.contains(name) && filters.at(name).as_string() == "true";
  };
  std::string field_key = filters.contains("custom_field_key")
                              ? std::string(filters.at("custom_field_key").as_string())
                              : "";
  std::string body = "[";
  int served = 0;
  std::int64_t last_id = 0;
  bool more = false;
  for (const auto& row : *cached) {
    if (after != 0 && row.id >= after)
      continue;
    if ((!ids.empty() && std::find(ids.begin(), ids.end(), row.id) == ids.end()) ||
        !matches(candidate_ids, row.object, "candidate_id") ||
        !matches(application_ids, row.object, "application_id") ||
        !matches(job_ids, row.object, "job_id"))
      continue;
    if ((!row.shown_only_with.empty() && !switched_on(row.shown_only_with)) ||
        (!row.hidden_with.empty() && switched_on(row.hidden_with)) ||
        row.custom_field_key != field_key)
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
      object["url"] = redirect_attachments_ ? redirect_url(std::to_string(row.id))
                                            : signed_url(std::to_string(row.id));
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
  if (request.method == "GET" && request.path.rfind("/_files/redirect/", 0) == 0)
    return redirect(request, response);
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
                                                  "custom_field_options",
                                                  "job_interviews",
                                                  "interview_kits",
                                                  "scorecard_question_answer_options",
                                                  "scorecard_question_options",
                                                  "prospect_details",
                                                  "prospect_pools",
                                                  "prospect_pool_stages",
                                                  "candidate_educations",
                                                  "candidate_employments",
                                                  "job_hiring_managers",
                                                  "job_owners",
                                                  "openings",
                                                  "eeoc"};
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
