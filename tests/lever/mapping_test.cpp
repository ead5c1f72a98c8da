// Lever JSON -> canonical records on crafted vendor payloads, including the bad input real APIs
// send: wrong types, unknown enum values, missing ids, invalid emails.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atsmigrate/kit/url.hpp>
#include <atsmigrate/model/codec.hpp>
#include "lever_client.hpp"
#include "lever_mapping.hpp"

namespace atsm::lever {
namespace {

namespace json = boost::json;

json::value parse(const char* text) {
  return json::parse(text);
}

// The record as the host receives it, round-tripped through the model codec.
json::object canonical(const model::Record& record) {
  std::string text = model::serialize_record(record);
  model::Record parsed = model::parse_record(text);
  // Every canonical field is set typed: none comes back from the codec changed.
  EXPECT_EQ(parsed, record);
  return json::parse(text).as_object();
}

std::vector<std::string> problem_fields(const json::object& record) {
  std::vector<std::string> fields;
  if (const json::value* errors = record.if_contains("validation_errors"))
    for (const json::value& error : errors->as_array())
      fields.emplace_back(error.as_object().at("field").as_string());
  return fields;
}

const OpportunityRef kOpportunity{"opp-1", "contact-1"};

TEST(LeverMapping, OpportunityBecomesACandidacyWithHistoryStatusAndJob) {
  HiredReasons reasons{{"reason-hired", true}, {"reason-lost", false}};
  json::value raw = parse(R"({
    "id": "2087af84-f146-4535-9368-2309e33e049f", "contact": "e2719ee1-21f5-4287-a60a-59bd29deac80",
    "stage": {"id": "offer", "text": "Offer"}, "confidentiality": "non-confidential",
    "archived": {"reason": "reason-hired", "archivedAt": 1732451503446},
    "tags": ["Engineering"], "sources": ["LinkedIn"], "origin": "applied",
    "sourcedBy": {"id": "user-2", "name": "S"}, "owner": "user-1", "followers": ["user-1"],
    "stageChanges": [
      {"toStageId": "offer", "toStageIndex": 9, "updatedAt": 1732449739323, "userId": "user-1"},
      {"toStageId": "applicant-new", "toStageIndex": 3, "updatedAt": 1732268609589, "userId": "user-1"}],
    "applications": [{"id": "app-1", "type": "posting", "posting": "posting-1", "createdAt": 1732268609589}],
    "createdAt": 1732268609589, "updatedAt": 1732523126474, "lastInteractionAt": 1732449739323})");
  json::object candidacy = canonical(map_opportunity(raw, reasons));
  EXPECT_EQ(candidacy.at("source_key").as_string(),
            "lever:opportunity:2087af84-f146-4535-9368-2309e33e049f");
  EXPECT_EQ(candidacy.at("person_key").as_string(),
            "lever:contact:e2719ee1-21f5-4287-a60a-59bd29deac80");
  EXPECT_EQ(candidacy.at("job_key").as_string(), "lever:posting:posting-1");
  EXPECT_EQ(candidacy.at("status").as_string(), "hired");
  EXPECT_EQ(candidacy.at("stage_key").as_string(), "lever:stage:offer");
  EXPECT_EQ(candidacy.at("archive_reason_key").as_string(), "lever:archive_reason:reason-hired");
  EXPECT_EQ(candidacy.at("archived_at").as_string(), "2024-11-24T12:31:43.446Z");
  EXPECT_EQ(candidacy.at("credited_to_user_key").as_string(), "lever:user:user-2");
  EXPECT_EQ(candidacy.at("owner_user_key").as_string(), "lever:user:user-1");
  EXPECT_EQ(candidacy.at("created_at").as_string(), "2024-11-22T09:43:29.589Z");
  // History oldest first, whatever order Lever listed it in.
  const json::array& history = candidacy.at("stage_history").as_array();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].as_object().at("stage_key").as_string(), "lever:stage:applicant-new");
  EXPECT_EQ(history[1].as_object().at("stage_key").as_string(), "lever:stage:offer");
  EXPECT_EQ(candidacy.at("sources").as_array()[0].as_object().at("name").as_string(), "LinkedIn");
  EXPECT_TRUE(problem_fields(candidacy).empty()) << json::serialize(candidacy);
  EXPECT_EQ(candidacy.at("raw"), raw);
}

