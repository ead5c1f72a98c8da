#include "greenhouse_mapping.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "greenhouse_mapping_fields.hpp"

namespace atsm::greenhouse {
namespace json = boost::json;

// ---- candidacies -------------------------------------------------------------------------------

// The text of a question_custom_fields value: text as is, lists joined, other values as JSON.
static std::string answer_text(const json::value& value) {
  if (value.is_string())
    return std::string(value.as_string());
  if (value.is_bool())
    return value.as_bool() ? "Yes" : "No";
  if (value.is_array()) {
    std::string out;
    for (const json::value& item : value.as_array())
      out += (out.empty() ? "" : ", ") + answer_text(item);
    return out;
  }
  return json::serialize(value);
}

// /v3/rejection_details (§6.6) onto a candidacy: archive details text, who rejected, and the
// reason and time when the application row lacks them.
static void apply_rejection_detail(model::Candidacy& candidacy, const ApplicationExtras& extras,
                                   ValidationErrors& problems) {
  Fields detail(*extras.rejection_detail, problems, "rejection_details");
  std::string text;
  if (std::optional<std::string> note_id = detail.id("rejection_note_id")) {
    std::optional<std::string> body;
    if (extras.rejection_note != nullptr)
      body = Fields(*extras.rejection_note, problems, "rejection_note").words("body");
    if (body)
      text = *body;
    else
      problems.add("rejection_details.rejection_note_id",
                   "the rejection note " + *note_id + " is not listed by /v3/notes");
  }
  if (const json::object* questions = detail.object("question_custom_fields"))
    for (const auto& [key, entry] : *questions) {
      std::string label(key);
      json::value value = entry;
      if (entry.is_object() && entry.as_object().contains("value")) {
        if (const json::value* name = entry.as_object().if_contains("name");
            name && name->is_string() && !name->as_string().empty())
          label = std::string(name->as_string());
        value = entry.as_object().at("value");
      }
      if (value.is_null() || (value.is_string() && value.as_string().empty()))
        continue;
      text += (text.empty() ? "" : "\n") + label + ": " + answer_text(value);
    }
  if (!text.empty())
    candidacy.extra["archive_details"] = text;
  if (std::optional<std::string> by = detail.id("rejected_by_id"))
    candidacy.extra["archived_by_user_key"] = source_key("user", *by);
  if (candidacy.status == model::CandidacyStatus::archived) {
    if (!candidacy.archive_reason_key)
      candidacy.archive_reason_key = key_of("rejection_reason", detail.id("rejection_reason_id"));
    if (!candidacy.archived_at)
      candidacy.archived_at = detail.time("rejected_at");
  }
}

// The application's status; a rejected or converted one's reason and time.
static void apply_status(model::Candidacy& candidacy, const Fields& fields, bool prospect,
                         ValidationErrors& problems) {
  std::string status = fields.text("status").value_or("in_process");
  if (status == "hired") {
    candidacy.status = model::CandidacyStatus::hired;
  } else if (status == "rejected" || status == "converted") {
    // A converted prospect lives on as the application it became; this one is closed.
    candidacy.status = model::CandidacyStatus::archived;
    candidacy.archive_reason_key = key_of("rejection_reason", fields.id("rejection_reason_id"));
    candidacy.archived_at = fields.time("rejected_at");
    if (status == "converted")
      candidacy.extra["converted"] = true;
  } else {
    if (status != "in_process" && status != "active")
      problems.add("status", "expected in_process|rejected|hired|converted, got \"" + status +
                                 "\"; treated as in_process");
    candidacy.status = prospect ? model::CandidacyStatus::lead : model::CandidacyStatus::active;
  }
}

// Stage history: every stage entered, oldest first (ties by row id); the current stage.
static void apply_stages(model::Candidacy& candidacy, const Fields& fields,
                         const std::vector<json::value>& stages, ValidationErrors& problems) {
  struct Entry {
    std::string entered_at;
    std::int64_t row;
    std::string stage;
    bool current;
  };
  std::vector<Entry> entries;
  std::optional<std::string> current_stage;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    std::string at = "application_stages[" + std::to_string(i) + "]";
    Fields row(stages[i], problems, at);
    std::optional<std::string> stage = row.id("job_interview_stage_id");
    if (!stage)
      stage = row.id("stage_id");
    // entered_at is null for "backfilled or partially recorded history"
    // (application_stages.json): the stage was entered; when is the row's created_at.
    const json::value* raw_entered =
        stages[i].is_object() ? stages[i].as_object().if_contains("entered_at") : nullptr;
    std::optional<std::string> entered = raw_entered != nullptr && raw_entered->is_null()
                                             ? row.time("created_at")
                                             : row.time("entered_at");
    if (!stage || !entered) {
      problems.add(at, "a stage history row needs job_interview_stage_id and entered_at");
      continue;
    }
    bool current = row.flag("current").value_or(false);
    if (current)
      current_stage = *stage;
    std::int64_t row_id = 0;
    if (std::optional<std::string> id = row.id("id"))
      row_id = std::stoll(id->substr(0, 18));
    entries.push_back({*entered, row_id, *stage, current});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    std::int64_t left = model::timestamp_to_epoch_millis(a.entered_at).value_or(0);
    std::int64_t right = model::timestamp_to_epoch_millis(b.entered_at).value_or(0);
    return left != right ? left < right : a.row < b.row;
  });
  for (const Entry& entry : entries)
    candidacy.stage_history.push_back({source_key("stage", entry.stage), entry.entered_at, {}, {}});
  std::optional<std::string> stage = fields.id("stage_id");
  if (!stage)
    stage = fields.id("job_interview_stage_id");  // the other spelling seen (§6.2)
  if (!stage)
    stage = current_stage;
  if (!stage && !entries.empty())
    stage = entries.back().stage;
  candidacy.stage_key = key_of("stage", stage);
}

