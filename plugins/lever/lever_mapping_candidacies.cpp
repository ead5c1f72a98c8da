#include "lever_mapping.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "lever_mapping_fields.hpp"

namespace atsm::lever {
namespace json = boost::json;

// ---- candidacies -------------------------------------------------------------------------------

namespace {

// One answer as text: strings as they are, a multiple-select's values joined, a date field's
// local date, a file-upload answer by its file name (its bytes become a file record).
std::optional<std::string> answer_text(const json::value& value, const std::string& type) {
  if (value.is_null())
    return std::nullopt;
  if (value.is_string())
    return std::string(value.as_string());
  if (type == "date")
    if (std::optional<std::int64_t> ms = parse_millis(value))
      return date_of_local_midnight(*ms);
  if (value.is_array()) {
    std::string joined;
    for (const json::value& item : value.as_array())
      if (std::optional<std::string> text = answer_text(item, ""))
        joined += (joined.empty() ? "" : ", ") + *text;
    return joined;
  }
  if (value.is_object()) {
    const json::object& object = value.as_object();
    for (const char* key : {"name", "text", "value"})
      if (const json::value* member = object.if_contains(key); member && member->is_string())
        return std::string(member->as_string());
  }
  if (value.is_bool())
    return value.as_bool() ? "yes" : "no";
  return json::serialize(value);
}

}  // namespace

std::string application_file_key(const std::string& file_id) {
  return source_key("application_file", file_id);
}

std::vector<json::object> application_files(const json::value& opportunity) {
  std::vector<json::object> files;
  if (!opportunity.is_object())
    return files;
  const json::value* applications = opportunity.as_object().if_contains("applications");
  if (applications == nullptr || !applications->is_array())
    return files;
  for (const json::value& application : applications->as_array()) {
    const json::value* forms =
        application.is_object() ? application.as_object().if_contains("customQuestions") : nullptr;
    if (forms == nullptr || !forms->is_array())
      continue;
    for (const json::value& form : forms->as_array()) {
      const json::value* fields =
          form.is_object() ? form.as_object().if_contains("fields") : nullptr;
      if (fields == nullptr || !fields->is_array())
        continue;
      for (const json::value& field : fields->as_array()) {
        if (!field.is_object())
          continue;
        const json::value* type = field.as_object().if_contains("type");
        const json::value* value = field.as_object().if_contains("value");
        if (type && type->is_string() && type->as_string() == "file-upload" && value &&
            value->is_object() && value->as_object().contains("id"))
          files.push_back(value->as_object());
      }
    }
  }
  return files;
}

namespace {

// An expanded application's answers (tests/lever/docs/lever_docs_examples.json
// "application_retrieve", "application_referral_from_list"): posting and referral form answers
// (customQuestions), the applicant's company and the requisition hired for become form answers;
// comments, the cover letter. ownerId/hiringManager/postingOwner/postingHiringManager repeat the
// posting's (the job record carries them); name, email, phone and links repeat the person's.
void add_application_answers(Fields& app, ValidationErrors& problems,
                             std::vector<model::FormAnswer>& answers, std::string& cover_letter) {
  if (std::optional<std::string> comments = app.text("comments"); comments && !comments->empty())
    cover_letter += (cover_letter.empty() ? "" : "\n\n") + *comments;
  if (std::optional<std::string> company = app.text("company"); company && !company->empty())
    answers.push_back({"Application", "Company", *company, {}, {}});
  if (const json::object* requisition = app.object("requisitionForHire")) {
    const json::value* code = requisition->if_contains("requisitionCode");
    if (code && code->is_string() && !code->as_string().empty())
      answers.push_back(
          {"Application", "Requisition for hire", std::string(code->as_string()), {}, {}});
  }
  const json::array* forms = app.array("customQuestions");
  if (forms == nullptr)
    return;
  for (std::size_t i = 0; i < forms->size(); ++i) {
    Fields form((*forms)[i], problems, app.path("customQuestions") + "[" + std::to_string(i) + "]");
    std::string form_name = form.text("text").value_or("");
    const json::array* fields = form.array("fields");
    if (fields == nullptr)
      continue;
    for (std::size_t j = 0; j < fields->size(); ++j) {
      Fields field((*fields)[j], problems, form.path("fields") + "[" + std::to_string(j) + "]");
      std::string type = field.text("type").value_or("");
      model::FormAnswer answer;
      if (!form_name.empty())
        answer.form = form_name;
      answer.question = field.text("text").value_or("");
      const json::value* value = field.get("value");
      if (value != nullptr) {
        answer.answer = answer_text(*value, type);
        if (type == "file-upload" && value->is_object()) {
          const json::value* id = value->as_object().if_contains("id");
          if (id && id->is_string())
            answer.file_keys = {application_file_key(std::string(id->as_string()))};
          else
            problems.add(field.path("value.id"), "file-upload answer names no file id");
        }
      }
      answers.push_back(std::move(answer));
    }
  }
}

}  // namespace

model::Record map_opportunity(const json::value& raw, const HiredReasons& reasons,
                              const std::set<std::string>& lead_stages) {
  ValidationErrors problems;
  Fields f(raw, problems);
  auto candidacy = start_record<model::Candidacy>(raw, "opportunity", f.required_id("id"));
  std::string contact = raw.is_object() ? contact_id_of(raw.as_object()) : "";
  if (contact.empty())
    problems.add("contact", "required id is missing");
  candidacy.person_key = source_key("contact", contact.empty() ? "missing" : contact);
  // The posting comes from the (expanded) application; a lead has none.
  if (const json::array* applications = f.array("applications")) {
    std::vector<std::string> postings;
    std::string cover_letter;
    for (std::size_t i = 0; i < applications->size(); ++i) {
      const json::value& application = (*applications)[i];
      if (!application.is_object())
        continue;  // an unexpanded id: nothing to learn
      Fields app(application, problems, "applications[" + std::to_string(i) + "]");
      if (std::optional<std::string> posting = app.ref_id("posting"))
        postings.push_back(*posting);
      if (!candidacy.applied_at)
        candidacy.applied_at = app.time("createdAt");
      if (std::optional<std::string> type = app.one_of("type", {"posting", "user", "referral"}))
        candidacy.extra["application_type"] = *type;
      add_application_answers(app, problems, candidacy.form_answers, cover_letter);
    }
    if (!cover_letter.empty())
      candidacy.cover_letter = cover_letter;
    if (!postings.empty())
      candidacy.job_key = source_key("posting", postings.front());
    if (postings.size() > 1) {
      json::array more;
      for (std::size_t i = 1; i < postings.size(); ++i)
        more.emplace_back(source_key("posting", postings[i]));
      candidacy.extra["additional_job_keys"] = std::move(more);
    }
  }
  std::optional<std::string> stage = f.ref_id("stage");
  if (stage)
    candidacy.stage_key = source_key("stage", *stage);
  // Archived: {reason, archivedAt} or null.
  std::optional<std::string> reason;
  if (const json::object* archived = f.object("archived")) {
    json::value archived_value(*archived);
    Fields a(archived_value, problems, "archived");
    reason = a.ref_id("reason");
    candidacy.archived_at = a.time("archivedAt");
    if (reason)
      candidacy.archive_reason_key = source_key("archive_reason", *reason);
    else
      problems.add("archived.reason", "archived opportunity has no reason");
  }
  // Status (docs/mapping.md §2): archived with a hired-type reason -> hired; any other
  // archived -> archived; in a lead stage -> lead; otherwise active.
  if (f.object("archived") != nullptr) {
    auto found = reason ? reasons.find(*reason) : reasons.end();
    if (reason && found == reasons.end())
      problems.add("archived.reason", "unknown archive reason " + *reason);
    candidacy.status = found != reasons.end() && found->second ? model::CandidacyStatus::hired
                                                               : model::CandidacyStatus::archived;
  } else if (stage && (stage->rfind("lead-", 0) == 0 || lead_stages.count(*stage) > 0)) {
    candidacy.status = model::CandidacyStatus::lead;
  } else {
    candidacy.status = model::CandidacyStatus::active;
  }
  // Stage history, oldest first.
  if (const json::array* changes = f.array("stageChanges")) {
    std::vector<std::pair<std::int64_t, model::StageChange>> ordered;
    for (std::size_t i = 0; i < changes->size(); ++i) {
      Fields change((*changes)[i], problems, "stageChanges[" + std::to_string(i) + "]");
      std::optional<std::string> to = change.text("toStageId");
      std::optional<std::int64_t> at = change.millis("updatedAt");
      std::optional<std::string> when = change.time("updatedAt");
      if (!to || !at || !when) {
        if (!to)
          problems.add(change.path("toStageId"), "required id is missing");
        continue;
      }
      model::StageChange mapped;
      mapped.stage_key = source_key("stage", *to);
      mapped.entered_at = *when;
      mapped.by_user_key = user_key(change.text("userId"));
      ordered.emplace_back(*at, std::move(mapped));
    }
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [at, change] : ordered)
      candidacy.stage_history.push_back(std::move(change));
  }
  for (const std::string& name : f.strings("sources")) {
    model::SourceRef source;
    source.source_key = source_key("source", name);
    source.name = name;
    candidacy.sources.push_back(std::move(source));
  }
  candidacy.credited_to_user_key = user_key(f.ref_id("sourcedBy"));
  candidacy.owner_user_key = user_key(f.ref_id("owner"));
  candidacy.created_at = f.time("createdAt");
  if (!candidacy.created_at && f.get("createdAt") == nullptr)
    problems.add("createdAt", "opportunity has no creation time");
  candidacy.updated_at = f.time("updatedAt");
  candidacy.is_prospect = !candidacy.job_key.has_value();
  if (std::optional<std::string> confidentiality =
          f.one_of("confidentiality", {"confidential", "non-confidential"}))
    candidacy.confidential = *confidentiality == "confidential";
  candidacy.tags = f.strings("tags");
  if (std::optional<std::string> origin = f.one_of(
          "origin", {"agency", "applied", "internal", "referred", "sourced", "university"}))
    candidacy.extra["origin"] = *origin;
  if (const json::array* followers = f.array("followers")) {
    json::array keys;
    for (const json::value& follower : *followers) {
      if (follower.is_string())
        keys.emplace_back(source_key("user", std::string(follower.as_string())));
      else if (follower.is_object() && follower.as_object().contains("id") &&
               follower.as_object().at("id").is_string())
        keys.emplace_back(
            source_key("user", std::string(follower.as_object().at("id").as_string())));
    }
    if (!keys.empty())
      candidacy.extra["follower_user_keys"] = std::move(keys);
  }
  if (std::optional<std::string> last = f.time("lastInteractionAt"))
    candidacy.extra["last_interaction_at"] = *last;
  if (std::optional<bool> anonymized = f.boolean("isAnonymized"); anonymized && *anonymized)
    candidacy.extra["anonymized"] = true;
  return finish(std::move(candidacy), problems);
}

}  // namespace atsm::lever