TEST(LeverMapping, StatusIsArchivedForNonHiredReasonsLeadInLeadStagesActiveOtherwise) {
  HiredReasons reasons{{"reason-lost", false}};
  auto status_of = [&](const char* text) {
    return std::string(canonical(map_opportunity(parse(text), reasons)).at("status").as_string());
  };
  EXPECT_EQ(status_of(R"({"id":"o","contact":"c","stage":"applicant-new",
                          "archived":{"reason":"reason-lost","archivedAt":1}})"),
            "archived");
  EXPECT_EQ(status_of(R"({"id":"o","contact":"c","stage":"lead-new","archived":null})"), "lead");
  EXPECT_EQ(status_of(R"({"id":"o","contact":"c","stage":"applicant-new"})"), "active");
  // A lead without a posting is a candidacy without a job.
  json::object lead = canonical(map_opportunity(
      parse(
          R"({"id":"o","contact":"c","stage":"lead-new","applications":[{"id":"a","type":"user","posting":null}]})"),
      reasons));
  EXPECT_FALSE(lead.contains("job_key"));
  EXPECT_TRUE(lead.at("is_prospect").as_bool());
}

TEST(LeverMapping, BadOpportunityFieldsAreNamedValidationErrorsNotFailures) {
  HiredReasons reasons;
  json::value raw = parse(R"({
    "contact": "c-1", "createdAt": "not-a-time", "tags": ["ok", 7], "origin": "carrier-pigeon",
    "confidentiality": "secret", "stageChanges": [{"toStageIndex": 1, "updatedAt": 5}],
    "archived": {"reason": "gone", "archivedAt": 1}})");
  json::object candidacy = canonical(map_opportunity(raw, reasons));
  std::vector<std::string> fields = problem_fields(candidacy);
  for (const char* expected : {"id", "createdAt", "tags[1]", "origin", "confidentiality",
                               "stageChanges[0].toStageId", "archived.reason"})
    EXPECT_NE(std::find(fields.begin(), fields.end(), expected), fields.end())
        << expected << " not reported in " << json::serialize(candidacy);
  // Still a stageable record with a stable stand-in key.
  EXPECT_EQ(candidacy.at("source_key").as_string().subview().substr(0, 29),
            "lever:opportunity:missing-id-");
  EXPECT_EQ(map_opportunity(raw, reasons), map_opportunity(raw, reasons));
  // A record that is not even an object.
  json::object garbage = canonical(map_opportunity(parse("[1,2]"), reasons));
  EXPECT_FALSE(problem_fields(garbage).empty());
}

TEST(LeverMapping, NumericStringTimestampsAreAccepted) {
  EXPECT_EQ(parse_millis(json::value("1732268609589")), 1732268609589);
  EXPECT_EQ(parse_millis(json::value(1732268609589.0)), 1732268609589);
  EXPECT_EQ(parse_millis(json::value(0)), 0);
  EXPECT_FALSE(parse_millis(json::value("12abc")));
  EXPECT_FALSE(parse_millis(json::value(1.5)));
  EXPECT_FALSE(parse_millis(json::value(true)));
}