// referrer_id names a /v3/referrers entry, not a user (§6.2): credited to the referrer's user
// when it is one, else the referrer's name is kept.
static void apply_referrer(model::Candidacy& candidacy, const Fields& fields,
                           const ApplicationExtras& extras, ValidationErrors& problems) {
  if (std::optional<std::string> referrer = fields.id("referrer_id")) {
    candidacy.extra["referrer_id"] = *referrer;
    if (extras.referrer == nullptr) {
      problems.add("referrer_id", "the referrer " + *referrer + " is not listed by /v3/referrers");
    } else {
      Fields row(*extras.referrer, problems, "referrer");
      if (std::optional<std::string> name = row.words("name"))
        candidacy.extra["referrer_name"] = *name;
      candidacy.credited_to_user_key = key_of("user", row.id("user_id"));
    }
  }
}

// A prospect's /v3/prospect_details row: its owner, pool and pool stage.
static void apply_prospect_detail(model::Candidacy& candidacy, const ApplicationExtras& extras,
                                  ValidationErrors& problems) {
  Fields detail(*extras.prospect_detail, problems, "prospect_detail");
  if (std::optional<std::string> owner = detail.id("prospect_owner_id")) {
    std::string owner_key = source_key("user", *owner);
    if (candidacy.owner_user_key && *candidacy.owner_user_key != owner_key)
      candidacy.extra["recruiter_user_key"] = *candidacy.owner_user_key;
    candidacy.owner_user_key = owner_key;
  }
  auto named = [&](const char* member, const std::optional<std::string>& name, const char* list,
                   std::optional<std::string>& as) {
    std::optional<std::string> id = detail.id(member);
    if (name)
      as = *name;
    else if (id)
      problems.add(std::string("prospect_detail.") + member, *id + " is not listed by /v3/" + list);
  };
  named("pool_id", extras.prospect_pool, "prospect_pools", candidacy.prospect_pool);
  named("pool_stage_id", extras.prospect_pool_stage, "prospect_pool_stages",
        candidacy.prospect_pool_stage);
}

