// The Greenhouse mapping and client helpers on crafted Harvest v3 JSON: what each vendor field
// becomes, and that bad vendor data is named on its record instead of failing the read.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atsmigrate/model/codec.hpp>
#include "greenhouse_client.hpp"
#include "greenhouse_mapping.hpp"

namespace {
namespace json = boost::json;
namespace model = atsm::model;
namespace gh = atsm::greenhouse;

json::value parse(const char* text) {
  return json::parse(text);
}

// The record survives the codec (as the host's staging parses it) unchanged.
template <class T>
T round_trip(const model::Record& record) {
  model::Record again = model::parse_record(model::serialize_record(record));
  EXPECT_EQ(again, record);
  const T* typed = std::get_if<T>(&again);
  EXPECT_NE(typed, nullptr) << model::record_label(again);
  return typed ? *typed : T{};
}

std::vector<std::string> problem_fields(const model::RecordBase& record) {
  std::vector<std::string> fields;
  if (const json::value* errors = record.extra.if_contains("validation_errors"))
    for (const json::value& error : errors->as_array())
      fields.emplace_back(error.at("field").as_string());
  return fields;
}

gh::CustomFieldIndex sample_index() {
  gh::CustomFieldIndex index;
  index.add(parse(R"({"id": 77, "field_type": "candidate", "name_key": "referrer_user"})"));
  index.add(parse(R"({"id": 78, "field_type": "candidate", "name_key": "desired_salary"})"));
  index.add(parse(R"({"id": 79, "field_type": "application", "name_key": "desired_salary"})"));
  return index;
}

TEST(GreenhouseMapping, CandidateBecomesAPersonWithEveryContactAndCustomField) {
  json::value raw = parse(R"({
    "id": 9102, "first_name": "Ada", "last_name": "Lovelace", "preferred_name": null,
    "company": "Analytical Engines", "title": "Programmer", "private": true,
    "created_at": "2024-01-02T03:04:05.678Z", "updated_at": "2024-02-01T00:00:00+01:00",
    "email_addresses": [{"value": "Ada@Example.org", "type": "personal"},
                        {"value": "ada@work.example", "type": "work"}],
    "phone_numbers": [{"value": "+44 20 7946 0000", "type": "mobile"}],
    "addresses": [{"value": "1 Main Street\nLondon", "type": "home"}],
    "website_addresses": [{"value": "https://github.com/ada", "type": "portfolio"},
                          {"value": "https://ada.example.dev", "type": "personal"}],
    "social_media_addresses": [{"value": "https://www.linkedin.com/in/ada"},
                               {"value": "https://mastodon.example/@ada"}],
    "tags": ["Python", "Senior"], "linked_user_ids": [5],
    "custom_fields": {
      "desired_salary": {"name": "Desired Salary", "type": "short_text", "value": "100k"},
      "referrer_user": {"name": "Referrer", "type": "user", "value": {"user_id": 42}},
      "empty_one": {"name": "Empty", "type": "short_text", "value": null}}})");
  model::Person person = round_trip<model::Person>(gh::map_candidate(raw, sample_index()));
  EXPECT_EQ(person.source, "greenhouse");
  EXPECT_EQ(person.source_key, "greenhouse:candidate:9102");
  EXPECT_EQ(person.name, "Ada Lovelace");
  ASSERT_EQ(person.emails.size(), 2u);
  EXPECT_EQ(person.emails[0].address, "Ada@Example.org");
  EXPECT_EQ(person.emails[0].normalized, "ada@example.org");
  EXPECT_EQ(person.emails[1].type, "work");
  ASSERT_EQ(person.links.size(), 4u);
  EXPECT_EQ(person.links[0].type, model::LinkType::github);
  EXPECT_EQ(person.links[1].type, model::LinkType::website);
  EXPECT_EQ(person.links[2].type, model::LinkType::linkedin);
  EXPECT_EQ(person.links[3].type, model::LinkType::social);
  EXPECT_EQ(person.phones.at(0).type, "mobile");
  EXPECT_EQ(person.addresses.at(0).value, "1 Main Street\nLondon");
  EXPECT_EQ(person.company, "Analytical Engines");
  EXPECT_EQ(person.title, "Programmer");
  EXPECT_EQ(person.is_private, true);
  EXPECT_EQ(person.tags, (std::vector<std::string>{"Python", "Senior"}));
  EXPECT_EQ(person.created_at, "2024-01-02T03:04:05.678Z");
  EXPECT_EQ(person.updated_at, "2024-01-31T23:00:00Z");
  ASSERT_EQ(person.custom_fields.size(), 2u);  // the null value is no value
  EXPECT_EQ(person.custom_fields[0].field_key, "greenhouse:custom_field:78");
  EXPECT_EQ(person.custom_fields[0].value, "100k");
  EXPECT_EQ(person.custom_fields[1].field_key, "greenhouse:custom_field:77");
  EXPECT_EQ(person.custom_fields[1].value, "greenhouse:user:42");
  EXPECT_TRUE(problem_fields(person).empty()) << json::serialize(person.extra);
  EXPECT_EQ(*person.raw, raw);
}