TEST(LeverMapping, OnePersonPerContactAggregatesAllItsOpportunities) {
  ContactAggregate aggregate;
  aggregate.add_opportunity(parse(R"({"id":"o-new","createdAt":2000,"origin":"sourced",
      "owner":"u-new","tags":["B"],"sources":["Referral"],"followers":["u-1"],
      "links":["https://www.linkedin.com/in/ada","https://github.com/ada","https://ada.dev"],
      "contact":{"id":"c-1","name":"Ada Lovelace","headline":"Analytical Engines",
                 "isAnonymized":false,"location":{"name":"London"},
                 "emails":["Ada@Example.com","not-an-email"],
                 "phones":[{"type":"mobile","value":"+44 1"},{"type":"fax","value":"+44 2"}]}})")
                                .as_object());
  aggregate.add_opportunity(parse(R"({"id":"o-old","createdAt":1000,"origin":"applied",
      "owner":"u-old","tags":["A","B"],"sources":["LinkedIn"],"followers":["u-2"],
      "contact":"c-1","confidentiality":"confidential"})")
                                .as_object());
  json::object person = canonical(aggregate.to_person("c-1"));
  EXPECT_EQ(person.at("source_key").as_string(), "lever:contact:c-1");
  EXPECT_EQ(person.at("name").as_string(), "Ada Lovelace");
  EXPECT_EQ(person.at("headline").as_string(), "Analytical Engines");
  EXPECT_EQ(person.at("location").as_string(), "London");
  EXPECT_EQ(person.at("tags"), json::parse(R"(["A","B"])"));
  EXPECT_EQ(person.at("created_at").as_string(), "1970-01-01T00:00:01Z");
  EXPECT_EQ(person.at("origin").as_string(), "applied");
  EXPECT_EQ(person.at("owner_user_key").as_string(), "lever:user:u-new");
  EXPECT_TRUE(person.at("confidential").as_bool());
  const json::array& links = person.at("links").as_array();
  ASSERT_EQ(links.size(), 3u);
  EXPECT_EQ(links[0].as_object().at("type").as_string(), "linkedin");
  EXPECT_EQ(links[1].as_object().at("type").as_string(), "github");
  EXPECT_EQ(links[2].as_object().at("type").as_string(), "website");
  EXPECT_EQ(person.at("phones").as_array()[0].as_object().at("type").as_string(), "mobile");
  EXPECT_EQ(person.at("emails").as_array()[0].as_object().at("normalized").as_string(),
            "ada@example.com");
  std::vector<std::string> fields = problem_fields(person);
  EXPECT_EQ(fields, (std::vector<std::string>{"emails[1]", "phones[1].type"}));
  EXPECT_EQ(person.at("candidacy_keys").as_array().size(), 2u);
}