// The application form's answers (applications.json `answers`).
static std::vector<model::FormAnswer> form_answers(const json::value& raw) {
  std::vector<model::FormAnswer> kept;
  const json::value* answers = raw.is_object() ? raw.as_object().if_contains("answers") : nullptr;
  if (answers == nullptr || !answers->is_array())
    return kept;
  for (const json::value& entry : answers->as_array()) {
    if (!entry.is_object())
      continue;
    const json::value* question = entry.as_object().if_contains("question");
    const json::value* answer = entry.as_object().if_contains("answer");
    if (question == nullptr || !question->is_string() || question->as_string().empty())
      continue;
    model::FormAnswer item;
    item.question = std::string(question->as_string());
    if (answer != nullptr && !answer->is_null())
      item.answer = answer->is_string() ? std::string(answer->as_string()) : answer_text(*answer);
    kept.push_back(std::move(item));
  }
  return kept;
}

model::Record map_application(const json::value& raw, const std::vector<json::value>& stages,
                              const CustomFieldIndex& index, const ApplicationExtras& extras) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto candidacy = start<model::Candidacy>("application", raw, fields, problems);
  std::optional<std::string> candidate = fields.id("candidate_id");
  if (!candidate)
    problems.add("candidate_id", "required id is missing");
  candidacy.person_key = source_key("candidate", candidate.value_or("missing"));
  candidacy.job_key = key_of("job", fields.id("job_id"));
  bool prospect = fields.flag("prospect").value_or(false);
  candidacy.is_prospect = prospect;
  std::vector<std::string> prospective = fields.ids("prospective_job_ids");
  if (!prospective.empty()) {
    json::array keys;
    for (const std::string& id : prospective)
      keys.emplace_back(source_key("job", id));
    candidacy.extra["prospective_job_keys"] = std::move(keys);
  }
  apply_status(candidacy, fields, prospect, problems);
  apply_stages(candidacy, fields, stages, problems);
  if (std::optional<std::string> name = fields.words("stage_name"))
    candidacy.extra["stage_name"] = *name;

  if (std::optional<std::string> source = fields.id("source_id"))
    candidacy.sources.push_back({source_key("source", *source), std::nullopt, {}});
  apply_referrer(candidacy, fields, extras, problems);
  candidacy.owner_user_key = key_of("user", fields.id("recruiter_id"));
  if (extras.prospect_detail != nullptr)
    apply_prospect_detail(candidacy, extras, problems);
  if (std::optional<std::string> coordinator = fields.id("coordinator_id"))
    candidacy.extra["coordinator_user_key"] = source_key("user", *coordinator);
  candidacy.created_at = fields.time("created_at");
  candidacy.applied_at = fields.time("applied_at");
  if (!candidacy.applied_at)
    candidacy.applied_at = candidacy.created_at;  // v3: created_at is v1's applied_at
  candidacy.updated_at = fields.time("updated_at");
  candidacy.custom_fields = custom_field_values(fields, "application", index, problems);
  candidacy.form_answers = form_answers(raw);
  if (std::optional<std::string> post = fields.id("job_post_id"))
    candidacy.extra["job_post_id"] = *post;
  if (extras.rejection_detail != nullptr)
    apply_rejection_detail(candidacy, extras, problems);
  if (!stages.empty() || extras.rejection_detail != nullptr) {
    json::object kept{{"application", raw}};
    if (!stages.empty())
      kept["application_stages"] = json::array(stages.begin(), stages.end());
    if (extras.rejection_detail != nullptr)
      kept["rejection_details"] = *extras.rejection_detail;
    candidacy.raw = std::move(kept);
  }
  return finish(std::move(candidacy), problems);
}

}  // namespace atsm::greenhouse
