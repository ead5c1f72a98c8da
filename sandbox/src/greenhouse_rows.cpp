// The rows of each emulated Greenhouse Harvest v3 list, built once per list from the dataset:
// one builder per list (or per family of lists that share their rows' making).
#include <algorithm>
#include <map>

#include "servers.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace {

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

// Rows follow sandbox/validator/greenhouse-v3/schemas/<resource>.json exactly: every documented
// key, no other (tests/sandbox/greenhouse_v3_contract.py validates every item of every list
// served).
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

// Greenhouse's built-in rejection reason, listed only with include_defaults=true
// (docs/vendors/greenhouse.md §3 names the switch; which reasons are built in is not documented:
// the emulator marks the "None specified" one).
bool is_default_reason(const GhNamed& reason) {
  return reason.type_key == "NONE_SPECIFIED";
}

// Builds the rows of one list (`resource`), in any order.
struct RowBuilder {
  const World& world;
  const std::string& resource;
  const GreenhouseData& gh = world.data.greenhouse;
  static constexpr std::int64_t kSetupTime = 1420070400000;
  std::vector<Row> rows{};

  Row* add(std::int64_t id, std::int64_t created, std::int64_t updated, json::object object) {
    Row row;
    row.id = id;
    row.created_at = created;
    row.updated_at = updated;
    row.object = std::move(object);
    rows.push_back(std::move(row));
    return &rows.back();
  }
  const GhApplication& app_of(std::int64_t id) const {
    return gh.applications[world.gh_application_by_id.at(id)];
  }
  const GhJob& job_of(std::int64_t id) const { return gh.jobs[world.gh_job_by_id.at(id)]; }

  void candidates();
  void applications();
  void application_stages();
  void jobs();
  void job_interview_stages();
  void job_interviews_and_kits();  // job_interviews, interview_kits
  void scorecards();
  void scorecard_answers();    // scorecard_candidate_attributes, scorecard_question_answers,
                               // scorecard_question_answer_options
  void scorecard_questions();  // scorecard_questions, scorecard_question_options
  void job_candidate_attributes();
  void job_teams_and_openings();  // job_hiring_managers, job_owners, openings
  void referrers();
  void rejection_details();
  void interviews();
  void interviewers();
  void offers();
  void notes();
  void attachments();
  void users();
  void named_lists();  // departments, offices, candidate_tags, sources, rejection_reasons
  void applied_candidate_tags();
  void custom_fields();
  void custom_field_options();
  void education_and_employment();  // candidate_educations, candidate_employments
  void prospect_pools();            // prospect_pools, prospect_pool_stages
  void prospect_details();
  void eeoc();
};

void RowBuilder::candidates() {
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
}

void RowBuilder::applications() {
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
}

void RowBuilder::application_stages() {
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
}

void RowBuilder::jobs() {
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
}

void RowBuilder::job_interview_stages() {
  for (const auto& j : gh.jobs)
    for (const auto& s : j.stages) {
      json::object object = stamped(s.id, j.created_at, j.updated_at);
      object.insert(
          {{"job_id", j.id}, {"name", s.name}, {"sort_order", s.sort_order}, {"active", true}});
      add(s.id, j.created_at, j.updated_at, std::move(object));
    }
}

void RowBuilder::job_interviews_and_kits() {
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
}

void RowBuilder::scorecards() {
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
}

void RowBuilder::scorecard_answers() {
  // Rows name their attribute / question by id only (docs/vendors/greenhouse.md §6): the names and
  // the question texts are in /v3/job_candidate_attributes and /v3/scorecard_questions; a select
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
}

void RowBuilder::scorecard_questions() {
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
}

void RowBuilder::job_candidate_attributes() {
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
}

void RowBuilder::job_teams_and_openings() {
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
}

void RowBuilder::referrers() {
  for (const auto& r : gh.referrers) {
    json::object object = stamped(r.id, kSetupTime, kSetupTime);
    object.insert({{"name", r.name}, {"user_id", nullable_id(r.user_id)}});
    add(r.id, kSetupTime, kSetupTime, std::move(object));
  }
}