TEST(LeverMapping, FeedbackMapsEveryFieldTypeAndTheOverallRating) {
  json::value raw = parse(R"({"id":"fb-1","type":"interview","text":"On-site interview",
    "user":"u-1","interview":"iv-1","createdAt":1423231493557,"completedAt":1423231549510,
    "deletedAt":null,"fields":[
     {"id":"f1","type":"score-system","text":"Rating","value":"2 - No Hire",
      "options":[{"text":"4 - Strong Hire"},{"text":"3 - Hire"},{"text":"2 - No Hire"},{"text":"1 - Strong No Hire"}]},
     {"id":"f2","type":"scorecard","text":"Skills","scores":[{"text":"Communication"},{"text":"Ownership"}],
      "value":[{"score":3,"comment":"Clear"},{"score":4,"comment":null}]},
     {"id":"f3","type":"yes-no","text":"Again?","value":"yes"},
     {"id":"f4","type":"code","text":"Code","language":"python","value":"print 1"},
     {"id":"f5","type":"date","text":"Start","value":0},
     {"id":"f6","type":"dropdown","text":"Level","value":"Senior","options":[{"text":"Junior"},{"text":"Senior"}]},
     {"id":"f7","type":"multiple-choice","text":"Team","value":"A","options":[{"text":"A"}]},
     {"id":"f8","type":"multiple-select","text":"Langs","value":["C++","Go"],"options":[{"text":"C++"},{"text":"Go"}]},
     {"id":"f9","type":"score","text":"Thumbs","value":null},
     {"id":"f10","type":"text","text":"Short","value":"ok"},
     {"id":"f11","type":"textarea","text":"Notes","value":"Solid."},
     {"id":"f12","type":"currency","text":"Salary","currency":"EUR","value":100000},
     {"id":"f13","type":"hologram","text":"Future","value":1}]})");
  json::object feedback = canonical(map_feedback(raw, kOpportunity));
  EXPECT_EQ(feedback.at("source_key").as_string(), "lever:feedback:fb-1");
  EXPECT_EQ(feedback.at("person_key").as_string(), "lever:contact:contact-1");
  EXPECT_EQ(feedback.at("candidacy_key").as_string(), "lever:opportunity:opp-1");
  EXPECT_EQ(feedback.at("interview_key").as_string(), "lever:interview:iv-1");
  EXPECT_EQ(feedback.at("recommendation").as_string(), "no");
  EXPECT_EQ(feedback.at("submitted_at").as_string(), "2015-02-06T14:05:49.510Z");
  const json::array& fields = feedback.at("fields").as_array();
  std::vector<std::string> types;
  for (const json::value& field : fields)
    types.emplace_back(field.as_object().at("type").as_string());
  EXPECT_EQ(types, (std::vector<std::string>{"rating", "rating", "rating", "yes_no", "text", "date",
                                             "dropdown", "multiple_choice", "multiple_select",
                                             "score", "text", "textarea", "number", "other"}));
  // Worst first on the rating scale; skills keep their comment and group.
  EXPECT_EQ(fields[0].as_object().at("scale").as_object().at("values").as_array()[0],
            "1 - Strong No Hire");
  EXPECT_EQ(fields[1].as_object().at("label").as_string(), "Communication");
  EXPECT_EQ(fields[1].as_object().at("value"), 3);
  EXPECT_EQ(fields[1].as_object().at("note").as_string(), "Clear");
  EXPECT_EQ(fields[1].as_object().at("category").as_string(), "Skills");
  // A date-only value is the calendar date (local midnight, here UTC's).
  EXPECT_EQ(fields[5].as_object().at("value").as_string(), "1970-01-01");
  EXPECT_TRUE(fields[9].as_object().at("value").is_null());  // unanswered stays null
  EXPECT_EQ(problem_fields(feedback), (std::vector<std::string>{"fields[12].type"}));
}

TEST(LeverMapping, ProfileFormsAreFeedbackRecordsOfTheirOwnKey) {
  json::object form = canonical(map_profile_form(
      parse(R"({"id":"pf-1","type":"form","text":"Compensation","user":"u-1","createdAt":1000,
               "completedAt":2000,"deletedAt":null,"fields":[
                 {"type":"currency","text":"Expected salary","currency":"EUR","value":90000},
                 {"type":"multiple-select","text":"Visa","value":["EU"],"options":[{"text":"EU"}]}]})"),
      kOpportunity));
  EXPECT_EQ(form.at("source_key").as_string(), "lever:form:pf-1");
  EXPECT_EQ(form.at("kind").as_string(), "feedback");
  EXPECT_EQ(form.at("feedback_type").as_string(), "form");
  const json::array& fields = form.at("fields").as_array();
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].as_object().at("type").as_string(), "number");
  EXPECT_EQ(fields[0].as_object().at("currency").as_string(), "EUR");
  EXPECT_EQ(fields[1].as_object().at("value"), json::parse(R"(["EU"])"));
  EXPECT_TRUE(problem_fields(form).empty());
}

TEST(LeverMapping, NoteThreadsKeepEveryCommentAndSoftDeletesAreRecognised) {
  json::value raw = parse(R"({"id":"n-1","text":"Note","user":"u-1","secret":true,
    "createdAt":1420312438111,"deletedAt":null,"fields":[
      {"type":"note","text":"Comment","value":"First","createdAt":1420312438110,"user":"u-1"},
      {"type":"note","text":"Comment","value":"Reply","createdAt":1421715919765,"user":"u-2"}]})");
  json::object note = canonical(map_note(raw, kOpportunity));
  EXPECT_EQ(note.at("source_key").as_string(), "lever:note:n-1");
  EXPECT_EQ(note.at("author_user_key").as_string(), "lever:user:u-1");
  EXPECT_TRUE(note.at("is_private").as_bool());
  std::string body(note.at("body").as_string());
  EXPECT_EQ(body.rfind("First", 0), 0u);
  EXPECT_NE(body.find("lever:user:u-2"), std::string::npos);
  EXPECT_NE(body.find("Reply"), std::string::npos);
  EXPECT_FALSE(is_soft_deleted(raw));
  EXPECT_TRUE(is_soft_deleted(parse(R"({"id":"n","deletedAt":1})")));
  EXPECT_EQ(child_touched_at(raw), 1421715919765);
}