TEST(GreenhouseMapping, BadVendorDataIsNamedOnTheRecordNotThrown) {
  json::value raw = parse(R"({
    "first_name": 7, "last_name": "Doe", "created_at": "last tuesday",
    "email_addresses": [{"value": "jo@@example.org", "type": "personal"}, {"type": "work"}],
    "tags": "not-a-list", "custom_fields": {"mystery": {"name": "?", "type": "short_text",
                                                        "value": "x"}}})");
  model::Record record = gh::map_candidate(raw, sample_index());
  model::Person person = round_trip<model::Person>(record);
  EXPECT_EQ(person.source_key.rfind("greenhouse:candidate:missing-id-", 0), 0u)
      << person.source_key;
  std::vector<std::string> fields = problem_fields(person);
  for (const char* expected : {"id", "first_name", "created_at", "email_addresses",
                               "email_addresses[1].value", "tags", "custom_fields.mystery"})
    EXPECT_NE(std::find(fields.begin(), fields.end(), expected), fields.end()) << expected;
  EXPECT_EQ(gh::validation_error_count(record), fields.size());
  EXPECT_EQ(person.last_name, "Doe");
  EXPECT_FALSE(person.created_at.has_value());
  ASSERT_EQ(person.emails.size(), 1u);
  EXPECT_FALSE(person.emails[0].normalized.has_value());
  // Not even an object: still a record, with its problem.
  model::Record nonsense = gh::map_note(parse("[1, 2]"));
  EXPECT_EQ(problem_fields(round_trip<model::Note>(nonsense)).front(), "record");
}

TEST(GreenhouseMapping, ApplicationStatusesProspectsAndStageHistory) {
  gh::CustomFieldIndex index = sample_index();
  // Rows arrive id-descending and out of time order: history is oldest first.
  std::vector<json::value> stages{
      parse(R"({"id": 3, "application_id": 500, "job_interview_stage_id": 13,
                "entered_at": "2024-03-01T00:00:00Z", "current": true})"),
      parse(R"({"id": 1, "application_id": 500, "job_interview_stage_id": 11,
                "entered_at": "2024-01-01T00:00:00Z", "exited_at": "2024-02-01T00:00:00Z"})"),
      parse(R"({"id": 2, "application_id": 500, "job_interview_stage_id": 12,
                "entered_at": "2024-02-01T00:00:00Z"})")};
  model::Candidacy rejected = round_trip<model::Candidacy>(gh::map_application(
      parse(R"({"id": 500, "candidate_id": 9, "prospect": false, "status": "rejected",
                "job_id": 70, "stage_id": 13, "source_id": 4, "recruiter_id": 6,
                "referrer_id": 8, "rejection_reason_id": 21,
                "rejected_at": "2024-03-05T00:00:00Z", "created_at": "2024-01-01T00:00:00Z",
                "custom_fields": {"desired_salary": {"name": "Desired", "type": "short_text",
                                                     "value": "90k"}}})"),
      stages, index));
  EXPECT_EQ(rejected.person_key, "greenhouse:candidate:9");
  EXPECT_EQ(rejected.job_key, "greenhouse:job:70");
  EXPECT_EQ(rejected.status, model::CandidacyStatus::archived);
  EXPECT_EQ(rejected.archive_reason_key, "greenhouse:rejection_reason:21");
  EXPECT_EQ(rejected.archived_at, "2024-03-05T00:00:00Z");
  EXPECT_EQ(rejected.stage_key, "greenhouse:stage:13");
  ASSERT_EQ(rejected.stage_history.size(), 3u);
  EXPECT_EQ(rejected.stage_history[0].stage_key, "greenhouse:stage:11");
  EXPECT_EQ(rejected.stage_history[2].stage_key, "greenhouse:stage:13");
  EXPECT_EQ(rejected.sources.at(0).source_key, "greenhouse:source:4");
  EXPECT_EQ(rejected.owner_user_key, "greenhouse:user:6");
  EXPECT_FALSE(rejected.credited_to_user_key.has_value()) << "referrer_id is not a user";
  EXPECT_EQ(rejected.applied_at, "2024-01-01T00:00:00Z");
  EXPECT_EQ(rejected.custom_fields.at(0).field_key, "greenhouse:custom_field:79");
  EXPECT_EQ(rejected.raw->at("application_stages").as_array().size(), 3u);

  model::Candidacy jobless = round_trip<model::Candidacy>(gh::map_application(
      parse(R"({"id": 501, "candidate_id": 9, "prospect": true, "status": "in_process",
                "job_id": null, "prospective_job_ids": [70, 71]})"),
      {}, index));
  EXPECT_FALSE(jobless.job_key.has_value());
  EXPECT_EQ(jobless.is_prospect, true);
  EXPECT_EQ(jobless.status, model::CandidacyStatus::lead);
  EXPECT_EQ(jobless.extra.at("prospective_job_keys").as_array().size(), 2u);

  model::Candidacy hired = round_trip<model::Candidacy>(gh::map_application(
      parse(R"({"id": 502, "candidate_id": 9, "status": "hired", "job_id": 70})"), {}, index));
  EXPECT_EQ(hired.status, model::CandidacyStatus::hired);
  model::Candidacy odd = round_trip<model::Candidacy>(gh::map_application(
      parse(R"({"id": 503, "candidate_id": 9, "status": "paused", "job_id": 70})"), {}, index));
  EXPECT_EQ(odd.status, model::CandidacyStatus::active);
  EXPECT_EQ(problem_fields(odd), std::vector<std::string>{"status"});
}

