// find: what an ambiguous earlier attempt created, by the lookups lookup_first uses (a
// candidate's and a file's live with their writers: sink_candidates.cpp, sink_files.cpp).
#include "ashby_sink.hpp"

#include "render.hpp"
#include "sink_support.hpp"

namespace atsm::ashby {

std::optional<std::string> AshbySink::find_job(const WriteItem& item) {
  const model::Job& job = std::get<model::Job>(item.record);
  std::vector<object> jobs = client_.list_all("job.list", kEveryJobStatus);
  std::optional<std::string> found;
  // The most recent job of that title: an ambiguous create is the newest one.
  for (const object& candidate : jobs)
    if (text_of(candidate, "title") == job.title)
      found = text_of(candidate, "id");
  return found;
}

std::optional<std::string> AshbySink::find_application(const WriteItem& item) {
  const model::Candidacy& candidacy = std::get<model::Candidacy>(item.record);
  std::string candidate_id = ref(item, candidacy.person_key);
  std::string job_id = ref(item, candidacy.job_key);
  if (candidate_id.empty())
    return std::nullopt;
  object candidate =
      as_object(client_.results("candidate.info", object{{"id", candidate_id}}, CallKind::read),
                "candidate.info");
  const array* ids = array_at(candidate, "applicationIds");
  std::optional<std::string> unlabelled;
  for (const value& app_id : ids ? *ids : array{}) {
    if (!app_id.is_string())
      continue;
    object app =
        as_object(client_.results("application.info", object{{"applicationId", app_id.as_string()}},
                                  CallKind::read),
                  "application.info");
    std::string legacy = custom_value_by_title(app, config_.legacy_application_field);
    if (legacy == candidacy.source_key)
      return std::string(app_id.as_string());
    const object* job = object_at(app, "job");
    bool same_job = job != nullptr && (job_id.empty() || text_of(*job, "id") == job_id);
    // An ambiguous create never set the legacy id: same job, the backdated creation time.
    if (legacy.empty() && same_job && !unlabelled &&
        (!candidacy.created_at || same_instant(candidacy.created_at, text_of(app, "createdAt"))))
      unlabelled = std::string(app_id.as_string());
  }
  return unlabelled;
}

std::optional<std::string> AshbySink::find_note_by_hash(const std::string& candidate_id,
                                                        const std::string& hash) {
  std::string mark = reference_text(hash);
  for (const object& note :
       client_.list_all("candidate.listNotes", object{{"candidateId", candidate_id}}))
    if (text_of(note, "content").find(mark) != std::string::npos)
      return text_of(note, "id");
  return std::nullopt;
}

std::optional<std::string> AshbySink::find_feedback_by_hash(const std::string& application_id,
                                                            const std::string& hash) {
  std::string mark = reference_text(hash);
  for (const object& feedback :
       client_.list_all("applicationFeedback.list", object{{"applicationId", application_id}})) {
    if (const object* values = object_at(feedback, "submittedValues"))
      if (json::serialize(*values).find(mark) != std::string::npos)
        return text_of(feedback, "id");
  }
  return std::nullopt;
}

std::optional<std::string> AshbySink::find_item(const std::string& kind, const WriteItem& item) {
  auto by_name = [&](const std::string& method, const char* key,
                     const std::string& name) -> std::optional<std::string> {
    forget(method);
    for (const object& entry : cached_list(method))
      if (same_name(text_of(entry, key), name))
        return text_of(entry, "id");
    return std::nullopt;
  };
  auto note_in = [&](const std::string& person_key,
                     const char* purpose) -> std::optional<std::string> {
    std::string candidate_id = ref(item, person_key);
    if (candidate_id.empty())
      return std::nullopt;
    if (auto found = find_note_by_hash(candidate_id, reference_hash(item.key, purpose)))
      return candidate_id + ":" + *found;
    return std::nullopt;
  };
  if (kind == "department")
    return by_name("department.list", "name", std::get<model::Department>(item.record).name);
  if (kind == "office")
    return by_name("location.list", "name", std::get<model::Office>(item.record).name);
  if (kind == "tag") {
    for (const object& tag : client_.list_all("candidateTag.list", object{}))
      if (same_name(text_of(tag, "title"), std::get<model::Tag>(item.record).name))
        return text_of(tag, "id");
    return std::nullopt;
  }
  if (kind == "custom_field") {
    const auto& field = std::get<model::CustomField>(item.record);
    forget("customField.list");
    for (const object& entry : cached_list("customField.list"))
      if (same_name(text_of(entry, "title"), field.name) &&
          text_of(entry, "objectType") == ashby_object_type(field.object))
        return text_of(entry, "id");
    return std::nullopt;
  }
  if (kind == "job")
    return find_job(item);
  if (kind == "person")
    return find_candidate(item);
  if (kind == "candidacy")
    return find_application(item);
  if (kind == "note")
    return note_in(std::get<model::Note>(item.record).person_key, "note");
  if (kind == "feedback") {
    const auto& feedback = std::get<model::Feedback>(item.record);
    std::string application_id = ref(item, feedback.candidacy_key);
    if (!application_id.empty())
      if (auto found = find_feedback_by_hash(application_id, reference_hash(item.key, "feedback")))
        return application_id + ":" + *found;
    if (auto found = note_in(feedback.person_key, "feedback"))
      return found;
    return note_in(feedback.person_key, "scorecard");
  }
  if (kind == "interview")
    return note_in(std::get<model::Interview>(item.record).person_key, "interviews");
  if (kind == "offer")
    return note_in(std::get<model::Offer>(item.record).person_key, "offer");
  if (kind == "file") {
    if (auto found = find_file(item))
      return ref(item, std::get<model::File>(item.record).person_key) + ":" + *found;
    return std::nullopt;
  }
  invalid("ashby find: kind '" + kind + "' is not one the Ashby sink writes");
}

std::optional<std::string> AshbySink::find(const std::string& kind, const std::string& item_json) {
  boost::system::error_code ec;
  value parsed = json::parse(item_json, ec);
  if (ec)
    invalid("ashby find of " + kind + ": the item is not JSON");
  WriteItem item = parse_write_item(parsed, kind);
  return find_item(kind, item);
}

}  // namespace atsm::ashby