TEST(LeverMapping, InterviewsOffersAndFiles) {
  json::object interview = canonical(map_interview(
      parse(R"({"id":"iv-1","subject":"Chat","date":1000000,"duration":45,"location":"Room",
               "interviewers":[{"id":"u-1","name":"Ann","email":"ann@x.io"}],"canceledAt":null,
               "feedbackForms":["fb-1"],"stage":"s-1"})"),
      kOpportunity, 2000000));
  EXPECT_EQ(interview.at("start_at").as_string(), "1970-01-01T00:16:40Z");
  EXPECT_EQ(interview.at("end_at").as_string(), "1970-01-01T01:01:40Z");
  EXPECT_EQ(interview.at("status").as_string(), "completed");
  EXPECT_EQ(interview.at("feedback_keys").as_array()[0].as_string(), "lever:feedback:fb-1");

  json::object offer = canonical(
      map_offer(parse(R"({"id":"of-1","status":"signed","createdAt":1000,"creator":{"id":"u-3"},
               "fields":[{"text":"Salary","identifier":"salary_amount","value":100000},
                         {"text":"Start","identifier":"anticipated_start_date","value":"2025-03-01"}]})"),
                kOpportunity));
  EXPECT_EQ(offer.at("status").as_string(), "signed");
  EXPECT_EQ(offer.at("start_date").as_string(), "2025-03-01");
  EXPECT_EQ(offer.at("creator_user_key").as_string(), "lever:user:u-3");
  EXPECT_EQ(offer.at("fields").as_array().size(), 2u);
  json::object odd =
      canonical(map_offer(parse(R"({"id":"of-2","status":"negotiating"})"), kOpportunity));
  EXPECT_EQ(problem_fields(odd), (std::vector<std::string>{"status"}));

  Download fetched{"ab" + std::string(62, '0'), 1234, "application/pdf", std::nullopt,
                   std::nullopt};
  json::object resume = canonical(map_file(
      parse(R"({"id":"r-1","createdAt":5,"file":{"name":"cv.pdf","ext":"pdf","uploadedAt":6,
               "status":"processed","size":1000}})"),
      kOpportunity, true, fetched));
  EXPECT_EQ(resume.at("source_key").as_string(), "lever:resume:r-1");
  EXPECT_EQ(resume.at("file_name").as_string(), "cv.pdf");
  EXPECT_EQ(resume.at("size"), 1234);
  EXPECT_TRUE(resume.at("is_resume").as_bool());
  Download refused;
  refused.skipped_reason = "Lever could not process the file (HTTP 422)";
  json::object file = canonical(map_file(
      parse(
          R"({"id":"f-1","name":"x.docx","ext":".docx","uploadedAt":"7","status":"error","size":"9"})"),
      kOpportunity, false, refused));
  EXPECT_EQ(file.at("source_key").as_string(), "lever:file:f-1");
  EXPECT_FALSE(file.contains("sha256"));
  EXPECT_EQ(file.at("skipped_reason").as_string(), "Lever could not process the file (HTTP 422)");
  EXPECT_EQ(file.at("ext").as_string(), "docx");
  EXPECT_EQ(file.at("size"), 9);
}