TEST(GreenhouseMapping, ScorecardKeepsEveryRatingQuestionAndTheDefinitelyNotRename) {
  json::value card = parse(R"({"id": 800, "application_id": 500, "interviewer_id": 6,
      "submitter_id": 7, "interview": "Phone Interview", "status": "complete",
      "candidate_rating": "definitely_not", "submitted_at": "2024-03-02T10:00:00Z",
      "interviewed_at": "2024-03-02T09:00:00Z", "notes": "Summary", "private_notes": "Secret"})");
  std::vector<json::value> attributes{
      parse(R"({"id": 80002, "scorecard_id": 800, "job_candidate_attribute_id": 31,
                "candidate_attribute_rating": "mixed", "note": null})"),
      parse(R"({"id": 80001, "scorecard_id": 800, "name": "Communication",
                "candidate_attribute_rating": "definitely_not", "note": "Terse"})")};
  std::vector<json::value> answers{
      parse(R"({"id": 80051, "scorecard_id": 800, "question": "Ships?", "answer": null,
                "boolean_value": true})")};
  model::Feedback feedback = round_trip<model::Feedback>(
      gh::map_scorecard(card, attributes, answers, "9", {{"31", "Analytical"}}));
  EXPECT_EQ(feedback.source_key, "greenhouse:scorecard:800");
  EXPECT_EQ(feedback.person_key, "greenhouse:candidate:9");
  EXPECT_EQ(feedback.candidacy_key, "greenhouse:application:500");
  EXPECT_EQ(feedback.author_user_key, "greenhouse:user:6");
  EXPECT_EQ(feedback.extra.at("submitted_by_user_key"), "greenhouse:user:7");
  EXPECT_EQ(feedback.recommendation, model::Recommendation::strong_no);
  EXPECT_EQ(feedback.form_name, "Phone Interview");
  EXPECT_EQ(feedback.text, "Summary");
  ASSERT_EQ(feedback.fields.size(), 4u);
  EXPECT_EQ(feedback.fields[0].label, "Communication");  // creation (id) order
  EXPECT_EQ(feedback.fields[0].value, json::value("strong_no"));
  EXPECT_EQ(feedback.fields[0].note, "Terse");
  EXPECT_EQ(feedback.fields[1].label, "Analytical");  // resolved through its attribute id
  EXPECT_EQ(feedback.fields[1].value, json::value("mixed"));
  EXPECT_EQ(feedback.fields[2].type, model::FeedbackFieldType::yes_no);
  EXPECT_EQ(feedback.fields[2].value, json::value(true));
  EXPECT_EQ(feedback.fields[3].label, "Private Notes");
  EXPECT_TRUE(problem_fields(feedback).empty()) << json::serialize(feedback.extra);

  EXPECT_TRUE(gh::is_submitted_scorecard(card));
  EXPECT_FALSE(gh::is_submitted_scorecard(parse(R"({"id": 1, "status": "draft"})")));
  EXPECT_TRUE(gh::is_note(parse(R"({"id": 1, "type": "NOTE"})")));
  EXPECT_FALSE(gh::is_note(parse(R"({"id": 1, "type": "EMAIL"})")));
}

