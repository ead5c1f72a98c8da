#include "greenhouse_mapping.hpp"

#include <algorithm>
#include <set>

#include <boost/json/serialize.hpp>

#include "greenhouse_mapping_fields.hpp"

namespace atsm::greenhouse {
namespace json = boost::json;

// ---- activity ----------------------------------------------------------------------------------

bool is_note(const json::value& raw) {
  if (!raw.is_object())
    return true;  // mapped, so its problems are reported
  const json::value* type = raw.as_object().if_contains("type");
  return type == nullptr || type->is_null() ||
         (type->is_string() && lower(std::string(type->as_string())) == "note");
}

model::Record map_note(const json::value& raw) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto note = start<model::Note>("note", raw, fields, problems);
  std::optional<std::string> candidate = fields.id("candidate_id");
  if (!candidate)
    problems.add("candidate_id", "required id is missing");
  note.person_key = source_key("candidate", candidate.value_or("missing"));
  note.candidacy_key = key_of("application", fields.id("application_id"));
  note.author_user_key = key_of("user", fields.id("user_id"));
  std::optional<std::string> body = fields.text("body");
  if (!body)
    problems.add("body", "a note without a body");
  std::optional<std::string> subject = fields.words("subject");
  if (subject)
    note.extra["subject"] = *subject;
  // A row that is not a plain note (a logged email, a LinkedIn message, ...) says what it was
  // in its first line.
  std::string type = fields.text("type").value_or("NOTE");
  note.body.clear();
  if (type != "NOTE") {
    note.extra["note_type"] = type;
    static const std::map<std::string, std::string> kLabels{
        {"EMAIL", "Logged email"},
        {"LINKEDIN_NOTE", "LinkedIn note"},
        {"LINKEDIN_INMAIL", "LinkedIn InMail"},
        {"FOLLOW_UP", "Follow-up reminder"},
        {"TAKE_HOME_TEST", "Take-home test"},
        {"ACTIVITY", "Activity"},
        {"INTERVIEW", "Interview"},
        {"FEEDBACK", "Feedback"},
        {"AVAILABILITY_REQUEST", "Availability request"},
        {"TOUCHPOINT", "Touchpoint"},
        {"FORM", "Form"},
        {"MIGRATION_ERROR", "Migration error"}};
    auto label = kLabels.find(type);
    note.body = "[Greenhouse " + (label == kLabels.end() ? type : label->second) + "]";
    if (subject)
      note.body += " " + *subject;
    for (const char* key : {"email_from", "email_to"})
      if (std::optional<std::string> address = fields.words(key))
        note.body += std::string("\n") + (key[6] == 'f' ? "From: " : "To: ") + *address;
    note.body += "\n";
  }
  note.body += body.value_or("");
  // v3 bodies are plain text: "Newline characters are stored verbatim and rendered as line
  // breaks" (sandbox/validator/greenhouse-v3/schemas/notes.json `body`).
  note.body_format = model::BodyFormat::text;
  note.created_at = fields.time("created_at");
  std::string visibility = fields.text("visibility").value_or("publicly_visible");
  if (visibility != "publicly_visible" && visibility != "privately_visible" &&
      visibility != "admin_only_visible" && visibility != "public" && visibility != "private" &&
      visibility != "admin_only")
    problems.add("visibility", "unknown visibility \"" + visibility + "\"; treated as private");
  note.is_private = visibility != "publicly_visible" && visibility != "public";
  note.extra["visibility"] = visibility;
  return finish(std::move(note), problems);
}

bool is_submitted_scorecard(const json::value& raw) {
  if (!raw.is_object())
    return true;  // mapped, so its problems are reported
  const json::value* status = raw.as_object().if_contains("status");
  if (status != nullptr && status->is_string())
    return status->as_string() == "complete";
  const json::value* submitted = raw.as_object().if_contains("submitted_at");
  return submitted != nullptr && !submitted->is_null();
}