void RowBuilder::rejection_details() {
  for (const auto& d : gh.rejection_details) {
    const auto& app = app_of(d.application_id);
    json::object questions;
    for (const auto& q : d.questions)
      questions[q.key] = json::object{{"name", q.name}, {"type", "short_text"}, {"value", q.value}};
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
}

void RowBuilder::interviews() {
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
}

void RowBuilder::interviewers() {
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
}

void RowBuilder::offers() {
  // Every version is listed; current_only=true keeps the current one (docs/vendors/greenhouse.md
  // §3).
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
}

void RowBuilder::notes() {
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
}

void RowBuilder::attachments() {
  for (const auto& a : gh.attachments) {
    std::int64_t id = std::stoll(a.file.id);
    json::object object = stamped(id, a.created_at, a.created_at);
    object.insert({{"candidate_id", a.candidate_id_listed ? json::value(a.candidate_id) : nullptr},
                   {"application_id", a.application_id},
                   {"filename", a.file.name},
                   {"type", a.type},
                   {"url", ""}});  // signed when served
    add(id, a.created_at, a.created_at, std::move(object));
  }
}

void RowBuilder::users() {
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
}

void RowBuilder::named_lists() {
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
}

void RowBuilder::applied_candidate_tags() {
  for (const auto& c : gh.candidates)
    for (std::size_t i = 0; i < c.tags.size(); ++i) {
      auto tag = std::find_if(gh.tags.begin(), gh.tags.end(),
                              [&](const GhNamed& t) { return t.name == c.tags[i]; });
      std::int64_t id = c.id * 10 + static_cast<std::int64_t>(i);
      json::object object = stamped(id, c.created_at, c.updated_at);
      object.insert({{"candidate_id", c.id}, {"candidate_tag_id", tag->id}});
      add(id, c.created_at, c.updated_at, std::move(object));
    }
}

void RowBuilder::custom_fields() {
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
}

void RowBuilder::custom_field_options() {
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
  // (docs/vendors/greenhouse.md §3); their field is not among /v3/custom_fields: a fixed id stands
  // in.
  std::int64_t field_id = 900001;
  for (const auto* list : {&gh.schools, &gh.degrees, &gh.disciplines}) {
    for (std::size_t i = 0; i < list->size(); ++i)
      option((*list)[i].id, field_id, (*list)[i].name, i)->custom_field_key = (*list)[i].type_key;
    ++field_id;
  }
}

void RowBuilder::education_and_employment() {
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
}

void RowBuilder::prospect_pools() {
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
}

void RowBuilder::prospect_details() {
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
}

void RowBuilder::eeoc() {
  // eeoc.json: answered for every fourth application; a declined question is null.
  for (const auto& a : gh.applications) {
    if (a.id % 4 != 0)
      continue;
    std::int64_t id = a.id * 10 + 7;
    json::object object = stamped(id, a.created_at, a.updated_at);
    object.insert(
        {{"application_id", a.id},
         {"candidate_id", a.candidate_id},
         {"gender", json::object{{"id", 2}, {"description", "Female"}}},
         {"race", nullptr},
         {"veteran_status", nullptr},
         {"disability_status", json::object{{"id", 3}, {"description", "I do not wish to answer"}}},
         {"submitted_at", iso_time(a.created_at)}});
    add(id, a.created_at, a.updated_at, std::move(object));
  }
}

}  // namespace

std::vector<GreenhouseRow> greenhouse_rows(const World& world, const std::string& resource) {
  static const std::map<std::string, void (RowBuilder::*)()> kBuilders{
      {"candidates", &RowBuilder::candidates},
      {"applications", &RowBuilder::applications},
      {"application_stages", &RowBuilder::application_stages},
      {"jobs", &RowBuilder::jobs},
      {"job_interview_stages", &RowBuilder::job_interview_stages},
      {"job_interviews", &RowBuilder::job_interviews_and_kits},
      {"interview_kits", &RowBuilder::job_interviews_and_kits},
      {"scorecards", &RowBuilder::scorecards},
      {"scorecard_candidate_attributes", &RowBuilder::scorecard_answers},
      {"scorecard_question_answers", &RowBuilder::scorecard_answers},
      {"scorecard_question_answer_options", &RowBuilder::scorecard_answers},
      {"scorecard_questions", &RowBuilder::scorecard_questions},
      {"scorecard_question_options", &RowBuilder::scorecard_questions},
      {"job_candidate_attributes", &RowBuilder::job_candidate_attributes},
      {"job_hiring_managers", &RowBuilder::job_teams_and_openings},
      {"job_owners", &RowBuilder::job_teams_and_openings},
      {"openings", &RowBuilder::job_teams_and_openings},
      {"referrers", &RowBuilder::referrers},
      {"rejection_details", &RowBuilder::rejection_details},
      {"interviews", &RowBuilder::interviews},
      {"interviewers", &RowBuilder::interviewers},
      {"offers", &RowBuilder::offers},
      {"notes", &RowBuilder::notes},
      {"attachments", &RowBuilder::attachments},
      {"users", &RowBuilder::users},
      {"departments", &RowBuilder::named_lists},
      {"offices", &RowBuilder::named_lists},
      {"candidate_tags", &RowBuilder::named_lists},
      {"sources", &RowBuilder::named_lists},
      {"rejection_reasons", &RowBuilder::named_lists},
      {"applied_candidate_tags", &RowBuilder::applied_candidate_tags},
      {"custom_fields", &RowBuilder::custom_fields},
      {"custom_field_options", &RowBuilder::custom_field_options},
      {"candidate_educations", &RowBuilder::education_and_employment},
      {"candidate_employments", &RowBuilder::education_and_employment},
      {"prospect_pools", &RowBuilder::prospect_pools},
      {"prospect_pool_stages", &RowBuilder::prospect_pools},
      {"prospect_details", &RowBuilder::prospect_details},
      {"eeoc", &RowBuilder::eeoc}};
  RowBuilder builder{world, resource};
  if (auto builds = kBuilders.find(resource); builds != kBuilders.end())
    (builder.*builds->second)();
  std::sort(builder.rows.begin(), builder.rows.end(),
            [](const Row& a, const Row& b) { return a.id > b.id; });
  return std::move(builder.rows);
}

}  // namespace atsm::sandbox