TEST(LeverMapping, ReferenceDataPostingsDepartmentsAndOffices) {
  json::value posting = parse(R"({"id":"p-1","text":"Engineer","state":"internal",
    "confidentiality":"confidential","owner":"u-1","hiringManager":"u-2",
    "categories":{"team":"Platform","department":"Engineering","location":"Berlin",
                  "allLocations":["Berlin","Remote"],"commitment":"Full-time"},
    "requisitionCodes":["REQ-1"],"createdAt":1000,"updatedAt":2000})");
  json::object job = canonical(map_posting(posting));
  EXPECT_EQ(job.at("status").as_string(), "open");
  EXPECT_TRUE(job.at("confidential").as_bool());
  EXPECT_EQ(job.at("department_keys"), json::parse(R"(["lever:department:Engineering"])"));
  EXPECT_EQ(job.at("office_keys"), json::parse(R"(["lever:office:Berlin","lever:office:Remote"])"));
  EXPECT_EQ(job.at("requisition_code").as_string(), "REQ-1");
  EXPECT_EQ(job.at("hiring_manager_user_keys").as_array()[0].as_string(), "lever:user:u-2");
  std::vector<json::value> postings{posting, parse(R"({"id":"p-2","state":"closed",
      "categories":{"department":"Engineering","location":"Tokyo"}})")};
  auto departments = departments_from_postings(postings);
  ASSERT_EQ(departments.size(), 1u);
  EXPECT_EQ(canonical(departments[0]).at("source_key").as_string(), "lever:department:Engineering");
  EXPECT_EQ(offices_from_postings(postings).size(), 3u);

  json::object user = canonical(map_user(parse(R"({"id":"u-1","name":"Ann","email":"ann@x.io",
      "accessRole":"admin","deactivatedAt":5})")));
  EXPECT_FALSE(user.at("active").as_bool());
  json::object stage = canonical(map_stage(parse(R"({"id":"lead-new","text":"New Lead"})"), 0));
  EXPECT_EQ(stage.at("stage_type").as_string(), "lead");
  json::object reason = canonical(map_archive_reason(parse(R"({"id":"r","text":"Hired",
      "type":"hired","status":"active"})")));
  EXPECT_EQ(reason.at("type").as_string(), "hired");
  json::object odd =
      canonical(map_archive_reason(parse(R"({"id":"r","text":"?","type":"maybe"})")));
  EXPECT_EQ(problem_fields(odd), (std::vector<std::string>{"type"}));
  EXPECT_EQ(canonical(map_source(parse(R"({"text":"LinkedIn","count":3})"))).at("source_key"),
            "lever:source:LinkedIn");
}

TEST(LeverClient, EndpointKindsNameTheResourceNotTheIds) {
  EXPECT_EQ(endpoint_kind("/opportunities"), "opportunities");
  EXPECT_EQ(endpoint_kind("/opportunities/deleted"), "opportunities/deleted");
  EXPECT_EQ(endpoint_kind("/opportunities/2087af84-f146-4535-9368-2309e33e049f/notes"), "notes");
  EXPECT_EQ(endpoint_kind("/opportunities/2087af84-f146-4535-9368-2309e33e049f/resumes/"
                          "68b3e478-ff21-4529-bd29-23ed016042d7/download"),
            "resumes/download");
  EXPECT_EQ(endpoint_kind("/opportunities/2087af84-f146-4535-9368-2309e33e049f/offers/"
                          "a72d66c0-0fd7-4bf8-99ce-dc5979358862/download?status=sent"),
            "offers/download");
  EXPECT_EQ(endpoint_kind("/archive_reasons"), "archive_reasons");
  EXPECT_EQ(kit::url_encode("a b&c=ü"), "a%20b%26c%3D%C3%BC");  // the client encodes with the kit
}

}  // namespace
}  // namespace atsm::lever

