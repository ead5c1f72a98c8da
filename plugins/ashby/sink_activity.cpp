// Notes, feedback, interviews and offers: what becomes a candidate note or a submitted feedback.
#include "ashby_sink.hpp"

#include <algorithm>

#include "render.hpp"
#include "sink_support.hpp"

namespace atsm::ashby {

std::string AshbySink::create_note(const std::string& candidate_id, const std::string& content,
                                   bool is_private, const std::optional<std::string>& created_at,
                                   const std::string& hash, bool look_first, NoteFormat format) {
  if (look_first)
    if (auto found = find_note_by_hash(candidate_id, hash))
      return *found;
  NoteContent sent = format == NoteFormat::composed_html
                         ? composed_note_content(content)
                         : NoteContent{format == NoteFormat::plain_text, content};
  object body{{"candidateId", candidate_id},
              {"note", object{{"type", sent.plain_text ? "text/plain" : "text/html"},
                              {"value", std::move(sent.value)}}},
              {"sendNotifications", false}};
  if (is_private)
    body["isPrivate"] = true;
  if (created_at)
    body["createdAt"] = *created_at;
  object note = as_object(client_.results("candidate.createNote", body, CallKind::create),
                          "candidate.createNote");
  std::string id = text_of(note, "id");
  if (id.empty())
    throw sdk::Error(ATSM_AMBIGUOUS, "candidate.createNote answered a note without an id",
                     "malformed_response");
  return id;
}

void AshbySink::write_note(const WriteItem& item, ItemResult& result) {
  const model::Note& note = std::get<model::Note>(item.record);
  if (note.deleted.value_or(false)) {
    result.skipped = "deleted in the source";
    return;
  }
  std::string candidate_id = ref(item, note.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + note.person_key + " has no target id in refs");
  std::string hash = reference_hash(item.key, "note");
  if (!item.target_id.empty()) {
    result.target_id = item.target_id;  // Ashby cannot edit a note; the one written stays
    result.lossy.push_back("note changed in the source: Ashby notes cannot be edited");
    return;
  }
  // Plain text goes as text/plain, its line breaks kept; HTML as text/html only where Ashby's
  // elements show its lines, else as text/plain (note_content).
  NoteContent content = note_content(note, hash);
  std::string id = create_note(candidate_id, content.value, note.is_private.value_or(false),
                               note.created_at, hash, item.lookup_first,
                               content.plain_text ? NoteFormat::plain_text : NoteFormat::html);
  result.target_id = candidate_id + ":" + id;
}

void AshbySink::write_feedback(const WriteItem& item, ItemResult& result) {
  const model::Feedback& feedback = std::get<model::Feedback>(item.record);
  std::string candidate_id = ref(item, feedback.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + feedback.person_key + " has no target id in refs");
  std::string application_id = ref(item, feedback.candidacy_key);
  const bool attributes = has_attribute_ratings(feedback);
  const std::string feedback_hash = reference_hash(item.key, "feedback");
  const std::string scorecard_hash = reference_hash(item.key, "scorecard");
  if (!item.target_id.empty()) {
    result.target_id = item.target_id;
    result.lossy.push_back("feedback changed in the source: Ashby feedback cannot be edited");
    return;
  }
  result.lossy.push_back("feedback cannot be backdated in Ashby: the original time is in the text");
  if (application_id.empty()) {
    result.lossy.push_back("feedback on a candidacy without an application: a candidate note");
    std::string note_id =
        create_note(candidate_id, feedback_note_html(feedback, feedback_hash), false,
                    feedback.submitted_at, feedback_hash, item.lookup_first);
    result.target_id = candidate_id + ":" + note_id;
  } else if (plan_options_.scorecards != "note" || !attributes) {
    std::optional<std::string> existing;
    if (item.lookup_first)
      existing = find_feedback_by_hash(application_id, feedback_hash);
    if (existing) {
      result.target_id = application_id + ":" + *existing;
    } else {
      FormInfo form = feedback_form();
      array submissions;
      if (!form.score_path.empty())
        if (auto score = feedback_score(feedback))
          submissions.push_back(
              object{{"path", form.score_path}, {"value", object{{"score", *score}}}});
      std::string text = feedback_text(feedback, feedback_hash);
      submissions.push_back(
          object{{"path", form.text_path},
                 {"value", form.text_type == "RichText"
                               ? value(object{{"type", "PlainText"}, {"value", text}})
                               : value(text)}});
      object body{{"formDefinitionId", form.id},
                  {"applicationId", application_id},
                  {"feedbackForm", object{{"fieldSubmissions", std::move(submissions)}}}};
      if (std::string user = ref(item, feedback.author_user_key); !user.empty())
        body["userId"] = user;
      else
        result.lossy.push_back("interviewer not mapped: credited to the API key's user");
      object submitted =
          as_object(client_.results("applicationFeedback.submit", body, CallKind::create),
                    "applicationFeedback.submit");
      const object* instance = object_at(submitted, "submittedFormInstance");
      std::string id = instance ? text_of(*instance, "id") : "";
      if (id.empty())
        throw sdk::Error(ATSM_AMBIGUOUS,
                         "applicationFeedback.submit answered without a submitted form instance",
                         "malformed_response");
      result.target_id = application_id + ":" + id;
    }
  }
  if (attributes && plan_options_.scorecards != "feedback") {
    std::string note_id =
        create_note(candidate_id, scorecard_note_html(feedback, scorecard_hash), false,
                    feedback.submitted_at, scorecard_hash, item.lookup_first);
    std::string target = candidate_id + ":" + note_id;
    if (result.target_id.empty())
      result.target_id = target;
    else
      result.derived.push_back(
          object{{"kind", "note"}, {"target_id", target}, {"what", "structured scorecard note"}});
    result.lossy.push_back("per-attribute ratings kept in a structured note");
  }
}

std::string AshbySink::application_job_title(const std::string& application_id) {
  if (application_id.empty())
    return {};
  {
    std::lock_guard lock(mutex_);
    if (std::optional<std::string> title = application_jobs_.find(application_id))
      return *title;
  }
  object app = as_object(client_.results("application.info",
                                         object{{"applicationId", application_id}}, CallKind::read),
                         "application.info");
  const object* job = object_at(app, "job");
  std::string title = job ? text_of(*job, "title") : "";
  std::lock_guard lock(mutex_);
  application_jobs_.remember(application_id, title);
  return title;
}

void AshbySink::write_interviews(const WriteItem& item, ItemResult& result) {
  std::vector<model::Interview> interviews{std::get<model::Interview>(item.record)};
  for (const model::Record& member : item.group)
    if (const auto* interview = std::get_if<model::Interview>(&member))
      interviews.push_back(*interview);
  std::stable_sort(interviews.begin(), interviews.end(), [](const auto& a, const auto& b) {
    return epoch_ms(a.start_at.value_or("")) < epoch_ms(b.start_at.value_or(""));
  });
  const model::Interview& first = interviews.front();
  std::string candidate_id = ref(item, first.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + first.person_key + " has no target id in refs");
  if (!item.target_id.empty()) {
    result.target_id = item.target_id;
    result.lossy.push_back("interviews changed in the source: Ashby notes cannot be edited");
    return;
  }
  std::string hash = reference_hash(item.key, "interviews");
  std::string html =
      interviews_note_html(interviews, application_job_title(ref(item, first.candidacy_key)), hash);
  std::string id = create_note(candidate_id, html, false, first.start_at, hash, item.lookup_first);
  result.target_id = candidate_id + ":" + id;
  result.lossy.push_back("interviews kept as a note; no interview schedule is created");
}

void AshbySink::write_offer(const WriteItem& item, ItemResult& result) {
  const model::Offer& offer = std::get<model::Offer>(item.record);
  std::string candidate_id = ref(item, offer.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + offer.person_key + " has no target id in refs");
  if (!item.target_id.empty()) {
    result.target_id = item.target_id;
    result.lossy.push_back("offer changed in the source: Ashby notes cannot be edited");
    return;
  }
  std::string hash = reference_hash(item.key, "offer");
  std::string html =
      offer_note_html(offer, application_job_title(ref(item, offer.candidacy_key)), hash);
  std::string id =
      create_note(candidate_id, html, false, offer.created_at, hash, item.lookup_first);
  result.target_id = candidate_id + ":" + id;
  result.lossy.push_back("offer kept as a note: Ashby's offer flow cannot be backdated");
}

}  // namespace atsm::ashby