model::Record map_scorecard(const json::value& raw, const std::vector<json::value>& attribute_rows,
                            const std::vector<json::value>& answer_rows,
                            const std::string& candidate_id,
                            const std::map<std::string, std::string>& attribute_names,
                            const std::map<std::string, std::string>& question_texts,
                            const std::optional<std::string>& form_name) {
  std::vector<json::value> attributes = oldest_first(attribute_rows);
  std::vector<json::value> answers = oldest_first(answer_rows);
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto feedback = start<model::Feedback>("scorecard", raw, fields, problems);
  if (candidate_id.empty())
    problems.add("application_id", "the scorecard's application was not found");
  feedback.person_key = source_key("candidate", candidate_id.empty() ? "missing" : candidate_id);
  feedback.candidacy_key = key_of("application", fields.id("application_id"));
  feedback.author_user_key = key_of("user", fields.id("interviewer_id"));
  if (std::optional<std::string> submitter = fields.id("submitter_id"))
    feedback.extra["submitted_by_user_key"] = source_key("user", *submitter);
  feedback.form_name = form_name;
  if (!feedback.form_name)
    feedback.form_name = fields.words("interview");
  if (!feedback.form_name)
    if (const json::object* step = fields.object("interview_step"))
      feedback.form_name = Fields(*step, problems, "interview_step").words("name");
  if (!feedback.form_name)
    feedback.form_name = "Scorecard";
  feedback.submitted_at = fields.time("submitted_at");
  if (std::optional<std::string> interviewed = fields.time("interviewed_at"))
    feedback.extra["interviewed_at"] = *interviewed;
  std::optional<std::string> rating = fields.text("candidate_rating");
  if (!rating)
    rating = fields.text("overall_recommendation");  // v1 spelling
  if (rating) {
    feedback.recommendation = recommendation(*rating);
    if (!feedback.recommendation)
      problems.add("candidate_rating",
                   "expected strong_no|no|yes|strong_yes|no_decision, got \"" + *rating + "\"");
  }

  model::RatingScale scale;
  for (const char* value : {"strong_no", "no", "mixed", "yes", "strong_yes"})
    scale.values.emplace_back(value);
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    std::string at = "scorecard_candidate_attributes[" + std::to_string(i) + "]";
    Fields row(attributes[i], problems, at);
    model::FeedbackField field;
    field.type = model::FeedbackFieldType::scorecard_attribute;
    std::optional<std::string> name = row.words("name");
    std::optional<std::string> attribute = row.id("job_candidate_attribute_id");
    if (!name && attribute) {
      auto known = attribute_names.find(*attribute);
      if (known != attribute_names.end())
        name = known->second;
    }
    if (!name) {
      problems.add(at + ".name", "the attribute's name is unknown");
      name = "Attribute " + attribute.value_or(std::to_string(i + 1));
    }
    field.label = *name;
    std::optional<std::string> value = row.text("candidate_attribute_rating");
    if (!value)
      value = row.text("rating");  // v1 spelling
    if (value) {
      // §6.5: definitely_not|no|yes|strong_yes|mixed|no_decision (v1 and v3 alike).
      static const std::set<std::string> kAttributeRatings{
          "definitely_not", "no", "yes", "strong_yes", "mixed", "no_decision"};
      std::optional<model::Recommendation> normalized =
          *value == "definitely_not"        ? std::optional(model::Recommendation::strong_no)
          : kAttributeRatings.count(*value) ? model::enum_from_string<model::Recommendation>(*value)
                                            : std::nullopt;
      field.value = json::string(normalized ? std::string(model::to_string(*normalized))
                                            : std::string(*value));
      if (!kAttributeRatings.count(*value))
        problems.add(
            at + ".candidate_attribute_rating",
            "expected definitely_not|no|yes|strong_yes|mixed|no_decision, got \"" + *value + "\"");
    }
    field.scale = scale;
    field.note = row.words("note");
    field.category = row.words("type");
    feedback.fields.push_back(std::move(field));
  }
  for (std::size_t i = 0; i < answers.size(); ++i) {
    std::string at = "scorecard_question_answers[" + std::to_string(i) + "]";
    Fields row(answers[i], problems, at);
    model::FeedbackField field;
    std::optional<std::string> question = row.words("question");  // v1 / inlined
    std::optional<std::string> question_id = row.id("scorecard_question_id");
    if (!question && question_id) {
      auto known = question_texts.find(*question_id);
      if (known != question_texts.end() && !known->second.empty())
        question = known->second;
      else
        problems.add(at + ".scorecard_question_id",
                     "the question " + *question_id + " is not listed by /v3/scorecard_questions");
    } else if (!question) {
      problems.add(at + ".scorecard_question_id", "the answer names no question");
    }
    if (!question)
      question = "Question " + question_id.value_or(std::to_string(i + 1));
    field.label = *question;
    if (std::optional<bool> yes_no = row.flag("boolean_value")) {
      field.type = model::FeedbackFieldType::yes_no;
      field.value = *yes_no;
    } else {
      field.type = model::FeedbackFieldType::textarea;
      if (std::optional<std::string> answer = row.text("answer"))
        field.value = json::string(*answer);
    }
    feedback.fields.push_back(std::move(field));
  }
  feedback.text = fields.words("notes");
  // The "note to other interviewers" (scorecards.json `public_notes`) is its own labelled field.
  if (std::optional<std::string> public_notes = fields.words("public_notes");
      public_notes && public_notes != feedback.text) {
    model::FeedbackField field;
    field.label = "Note to Other Interviewers";
    field.type = model::FeedbackFieldType::textarea;
    field.value = json::string(*public_notes);
    feedback.fields.push_back(std::move(field));
  }
  if (std::optional<std::string> private_notes = fields.words("private_notes")) {
    model::FeedbackField field;
    field.label = "Private Notes";
    field.type = model::FeedbackFieldType::textarea;
    field.value = json::string(*private_notes);
    feedback.fields.push_back(std::move(field));
  }
  feedback.raw = json::object{
      {"scorecard", raw},
      {"scorecard_candidate_attributes", json::array(attributes.begin(), attributes.end())},
      {"scorecard_question_answers", json::array(answers.begin(), answers.end())}};
  return finish(std::move(feedback), problems);
}