// v3 answer rows carry only scorecard_question_id (docs/vendors/greenhouse.md §6); attribute
// ratings are definitely_not|no|yes|strong_yes|mixed|no_decision.
TEST(GreenhouseMapping, V3AnswersTakeTheirQuestionTextFromScorecardQuestions) {
  json::value card = parse(R"({"id": 801, "application_id": 500, "status": "complete",
      "candidate_rating": "yes", "submitted_at": "2024-03-02T10:00:00Z"})");
  std::vector<json::value> attributes{
      parse(R"({"id": 80102, "scorecard_id": 801, "job_candidate_attribute_id": 31,
                "candidate_attribute_rating": "strong_no"})"),
      parse(R"({"id": 80101, "scorecard_id": 801, "job_candidate_attribute_id": 32,
                "candidate_attribute_rating": "no_decision"})")};
  std::vector<json::value> answers{
      parse(R"({"id": 80152, "scorecard_id": 801, "scorecard_question_id": 999,
                "answer": "Lost"})"),
      parse(R"({"id": 80151, "scorecard_id": 801, "scorecard_question_id": 41,
                "answer": "Yes", "boolean_value": null})")};
  model::Feedback feedback = round_trip<model::Feedback>(
      gh::map_scorecard(card, attributes, answers, "9", {{"31", "Communication"}, {"32", "Focus"}},
                        {{"41", "Does the candidate have experience designing APIs?"}}));
  ASSERT_EQ(feedback.fields.size(), 4u);
  EXPECT_EQ(feedback.fields[0].label, "Focus");
  EXPECT_EQ(feedback.fields[0].value, json::value("no_decision"));
  EXPECT_EQ(feedback.fields[1].label, "Communication");
  EXPECT_EQ(feedback.fields[1].value, json::value("strong_no"));
  EXPECT_EQ(feedback.fields[2].label, "Does the candidate have experience designing APIs?");
  EXPECT_EQ(feedback.fields[2].value, json::value("Yes"));
  EXPECT_EQ(feedback.fields[3].label, "Question 999");
  // strong_no is the overall rating's spelling, not an attribute rating; an unknown question id
  // is named, not guessed.
  EXPECT_EQ(
      problem_fields(feedback),
      (std::vector<std::string>{"scorecard_candidate_attributes[1].candidate_attribute_rating",
                                "scorecard_question_answers[1].scorecard_question_id"}));
}

TEST(GreenhouseMapping, RecruiterAndCoordinatorComeFromTheLatestApplicationNamingThem) {
  gh::ApplicationStaff staff;
  staff.add(parse(R"({"id": 1, "candidate_id": 9, "created_at": "2024-01-01T00:00:00Z",
                      "recruiter_id": 11, "coordinator_id": 21})"));
  staff.add(parse(R"({"id": 3, "candidate_id": 9, "created_at": "2024-06-01T00:00:00Z",
                      "recruiter_id": 12, "coordinator_id": null})"));
  staff.add(parse(R"({"id": 2, "candidate_id": 9, "created_at": "2024-03-01T00:00:00Z",
                      "recruiter_id": 13})"));
  staff.add(parse(R"({"id": 4, "candidate_id": 10, "recruiter_id": "x"})"));
  model::Person person = round_trip<model::Person>(
      gh::map_candidate(parse(R"({"id": 9, "first_name": "A"})"), sample_index(), &staff));
  EXPECT_EQ(person.recruiter_user_key, "greenhouse:user:12");
  EXPECT_EQ(person.coordinator_user_key, "greenhouse:user:21");
  model::Person other = round_trip<model::Person>(
      gh::map_candidate(parse(R"({"id": 10, "first_name": "B"})"), sample_index(), &staff));
  EXPECT_FALSE(other.recruiter_user_key.has_value());
  EXPECT_FALSE(other.coordinator_user_key.has_value());
}

