#include "lever_mapping.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include <atsmigrate/model/time.hpp>

#include "lever_mapping_fields.hpp"

namespace atsm::lever {
namespace json = boost::json;

namespace {

// Lever score-system options read "4 - Strong Hire"; plain scores are 1..4 (number or string).
std::optional<model::Recommendation> recommendation_of(const json::value& value) {
  std::optional<std::int64_t> score;
  if (value.is_int64() || value.is_uint64() || value.is_double()) {
    score = parse_millis(value);
  } else if (value.is_string() && !value.as_string().empty()) {
    char first = value.as_string()[0];
    if (first >= '1' && first <= '4')
      score = first - '0';
  }
  if (!score)
    return std::nullopt;
  switch (*score) {
    case 1:
      return model::Recommendation::strong_no;
    case 2:
      return model::Recommendation::no;
    case 3:
      return model::Recommendation::yes;
    case 4:
      return model::Recommendation::strong_yes;
    default:
      return std::nullopt;
  }
}

model::RatingScale option_scale(const json::array* options) {
  model::RatingScale scale;
  if (options == nullptr)
    return scale;
  for (const json::value& option : *options) {
    if (option.is_object()) {
      if (const json::value* text = option.as_object().if_contains("text"))
        scale.values.push_back(*text);
    } else if (option.is_string()) {
      scale.values.push_back(option);
    }
  }
  // Lever lists ratings best first; the model wants worst first.
  std::reverse(scale.values.begin(), scale.values.end());
  return scale;
}

std::vector<json::value> option_values(const json::array* options) {
  std::vector<json::value> values;
  if (options != nullptr)
    for (const json::value& option : *options)
      if (option.is_object() && option.as_object().contains("text"))
        values.push_back(option.as_object().at("text"));
  return values;
}

model::RatingScale one_to_four() {
  model::RatingScale scale;
  scale.min = 1;
  scale.max = 4;
  return scale;
}

// Lever form fields (feedback and profile forms; docs/vendors/lever.md §5) -> canonical feedback
// fields.
void map_form_fields(const json::array* fields, ValidationErrors& problems,
                     std::vector<model::FeedbackField>& out,
                     std::optional<model::Recommendation>& recommendation) {
  if (fields == nullptr)
    return;
  // The documented interview form rates the candidate with a `score` field "4 - Strong Hire"
  // and no `overall` flag (tests/lever/docs/lever_docs_examples.json "feedback_retrieve"); a form
  // that flags none takes its first score as the overall one.
  bool any_overall = false;
  const json::value* first_score = nullptr;
  for (std::size_t i = 0; i < fields->size(); ++i) {
    const std::string at = "fields[" + std::to_string(i) + "]";
    Fields field((*fields)[i], problems, at);
    std::string type = field.text("type").value_or("");
    model::FeedbackField mapped;
    mapped.label = field.text("text").value_or("");
    const json::value* value = field.get("value");
    if (const json::value* raw_value =
            (*fields)[i].is_object() ? (*fields)[i].as_object().if_contains("value") : nullptr)
      mapped.value = *raw_value;  // JSON null = unanswered, kept as null
    if (type == "scorecard") {
      // One canonical field per skill, grouped under the scorecard's label.
      const json::array* skills = field.array("scores");
      const json::array* ratings =
          value != nullptr && value->is_array() ? &value->as_array() : nullptr;
      if (value != nullptr && ratings == nullptr)
        problems.add(at + ".value",
                     std::string("expected an array, got ") + kit::json_type(*value));
      std::size_t count = std::max(skills ? skills->size() : 0, ratings ? ratings->size() : 0);
      for (std::size_t s = 0; s < count; ++s) {
        model::FeedbackField skill;
        // A rating, not a scorecard_attribute: the Lever feedback's text keeps every skill with
        // its rating and scale, so nothing is lost and no structured note is due (docs/mapping.md
        // §7 gives those to Greenhouse scorecards).
        skill.type = model::FeedbackFieldType::rating;
        skill.category = mapped.label;
        skill.scale = one_to_four();
        if (skills && s < skills->size() && (*skills)[s].is_object()) {
          const json::value* text = (*skills)[s].as_object().if_contains("text");
          if (text && text->is_string())
            skill.label = std::string(text->as_string());
        }
        if (skill.label.empty())
          skill.label = mapped.label + " " + std::to_string(s + 1);
        if (ratings && s < ratings->size() && (*ratings)[s].is_object()) {
          const json::object& rating = (*ratings)[s].as_object();
          if (const json::value* score = rating.if_contains("score"))
            skill.value = *score;
          if (const json::value* comment = rating.if_contains("comment");
              comment && comment->is_string())
            skill.note = std::string(comment->as_string());
        } else {
          skill.value = nullptr;
        }
        out.push_back(std::move(skill));
      }
      continue;
    }
    if (type == "score-system") {
      mapped.type = model::FeedbackFieldType::rating;
      mapped.scale = option_scale(field.array("options"));
      if (value != nullptr)
        recommendation = recommendation_of(*value);
    } else if (type == "score") {
      mapped.type = model::FeedbackFieldType::score;
      mapped.scale = one_to_four();
      bool overall = field.boolean("overall").value_or(false);
      any_overall = any_overall || overall;
      if (value != nullptr && first_score == nullptr)
        first_score = value;
      if (value != nullptr && !recommendation && overall)
        recommendation = recommendation_of(*value);
    } else if (type == "yes-no") {
      mapped.type = model::FeedbackFieldType::yes_no;
      if (value != nullptr &&
          !(value->is_string() && (value->as_string() == "yes" || value->as_string() == "no")))
        problems.add(at + ".value", "expected \"yes\", \"no\" or null");
    } else if (type == "text" || type == "university") {
      mapped.type = model::FeedbackFieldType::text;
    } else if (type == "code") {
      mapped.type = model::FeedbackFieldType::text;
      if (std::optional<std::string> language = field.text("language"))
        mapped.extra["language"] = *language;
    } else if (type == "textarea") {
      mapped.type = model::FeedbackFieldType::textarea;
    } else if (type == "dropdown") {
      mapped.type = model::FeedbackFieldType::dropdown;
    } else if (type == "multiple-choice") {
      mapped.type = model::FeedbackFieldType::multiple_choice;
    } else if (type == "multiple-select") {
      mapped.type = model::FeedbackFieldType::multiple_select;
    } else if (type == "date") {
      mapped.type = model::FeedbackFieldType::date;
      if (value != nullptr) {
        if (std::optional<std::int64_t> ms = field.millis("value")) {
          if (std::optional<std::string> date = date_of_local_midnight(*ms))
            mapped.value = *date;
          else
            problems.add(at + ".value", "date is outside years 0000-9999");
        }
      }
    } else if (type == "currency") {
      mapped.type = model::FeedbackFieldType::number;
      if (std::optional<std::string> currency = field.text("currency"))
        mapped.extra["currency"] = *currency;
    } else if (type == "file-upload") {
      mapped.type = model::FeedbackFieldType::other;
    } else {
      mapped.type = model::FeedbackFieldType::other;
      problems.add(at + ".type", "unknown field type \"" + type + "\"");
    }
    std::vector<json::value> options = option_values(field.array("options"));
    if (!options.empty() && mapped.type != model::FeedbackFieldType::rating)
      mapped.extra["options"] = json::array(options.begin(), options.end());
    if (std::optional<std::string> description = field.text("description");
        description && !description->empty())
      mapped.extra["description"] = *description;
    out.push_back(std::move(mapped));
  }
  if (!recommendation && !any_overall && first_score != nullptr)
    recommendation = recommendation_of(*first_score);
}

}  // namespace

// ---- children
// -------------------------------------------------------------------------------------

model::Record map_note(const json::value& raw, const OpportunityRef& opportunity) {
  ValidationErrors problems;
  Fields f(raw, problems);
  auto note = start_record<model::Note>(raw, "note", f.required_id("id"));
  note.person_key = child_key_person(opportunity);
  note.candidacy_key = source_key("opportunity", opportunity.id);
  std::optional<std::string> note_author = f.ref_id("user");
  note.author_user_key = user_key(note_author);
  note.created_at = f.time("createdAt");
  note.is_private = f.boolean("secret");
  f.millis("deletedAt");
  note.deleted = f.get("deletedAt") != nullptr;
  // A note is a thread: one field per comment. The body keeps every comment in order; later
  // comments name their author and time because the target credits the whole note to one user.
  std::string body;
  if (const json::array* comments = f.array("fields")) {
    for (std::size_t i = 0; i < comments->size(); ++i) {
      Fields comment((*comments)[i], problems, "fields[" + std::to_string(i) + "]");
      std::optional<std::string> value = comment.text("value");
      if (!value)
        continue;
      // A comment's score and the stage it was written at (note_retrieve) stay in the body,
      // which is what reaches the target.
      std::string context;
      if (const json::value* score = comment.get("score"))
        context = "score " +
                  (score->is_string() ? std::string(score->as_string()) : json::serialize(*score));
      if (std::optional<std::string> stage = comment.ref_id("stage"))
        context +=
            (context.empty() ? "" : ", ") + std::string("at stage ") + source_key("stage", *stage);
      if (!context.empty())
        *value += " [" + context + "]";
      std::optional<std::string> by = comment.ref_id("user");
      // Later comments, and a first one written by someone else than the note's author, say who
      // wrote them: the target credits the whole note to one user.
      if (!body.empty() || (by && by != note_author)) {
        body += body.empty() ? "" : "\n\n";
        std::optional<std::string> at = comment.time("createdAt");
        body += "— reply";
        if (by)
          body += " by " + source_key("user", *by);
        if (at)
          body += " at " + *at;
        body += ":\n";
      }
      body += *value;
    }
  }
  if (body.empty()) {
    if (std::optional<std::string> text = f.text("text"))
      body = *text;
    else
      problems.add("fields", "note has no text");
  }
  note.body = body;
  note.body_format = model::BodyFormat::text;
  return finish(std::move(note), problems);
}

namespace {

model::Record map_form(const json::value& raw, const OpportunityRef& opportunity,
                       const char* object) {
  ValidationErrors problems;
  Fields f(raw, problems);
  auto feedback = start_record<model::Feedback>(raw, object, f.required_id("id"));
  feedback.person_key = child_key_person(opportunity);
  feedback.candidacy_key = source_key("opportunity", opportunity.id);
  // The retrieved form names user/interview, the documented update response userId/interviewId
  // ("feedback_retrieve", "feedback_update_response").
  std::optional<std::string> author = f.ref_id("user");
  feedback.author_user_key = user_key(author ? author : f.ref_id("userId"));
  std::optional<std::string> interview = f.ref_id("interview");
  if (!interview)
    interview = f.ref_id("interviewId");
  if (interview)
    feedback.interview_key = source_key("interview", *interview);
  feedback.form_name = f.text("text");
  feedback.submitted_at = f.time("completedAt");
  if (!feedback.submitted_at)
    feedback.submitted_at = f.time("createdAt");
  if (std::optional<std::string> type =
          f.one_of("type", {"interview", "assignment", "assigment", "share", "form", "referral"}))
    feedback.extra["feedback_type"] = *type;
  if (std::optional<std::string> instructions = f.text("instructions");
      instructions && !instructions->empty())
    feedback.extra["instructions"] = *instructions;
  if (std::optional<std::string> template_id = f.text("baseTemplateId"))
    feedback.extra["template_id"] = *template_id;
  map_form_fields(f.array("fields"), problems, feedback.fields, feedback.recommendation);
  return finish(std::move(feedback), problems);
}

}  // namespace

model::Record map_feedback(const json::value& raw, const OpportunityRef& opportunity) {
  return map_form(raw, opportunity, "feedback");
}

model::Record map_profile_form(const json::value& raw, const OpportunityRef& opportunity) {
  return map_form(raw, opportunity, "form");
}

model::Record map_interview(const json::value& raw, const OpportunityRef& opportunity,
                            std::int64_t now_ms) {
  ValidationErrors problems;
  Fields f(raw, problems);
  auto interview = start_record<model::Interview>(raw, "interview", f.required_id("id"));
  interview.person_key = child_key_person(opportunity);
  interview.candidacy_key = source_key("opportunity", opportunity.id);
  interview.title = f.text("subject");
  std::optional<std::int64_t> date = f.millis("date");
  interview.start_at = f.time("date");
  if (date) {
    if (std::optional<std::int64_t> minutes = f.millis("duration")) {
      try {
        interview.end_at = model::format_epoch_millis(*date + *minutes * 60'000);
      } catch (const std::out_of_range&) {
        problems.add("duration", "interview end is outside years 0000-9999");
      }
    }
  }
  interview.location = f.text("location");
  if (interview.location && interview.location->empty())
    interview.location.reset();
  if (const json::array* interviewers = f.array("interviewers")) {
    for (std::size_t i = 0; i < interviewers->size(); ++i) {
      Fields person((*interviewers)[i], problems, "interviewers[" + std::to_string(i) + "]");
      model::Interviewer mapped;
      mapped.user_key = user_key(person.text("id"));
      mapped.name = person.text("name");
      if (std::optional<std::string> email = person.text("email"); email && !email->empty())
        mapped.extra["email"] = *email;
      interview.interviewers.push_back(std::move(mapped));
    }
  }
  f.millis("canceledAt");
  if (f.get("canceledAt") != nullptr)
    interview.status = "canceled";
  else if (date)
    interview.status = *date <= now_ms ? "completed" : "scheduled";
  for (const std::string& form : f.strings("feedbackForms"))
    interview.feedback_keys.push_back(source_key("feedback", form));
  if (std::optional<std::string> stage = f.ref_id("stage"))
    interview.extra["stage_key"] = source_key("stage", *stage);
  if (std::optional<std::string> panel = f.ref_id("panel"))
    interview.extra["panel"] = *panel;
  if (std::optional<std::string> note = f.text("note"); note && !note->empty())
    interview.extra["note"] = *note;
  return finish(std::move(interview), problems);
}

model::Record map_offer(const json::value& raw, const OpportunityRef& opportunity) {
  ValidationErrors problems;
  Fields f(raw, problems);
  auto offer = start_record<model::Offer>(raw, "offer", f.required_id("id"));
  offer.person_key = child_key_person(opportunity);
  offer.candidacy_key = source_key("opportunity", opportunity.id);
  offer.status = f.one_of("status", {"draft", "approval-sent", "approved", "sent", "sent-manually",
                                     "opened", "denied", "signed"});
  offer.created_at = f.time("createdAt");
  offer.sent_at = f.time("sentAt");
  offer.creator_user_key = user_key(f.ref_id("creator"));
  // Offer letters (offers_list: sentDocument/signedDocument {fileName, uploadedAt, downloadUrl})
  // become file records on the candidacy (offer_document_key); the offer names them.
  json::array documents;
  for (const char* status : {"sent", "signed"}) {
    std::string member = std::string(status) + "Document";
    const json::object* document = f.object(member.c_str());
    if (document == nullptr)
      continue;
    json::value document_value(*document);
    Fields d(document_value, problems, member);
    std::optional<std::string> uploaded = d.time("uploadedAt");
    if (std::string(status) == "sent" && !offer.sent_at)
      offer.sent_at = uploaded;  // the documented offers carry no sentAt
    if (std::string(status) == "signed" && (offer.status == "signed" || offer.status == "denied"))
      offer.resolved_at = uploaded;
    json::object named{{"status", status}, {"file_name", d.text("fileName").value_or("")}};
    if (!offer.source_key.empty() && f.get("id") != nullptr)
      named["file_key"] = offer_document_key(f.text("id").value_or(""), status);
    documents.push_back(std::move(named));
  }
  if (!documents.empty())
    offer.extra["documents"] = std::move(documents);
  if (const json::array* fields = f.array("fields")) {
    for (std::size_t i = 0; i < fields->size(); ++i) {
      Fields field((*fields)[i], problems, "fields[" + std::to_string(i) + "]");
      model::OfferField mapped;
      std::optional<std::string> identifier = field.text("identifier");
      mapped.label = field.text("text").value_or(identifier.value_or(""));
      if (identifier)
        mapped.extra["identifier"] = *identifier;
      const json::value* value = field.get("value");
      mapped.value = value ? *value : json::value(nullptr);
      if (identifier == std::optional<std::string>("anticipated_start_date") && value) {
        // A date string ("2024-05-01") or epoch ms.
        if (value->is_string() && model::is_valid_date(value->as_string().subview().substr(0, 10)))
          offer.start_date = std::string(value->as_string().subview().substr(0, 10));
        else if (std::optional<std::int64_t> ms = parse_millis(*value))
          offer.start_date = date_of_local_midnight(*ms);
        else
          problems.add(field.path("value"), "start date is neither a date nor epoch milliseconds");
      }
      offer.fields.push_back(std::move(mapped));
    }
  }
  return finish(std::move(offer), problems);
}

}  // namespace atsm::lever