model::Record map_interview(const json::value& raw, const std::vector<json::value>& panel,
                            const std::string& candidate_id,
                            const std::optional<std::string>& job_interview_name) {
  std::vector<json::value> interviewers = oldest_first(panel);
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto interview = start<model::Interview>("interview", raw, fields, problems);
  if (candidate_id.empty())
    problems.add("application_id", "the interview's application was not found");
  interview.person_key = source_key("candidate", candidate_id.empty() ? "missing" : candidate_id);
  interview.candidacy_key = key_of("application", fields.id("application_id"));
  interview.title = job_interview_name;
  if (!interview.title)
    interview.title = fields.words("name");
  if (!interview.title)
    if (const json::object* kind = fields.object("interview"))
      interview.title = Fields(*kind, problems, "interview").words("name");
  interview.start_at = fields.time("starts_at");
  if (!interview.start_at)
    interview.start_at = day_start(fields.date("all_day_start_on"));
  interview.end_at = fields.time("ends_at");
  if (!interview.end_at)
    interview.end_at = day_start(fields.date("all_day_end_on"));
  interview.location = fields.words("location");
  interview.status = fields.words("status");
  if (std::optional<std::string> video = fields.words("video_conferencing_url"))
    interview.extra["video_conferencing_url"] = *video;
  if (std::optional<std::string> organizer = fields.id("organizer_id"))
    interview.extra["organizer_user_key"] = source_key("user", *organizer);
  for (std::size_t i = 0; i < interviewers.size(); ++i) {
    Fields row(interviewers[i], problems, "interviewers[" + std::to_string(i) + "]");
    model::Interviewer mapped;
    mapped.user_key = key_of("user", row.id("user_id"));
    mapped.name = row.words("name");
    if (std::optional<std::string> email = row.words("email"))
      mapped.extra["email"] = *email;
    if (std::optional<std::string> response = row.words("response_status"))
      mapped.extra["response_status"] = *response;
    if (std::optional<std::string> scorecard = row.id("scorecard_id"))
      interview.feedback_keys.push_back(source_key("scorecard", *scorecard));
    interview.interviewers.push_back(std::move(mapped));
  }
  interview.raw = json::object{
      {"interview", raw}, {"interviewers", json::array(interviewers.begin(), interviewers.end())}};
  return finish(std::move(interview), problems);
}