namespace atsm::lever {
namespace {

// Issue 16 §3: what real accounts hold beyond the first mapping.
TEST(LeverMappingCarried, ApplicationAnswersCoverLetterAndFileUploadsReachTheCandidacy) {
  json::value raw = json::parse(R"({"id": "opp-1", "contact": "contact-1", "applications": [
    {"id": "app-1", "type": "posting", "posting": "post-1", "createdAt": 1418353241665,
     "company": "Initech", "comments": "Dear team,\r\nhere is my CV.",
     "requisitionForHire": {"id": "req-1", "requisitionCode": "OP-9"},
     "customQuestions": [{"type": "posting", "text": "Software Engineer", "fields": [
       {"type": "multiple-select", "text": "Languages?", "value": ["javascript", "node"]},
       {"type": "file-upload", "text": "Assignment", "value": {"id": "f-1", "ext": ".txt",
        "name": "hw.txt", "size": 46, "uploadedAt": 1423509968652}},
       {"type": "date", "text": "Available from", "value": 1418716800000}]},
      {"type": "referral", "text": "Referral", "fields": [
       {"type": "text", "text": "Name of referrer", "value": "Josh"}]}]}]})");
  json::object candidacy = canonical(map_opportunity(raw, {}));
  EXPECT_EQ(candidacy.at("cover_letter").as_string(), "Dear team,\r\nhere is my CV.");
  json::array expected = json::parse(R"([
    {"form": "Application", "question": "Company", "answer": "Initech"},
    {"form": "Application", "question": "Requisition for hire", "answer": "OP-9"},
    {"form": "Software Engineer", "question": "Languages?", "answer": "javascript, node"},
    {"form": "Software Engineer", "question": "Assignment", "answer": "hw.txt",
     "file_keys": ["lever:application_file:f-1"]},
    {"form": "Software Engineer", "question": "Available from", "answer": "2014-12-16"},
    {"form": "Referral", "question": "Name of referrer", "answer": "Josh"}])")
                             .as_array();
  EXPECT_EQ(candidacy.at("form_answers").as_array(), expected);
  std::vector<json::object> files = application_files(raw);
  ASSERT_EQ(files.size(), 1u);
  json::object file = canonical(map_application_file(files[0], kOpportunity, Download{}));
  EXPECT_EQ(file.at("source_key").as_string(), "lever:application_file:f-1");
  EXPECT_EQ(file.at("file_name").as_string(), "hw.txt");
  EXPECT_EQ(file.at("candidacy_key").as_string(), "lever:opportunity:opp-1");
}

TEST(LeverMappingCarried, OfferLettersDateTheSendingAndBecomeFiles) {
  json::value raw = json::parse(R"({"id": "offer-1", "status": "signed", "createdAt": 1475540115263,
    "fields": [{"identifier": "anticipated_start_date", "text": "Start", "value": 1475564400000}],
    "sentDocument": {"fileName": "letter.pdf", "uploadedAt": 1582910091572},
    "signedDocument": {"fileName": "letter_signed.pdf", "uploadedAt": 1582910097572}})");
  json::object offer = canonical(map_offer(raw, kOpportunity));
  EXPECT_EQ(offer.at("sent_at").as_string(), "2020-02-28T17:14:51.572Z");
  EXPECT_EQ(offer.at("resolved_at").as_string(), "2020-02-28T17:14:57.572Z");
  // 1475564400000 = 2016-10-04T07:00Z, midnight in US Pacific daylight time: the 4th.
  EXPECT_EQ(offer.at("start_date").as_string(), "2016-10-04");
  json::object letter = canonical(map_offer_document(raw, "signed", kOpportunity, Download{}));
  EXPECT_EQ(letter.at("source_key").as_string(), "lever:offer_document:offer-1:signed");
  EXPECT_EQ(letter.at("file_name").as_string(), "letter_signed.pdf");
  EXPECT_EQ(letter.at("candidacy_key").as_string(), "lever:opportunity:opp-1");
}

TEST(LeverMappingCarried, DateOnlyValuesEastOfUtcKeepTheirDay) {
  // Local midnight of 2024-05-01 in Tokyo (UTC+9) is 2024-04-30T15:00Z.
  json::value raw = json::parse(R"({"id": "o", "status": "sent", "fields": [
    {"identifier": "anticipated_start_date", "value": 1714489200000}]})");
  EXPECT_EQ(canonical(map_offer(raw, kOpportunity)).at("start_date").as_string(), "2024-05-01");
}