TEST(GreenhouseMapping, ReferrersAndRejectionDetails) {
  gh::CustomFieldIndex index = sample_index();
  json::value user = parse(R"({"id": 70, "name": "Kate Austen", "user_id": 4080})");
  json::value outsider = parse(R"({"id": 71, "name": "Dana Outsider", "user_id": null})");
  model::Candidacy credited = round_trip<model::Candidacy>(gh::map_application(
      parse(R"({"id": 510, "candidate_id": 9, "job_id": 70, "referrer_id": 70})"), {}, index,
      {.referrer = &user}));
  EXPECT_EQ(credited.credited_to_user_key, "greenhouse:user:4080");
  model::Candidacy named = round_trip<model::Candidacy>(gh::map_application(
      parse(R"({"id": 511, "candidate_id": 9, "job_id": 70, "referrer_id": 71})"), {}, index,
      {.referrer = &outsider}));
  EXPECT_FALSE(named.credited_to_user_key.has_value());
  EXPECT_EQ(named.extra.at("referrer_name"), "Dana Outsider");
  model::Candidacy unknown = round_trip<model::Candidacy>(gh::map_application(
      parse(R"({"id": 512, "candidate_id": 9, "job_id": 70, "referrer_id": 72})"), {}, index));
  EXPECT_EQ(problem_fields(unknown), std::vector<std::string>{"referrer_id"});

  json::value detail = parse(R"({"id": 90, "application_id": 513, "rejected_by_id": 6,
      "rejection_reason_id": 8, "rejected_at": "2024-05-01T00:00:00Z", "rejection_note_id": 95,
      "question_custom_fields": {"follow_up": {"name": "Follow up later?", "type": "short_text",
                                              "value": "Yes"},
                                 "empty": {"name": "Empty", "type": "short_text", "value": null}}})");
  json::value note = parse(R"({"id": 95, "body": "Not enough depth.", "type": "NOTE"})");
  model::Candidacy rejected = round_trip<model::Candidacy>(gh::map_application(
      parse(R"({"id": 513, "candidate_id": 9, "job_id": 70, "status": "rejected"})"), {}, index,
      {.rejection_detail = &detail, .rejection_note = &note}));
  EXPECT_EQ(rejected.extra.at("archive_details"), "Not enough depth.\nFollow up later?: Yes");
  EXPECT_EQ(rejected.extra.at("archived_by_user_key"), "greenhouse:user:6");
  EXPECT_EQ(rejected.archive_reason_key, "greenhouse:rejection_reason:8");
  EXPECT_EQ(rejected.archived_at, "2024-05-01T00:00:00Z");
  EXPECT_TRUE(problem_fields(rejected).empty()) << json::serialize(rejected.extra);
  model::Candidacy lost_note = round_trip<model::Candidacy>(gh::map_application(
      parse(R"({"id": 513, "candidate_id": 9, "job_id": 70, "status": "rejected"})"), {}, index,
      {.rejection_detail = &detail}));
  EXPECT_EQ(lost_note.extra.at("archive_details"), "Follow up later?: Yes");
  EXPECT_EQ(problem_fields(lost_note),
            std::vector<std::string>{"rejection_details.rejection_note_id"});
}