model::Record map_offer(const json::value& raw, const std::string& candidate_id) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto offer = start<model::Offer>("offer", raw, fields, problems);
  std::optional<std::string> own_candidate = fields.id("candidate_id");
  std::string candidate = own_candidate.value_or(candidate_id);
  if (candidate.empty())
    problems.add("application_id", "the offer's application was not found");
  offer.person_key = source_key("candidate", candidate.empty() ? "missing" : candidate);
  offer.candidacy_key = key_of("application", fields.id("application_id"));
  offer.status = fields.words("status");
  offer.created_at = fields.time("created_at");
  offer.sent_at = day_start(fields.date("sent_on"));
  if (!offer.sent_at)
    offer.sent_at = day_start(fields.date("sent_at"));  // v1: a date
  offer.resolved_at = fields.time("resolved_at");
  offer.start_date = fields.date("starts_on");
  if (!offer.start_date)
    offer.start_date = fields.date("starts_at");  // v1: a date
  if (std::optional<std::int64_t> version = fields.integer("version"))
    offer.fields.push_back({"Version", json::value(*version), {}});
  if (std::optional<std::string> opening = fields.id("opening_id"))
    offer.fields.push_back({"Opening", json::value(*opening), {}});
  if (const json::object* custom = fields.object("custom_fields"))
    for (const auto& [key, entry] : *custom) {
      std::string label(key);
      json::value value = entry;
      if (entry.is_object() && entry.as_object().contains("value")) {
        if (const json::value* name = entry.as_object().if_contains("name");
            name && name->is_string())
          label = std::string(name->as_string());
        value = entry.as_object().at("value");
      }
      if (!value.is_null())
        offer.fields.push_back({label, std::move(value), {}});
    }
  return finish(std::move(offer), problems);
}

model::Record map_attachment(const json::value& raw, const FetchedFile& fetched,
                             const std::string& application_candidate) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  json::value kept = raw;
  if (kept.is_object())
    if (json::value* url = kept.as_object().if_contains("url"); url && url->is_string()) {
      std::string text(url->as_string());
      *url = json::string(text.substr(0, text.find('?')));
    }
  auto file = start<model::File>("attachment", raw, fields, problems);
  file.raw = std::move(kept);
  // candidate_id may be null (attachments.json): the application's candidate then.
  std::optional<std::string> candidate = fields.id("candidate_id");
  if (!candidate && !application_candidate.empty())
    candidate = application_candidate;
  if (!candidate)
    problems.add("candidate_id", "required id is missing");
  file.person_key = source_key("candidate", candidate.value_or("missing"));
  file.candidacy_key = key_of("application", fields.id("application_id"));
  std::optional<std::string> name = fields.words("filename");
  if (!name)
    problems.add("filename", "an attachment without a file name");
  file.file_name = name.value_or("attachment-" + id_of(raw));
  std::optional<std::string> type = fields.words("type");
  file.is_resume = type == "resume";
  if (type)
    file.extra["attachment_type"] = *type;
  file.uploaded_at = fields.time("created_at");
  if (!fetched.sha256.empty())
    file.sha256 = fetched.sha256;
  file.size = fetched.size;
  file.content_type = fetched.content_type;
  file.skipped_reason = fetched.skipped_reason;
  file.fetch_failure = fetched.failure;
  return finish(std::move(file), problems);
}

}  // namespace atsm::greenhouse