TEST(LeverMappingCarried, AScoreFieldWithoutOverallIsTheRecommendation) {
  json::value raw = json::parse(R"({"id": "fb", "type": "interview", "fields": [
    {"type": "score", "text": "Rating", "value": "4 - Strong Hire"}]})");
  EXPECT_EQ(canonical(map_feedback(raw, kOpportunity)).at("recommendation").as_string(),
            "strong_yes");
}

TEST(LeverMappingCarried, StagesAreTypedByTitleWhateverTheirIdAndLeadsStayLeads) {
  EXPECT_EQ(canonical(map_stage(json::parse(R"({"id": "51adb2bb-1e24", "text": "New lead"})"), 1))
                .at("stage_type")
                .as_string(),
            "lead");
  EXPECT_EQ(
      canonical(map_stage(json::parse(R"({"id": "fff60592-31dd", "text": "New applicant"})"), 0))
          .at("stage_type")
          .as_string(),
      "applied");
  json::value opportunity =
      json::parse(R"({"id": "o", "contact": "c", "stage": "51adb2bb-1e24", "createdAt": 1})");
  EXPECT_EQ(canonical(map_opportunity(opportunity, {}, {"51adb2bb-1e24"})).at("status").as_string(),
            "lead");
}

TEST(LeverMappingCarried, ANamelessContactIsAValidationErrorNamingTheRecord) {
  ContactAggregate contact;
  contact.add_opportunity(
      json::parse(R"({"id": "opp-9", "contact": "c-9", "name": "", "emails": []})").as_object());
  json::object person = canonical(contact.to_person("c-9"));
  ASSERT_EQ(problem_fields(person), (std::vector<std::string>{"name"}));
  std::string message(person.at("validation_errors").as_array()[0].at("message").as_string());
  EXPECT_NE(message.find("lever:contact:c-9"), std::string::npos) << message;
  EXPECT_NE(message.find("lever:opportunity:opp-9"), std::string::npos) << message;
}

TEST(LeverMappingCarried, ResumeWorkHistoryAndSchoolsBecomeEmploymentAndEducation) {
  ContactAggregate contact;
  contact.add_opportunity(json::parse(R"({"id": "o", "contact": "c", "name": "Jen"})").as_object());
  json::value resume = json::parse(R"({"id": "r", "parsedData": {
    "positions": [{"org": "Tomato Emporium", "title": "VP", "start": {"year": 2012, "month": 7},
                   "end": {"year": 2016, "month": 3}}],
    "schools": [{"org": "NYU Stern", "degree": "BS Marketing", "field": "Marketing",
                 "start": {"year": 2007, "month": 9}, "end": {"year": 2010}}]}})");
  contact.add_resume(resume);
  contact.add_resume(resume);  // the same history on two resumes is kept once
  json::object person = canonical(contact.to_person("c"));
  EXPECT_EQ(person.at("employment"), json::parse(R"([{"company": "Tomato Emporium", "title": "VP",
    "start": "2012-07", "end": "2016-03"}])"));
  EXPECT_EQ(person.at("education"), json::parse(R"([{"school": "NYU Stern",
    "degree": "BS Marketing", "field_of_study": "Marketing", "start": "2007-09", "end": "2010"}])"));
}

TEST(LeverMappingCarried, NoteCommentsKeepTheirScoreStageAndAuthor) {
  json::value raw = json::parse(R"({"id": "n", "user": "u-1", "createdAt": 1420312438111,
    "fields": [{"type": "note", "value": "Move forward", "createdAt": 1420312438110,
                "user": "u-2", "score": 3, "stage": "s-1"}]})");
  std::string body(canonical(map_note(raw, kOpportunity)).at("body").as_string());
  EXPECT_NE(body.find("Move forward [score 3, at stage lever:stage:s-1]"), std::string::npos)
      << body;
  EXPECT_NE(body.find("lever:user:u-2"), std::string::npos) << body;
}

}  // namespace
}  // namespace atsm::lever