TEST(GreenhouseMapping, OffersInterviewsAndAttachments) {
  model::Offer offer = round_trip<model::Offer>(
      gh::map_offer(parse(R"({"id": 60, "application_id": 500, "version": 2, "status": "Accepted",
                "sent_on": "2024-04-01", "starts_on": "2024-05-01",
                "resolved_at": "2024-04-03T12:00:00Z", "created_at": "2024-03-30T12:00:00Z",
                "custom_fields": {"salary": {"name": "Salary", "type": "currency",
                                             "value": {"unit": "EUR", "amount": 85000}}}})"),
                    "9"));
  EXPECT_EQ(offer.person_key, "greenhouse:candidate:9");
  EXPECT_EQ(offer.status, "Accepted");
  EXPECT_EQ(offer.sent_at, "2024-04-01T00:00:00Z");
  EXPECT_EQ(offer.start_date, "2024-05-01");
  ASSERT_EQ(offer.fields.size(), 2u);
  EXPECT_EQ(offer.fields[1].label, "Salary");

  model::Interview interview = round_trip<model::Interview>(gh::map_interview(
      parse(R"({"id": 40, "application_id": 500, "name": "Phone Interview", "status": "complete",
                "starts_at": "2024-03-01T10:00:00Z", "ends_at": "2024-03-01T11:00:00Z"})"),
      {parse(R"({"id": 402, "interview_id": 40, "user_id": 7, "scorecard_id": 800})"),
       parse(R"({"id": 401, "interview_id": 40, "user_id": 6, "email": "a@b.example"})")},
      "9"));
  ASSERT_EQ(interview.interviewers.size(), 2u);
  EXPECT_EQ(interview.interviewers[0].user_key, "greenhouse:user:6");
  EXPECT_EQ(interview.feedback_keys, std::vector<std::string>{"greenhouse:scorecard:800"});

  gh::FetchedFile fetched{"ab" + std::string(62, '0'), 1234, "application/pdf", std::nullopt,
                          std::nullopt};
  model::File file = round_trip<model::File>(gh::map_attachment(
      parse(R"({"id": 90, "candidate_id": 9, "application_id": 500, "filename": "cv.pdf",
                "type": "resume", "created_at": "2024-01-01T00:00:00Z",
                "url": "https://files.example/90?X-Amz-Signature=deadbeef"})"),
      fetched));
  EXPECT_EQ(file.source_key, "greenhouse:attachment:90");
  EXPECT_EQ(file.is_resume, true);
  EXPECT_EQ(file.sha256, fetched.sha256);
  EXPECT_EQ(file.raw->at("url"), "https://files.example/90");

  // What the source says the file is keeps its bytes away: a skip.
  gh::FetchedFile gone{"", std::nullopt, std::nullopt, "deleted in Greenhouse", std::nullopt};
  model::File skipped = round_trip<model::File>(gh::map_attachment(
      parse(R"({"id": 91, "candidate_id": 9, "filename": "x.pdf", "type": "other"})"), gone));
  EXPECT_FALSE(skipped.sha256.has_value());
  EXPECT_EQ(skipped.skipped_reason, "deleted in Greenhouse");
  EXPECT_FALSE(skipped.fetch_failure.has_value());

  // What happened while fetching, and may pass: a failure, never a skip.
  gh::FetchedFile lost{"", std::nullopt, std::nullopt, std::nullopt,
                       "the file URL answered HTTP 403 (AccessDenied: Request has expired)"};
  model::File failed = round_trip<model::File>(gh::map_attachment(
      parse(R"({"id": 92, "candidate_id": 9, "filename": "y.pdf", "type": "other"})"), lost));
  EXPECT_FALSE(failed.sha256.has_value());
  EXPECT_FALSE(failed.skipped_reason.has_value());
  EXPECT_EQ(failed.fetch_failure,
            "the file URL answered HTTP 403 (AccessDenied: Request has expired)");
}

TEST(GreenhouseMapping, ReferenceData) {
  model::User user = round_trip<model::User>(gh::map_user(parse(
      R"({"id": 5, "first_name": "Kate", "last_name": "Austen", "primary_email": "k@x.example",
          "deactivated": true, "site_admin": true})")));
  EXPECT_EQ(user.name, "Kate Austen");
  EXPECT_EQ(user.active, false);
  EXPECT_EQ(user.access_role, "site_admin");
  model::Job job = round_trip<model::Job>(
      gh::map_job(parse(R"({"id": 70, "name": "Engineer", "status": "draft", "confidential": true,
                "department_id": 3, "office_ids": [4, 5], "requisition_id": "REQ-1"})"),
                  sample_index()));
  EXPECT_EQ(job.status, model::JobStatus::draft);
  EXPECT_EQ(job.department_keys, std::vector<std::string>{"greenhouse:department:3"});
  EXPECT_EQ(job.office_keys.size(), 2u);
  model::Stage stage = round_trip<model::Stage>(gh::map_stage(
      parse(R"({"id": 13, "job_id": 70, "name": "Recruiter Screen", "sort_order": 1})")));
  EXPECT_EQ(stage.job_key, "greenhouse:job:70");
  EXPECT_EQ(stage.stage_type, model::StageType::screen);
  EXPECT_EQ(gh::stage_type_from_name("On-site Interview"), model::StageType::interview);
  EXPECT_EQ(gh::stage_type_from_name("Offer"), model::StageType::offer);
  EXPECT_EQ(gh::stage_type_from_name("Application Review"), model::StageType::applied);
  model::ArchiveReason reason = round_trip<model::ArchiveReason>(gh::map_rejection_reason(
      parse(R"({"id": 21, "name": "Withdrew", "type": {"id": 2, "name": "They rejected us",
                                                          "key": "THEY_REJECTED_US"}})")));
  EXPECT_EQ(reason.source_key, "greenhouse:rejection_reason:21");
  EXPECT_EQ(reason.type, model::ArchiveReasonType::non_hired);
  EXPECT_EQ(reason.extra.at("rejection_type"), "THEY_REJECTED_US");

  std::optional<model::Record> field = gh::map_custom_field(
      parse(R"({"id": 78, "name": "Seniority", "field_type": "candidate",
                "value_type": "single_select", "name_key": "seniority"})"),
      {parse(R"({"id": 2, "custom_field_id": 78, "name": "Senior", "sort_order": 1})"),
       parse(R"({"id": 1, "custom_field_id": 78, "name": "Junior", "sort_order": 0})")});
  ASSERT_TRUE(field.has_value());
  model::CustomField custom = round_trip<model::CustomField>(*field);
  EXPECT_EQ(custom.field_type, model::CustomFieldType::single_select);
  ASSERT_EQ(custom.options.size(), 2u);
  EXPECT_EQ(custom.options[0].name, "Junior");
  EXPECT_FALSE(gh::map_custom_field(parse(R"({"id": 1, "field_type": "offer"})"), {}));
}

