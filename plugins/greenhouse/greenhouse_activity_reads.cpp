#include "greenhouse_source.hpp"

namespace atsm::greenhouse {

// /v3/job_interviews.name by id: the title of an interview and of its kit's scorecards.
std::optional<std::string> GreenhouseSource::job_interview_name(
    const std::optional<std::string>& id) {
  if (!id)
    return std::nullopt;
  if (!job_interview_names_)
    job_interview_names_ = texts_by_id("job_interviews", "name");
  auto found = job_interview_names_->find(*id);
  return found == job_interview_names_->end() ? std::nullopt
                                              : std::optional<std::string>(found->second);
}

// A scorecard's form: its interview kit's job interview (scorecards.json interview_kit_id ->
// interview_kits.json job_interview_id -> job_interviews.json name).
std::optional<std::string> GreenhouseSource::form_name(const json::value& scorecard) {
  std::optional<std::string> kit = member_id(scorecard, "interview_kit_id");
  if (!kit)
    return std::nullopt;
  const auto& kits = account_list("interview_kits", "id");
  auto found = kits.find(*kit);
  if (found == kits.end())
    return std::nullopt;
  return job_interview_name(member_id(found->second.front(), "job_interview_id"));
}

// Answers by scorecard, a select question's chosen options written into its `answer` (v3
// leaves it null: the choices are /v3/scorecard_question_answer_options rows naming
// /v3/scorecard_question_options), a yes/no question's boolean_value as Yes/No.
const std::map<std::string, std::vector<json::value>>& GreenhouseSource::scorecard_answers() {
  if (scorecard_answers_)
    return *scorecard_answers_;
  std::map<std::string, std::string> option_names =
      texts_by_id("scorecard_question_options", "name");
  std::map<std::string, std::vector<std::string>> chosen;  // answer id -> option names
  for (auto& [answer, rows] :
       whole_list("scorecard_question_answer_options", "scorecard_question_answer_id")) {
    // In the order they were chosen (lists run id-descending).
    std::sort(rows.begin(), rows.end(), [](const json::value& a, const json::value& b) {
      return numeric_id(a) < numeric_id(b);
    });
    for (const json::value& row : rows)
      if (std::optional<std::string> option = member_id(row, "scorecard_question_option_id"))
        chosen[answer].push_back(option_names.count(*option) ? option_names[*option]
                                                             : "option " + *option);
  }
  std::map<std::string, std::vector<json::value>> answers =
      whole_list("scorecard_question_answers", "scorecard_id");
  for (auto& [card, rows] : answers)
    for (json::value& row : rows) {
      if (!row.is_object())
        continue;
      json::object& object = row.as_object();
      const json::value* answer = object.if_contains("answer");
      bool empty = answer == nullptr || answer->is_null() ||
                   (answer->is_string() && answer->as_string().empty());
      if (!empty)
        continue;
      if (auto found = chosen.find(id_of(row)); found != chosen.end()) {
        std::string text;
        for (const std::string& name : found->second)
          text += (text.empty() ? "" : ", ") + name;
        object["answer"] = text;
      } else if (const json::value* flag = object.if_contains("boolean_value");
                 flag && flag->is_bool()) {
        object["answer"] = flag->as_bool() ? "Yes" : "No";
      }
    }
  scorecard_answers_ = std::move(answers);
  return *scorecard_answers_;
}

void GreenhouseSource::read_notes(const Position& from, sdk::Emitter& emitter) {
  std::int64_t last = from.last_id;
  walk("notes", delta(), from, "list /v3/notes",
       [&](json::array& items, const std::optional<std::string>&,
           const std::optional<std::string>& next) {
         std::vector<model::Record> records;
         // Every type: logged emails, LinkedIn messages, follow-ups... each says what it was.
         for (const json::value& item : items)
           records.push_back(map_note(item));
         last = last_id_of(items, last);
         emit(emitter, "note", records, next ? checkpoint_text(next, last) : "");
       });
}

// Read once, when the rows do not inline them (the documented v3 shape, §6.5).
const std::map<std::string, std::string>& GreenhouseSource::attribute_names() {
  if (!attribute_names_)
    attribute_names_ = texts_by_id("job_candidate_attributes", "name");
  return *attribute_names_;
}

const std::map<std::string, std::string>& GreenhouseSource::question_texts() {
  if (!question_texts_)
    question_texts_ = texts_by_id("scorecard_questions", "question");
  return *question_texts_;
}

void GreenhouseSource::read_scorecards(const Position& from, sdk::Emitter& emitter) {
  std::int64_t last = from.last_id;
  const std::map<std::string, std::string> no_names;
  walk("scorecards", delta(), from, "list /v3/scorecards",
       [&](json::array& items, const std::optional<std::string>&,
           const std::optional<std::string>& next) {
         json::array submitted;
         for (const json::value& item : items) {
           if (is_submitted_scorecard(item))
             submitted.push_back(item);
           else
             ++skipped_;
         }
         learn_candidates(submitted);
         // No source documents a parent filter on these lists: each is read whole once.
         const auto& attributes = account_list("scorecard_candidate_attributes", "scorecard_id");
         const auto& answers = scorecard_answers();
         bool names_needed = false;
         for (const auto& [card, rows] : attributes)
           for (const json::value& row : rows)
             if (!row.is_object() || !row.as_object().contains("name"))
               names_needed = true;
         bool questions_needed = false;
         for (const auto& [card, rows] : answers)
           for (const json::value& row : rows)
             if (!row.is_object() || !row.as_object().contains("question"))
               questions_needed = true;
         std::vector<model::Record> records;
         const std::vector<json::value> none;
         for (const json::value& item : submitted) {
           std::string id = id_of(item);
           auto rows = [&](const auto& grouped) -> const std::vector<json::value>& {
             auto found = grouped.find(id);
             return found == grouped.end() ? none : found->second;
           };
           records.push_back(
               map_scorecard(item, rows(attributes), rows(answers), candidate_of(item),
                             names_needed ? attribute_names() : no_names,
                             questions_needed ? question_texts() : no_names, form_name(item)));
         }
         last = last_id_of(items, last);
         emit(emitter, "feedback", records, next ? checkpoint_text(next, last) : "");
       });
}

void GreenhouseSource::read_interviews(const Position& from, sdk::Emitter& emitter) {
  std::int64_t last = from.last_id;
  walk("interviews", delta(), from, "list /v3/interviews",
       [&](json::array& items, const std::optional<std::string>&,
           const std::optional<std::string>& next) {
         learn_candidates(items);
         // Panels: /v3/interviewers defines no parent filter, so it is read whole once.
         const auto& panels = account_list("interviewers", "interview_id");
         const std::vector<json::value> none;
         std::vector<model::Record> records;
         for (const json::value& item : items) {
           auto panel = panels.find(id_of(item));
           records.push_back(
               map_interview(item, panel == panels.end() ? none : panel->second, candidate_of(item),
                             job_interview_name(member_id(item, "job_interview_id"))));
         }
         last = last_id_of(items, last);
         emit(emitter, "interview", records, next ? checkpoint_text(next, last) : "");
       });
}

void GreenhouseSource::read_offers(const Position& from, sdk::Emitter& emitter) {
  std::int64_t last = from.last_id;
  // Only each offer's current version: edits list superseded ones as Deprecated (§6.6).
  Query query = delta();
  query.emplace_back("current_only", "true");
  walk("offers", query, from, "list /v3/offers",
       [&](json::array& items, const std::optional<std::string>&,
           const std::optional<std::string>& next) {
         learn_candidates(items);
         std::vector<model::Record> records;
         for (const json::value& item : items)
           records.push_back(map_offer(item, candidate_of(item)));
         last = last_id_of(items, last);
         emit(emitter, "offer", records, next ? checkpoint_text(next, last) : "");
       });
}

}  // namespace atsm::greenhouse