TEST(GreenhouseClientHelpers, LinksTokensAndEndpointKinds) {
  EXPECT_EQ(gh::next_link(R"(<https://h.example/v3/candidates?cursor=abc>; rel="next")"),
            "https://h.example/v3/candidates?cursor=abc");
  EXPECT_EQ(gh::next_link(
                R"(<https://h/v3/x?cursor=p>; rel="prev", <https://h/v3/x?cursor=n>; rel="next")"),
            "https://h/v3/x?cursor=n");
  EXPECT_FALSE(gh::next_link(R"(<https://h/v3/x?cursor=p>; rel="prev")"));
  EXPECT_FALSE(gh::next_link(""));
  EXPECT_EQ(gh::endpoint_kind("https://h.example/v3/scorecard_question_answers?cursor=x"),
            "scorecard_question_answers");
  EXPECT_EQ(gh::url_encode("gte|2024-01-01T00:00:00Z"), "gte|2024-01-01T00%3A00%3A00Z");
  std::int64_t now = 1767225600000;  // 2026-01-01T00:00:00Z
  EXPECT_DOUBLE_EQ(gh::token_lifetime_seconds(parse(R"({"expires_in": 3600})").as_object(), now),
                   3600.0);
  EXPECT_DOUBLE_EQ(gh::token_lifetime_seconds(
                       parse(R"({"expires_at": "2026-01-01T00:10:00Z"})").as_object(), now),
                   600.0);
  EXPECT_DOUBLE_EQ(
      gh::token_lifetime_seconds(parse(R"({"token_type": "Bearer"})").as_object(), now), 3600.0);
}

// The model's typed members, not unknown ones: the round trip compares the typed records, so a
// member set in `extra` would come back typed and differ.
TEST(GreenhouseMapping, TimeZoneConsentAndFormAnswersAreTypedFields) {
  model::Person person = round_trip<model::Person>(gh::map_candidate(
      parse(R"({"id": 1, "first_name": "Ada", "time_zone": "Europe/London", "can_email": false})"),
      {}));
  EXPECT_EQ(person.time_zone, "Europe/London");
  EXPECT_EQ(person.can_email, false);
  EXPECT_FALSE(person.extra.contains("time_zone") || person.extra.contains("can_email"));
  model::Candidacy candidacy = round_trip<model::Candidacy>(
      gh::map_application(parse(R"({"id": 2, "candidate_id": 1, "status": "active", "answers": [
        {"question": "Why us?", "answer": "The mission."},
        {"question": "Relocate?", "answer": true},
        {"question": "Unanswered", "answer": null},
        {"question": "", "answer": "dropped: no question"}]})"),
                          {}, {}));
  std::vector<model::FormAnswer> want{{std::nullopt, "Why us?", "The mission.", {}, {}},
                                      {std::nullopt, "Relocate?", "Yes", {}, {}},
                                      {std::nullopt, "Unanswered", std::nullopt, {}, {}}};
  EXPECT_EQ(candidacy.form_answers, want);
  EXPECT_FALSE(candidacy.extra.contains("form_answers"));
}

}  // namespace
