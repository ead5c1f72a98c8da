#include "sample_records.hpp"

#include <boost/json/parse.hpp>

namespace atsm::model::testing {
namespace {

namespace json = boost::json;

template <class T>
T with_envelope(std::string source, std::string key, const char* raw_json = nullptr) {
  T record;
  record.source = std::move(source);
  record.source_key = std::move(key);
  if (raw_json)
    record.raw = json::parse(raw_json);
  return record;
}

std::vector<CustomFieldValue> custom_values() {
  CustomFieldValue seniority{
      "lever:custom_field:seniority", "Seniority", json::value("Senior"), {}};
  CustomFieldValue skills{
      "lever:custom_field:skills", std::nullopt, json::parse(R"(["C++","SQL"])"), {}};
  CustomFieldValue cleared{"lever:custom_field:clearance", std::nullopt, json::value(nullptr), {}};
  return {seniority, skills, cleared};
}

// The reference records: users, departments, offices, custom fields, jobs, stages, archive
// reasons, sources, tags.
std::vector<Record> reference_samples() {
  std::vector<Record> records;

  auto user = with_envelope<User>("lever", "lever:user:u1", R"({"id":"u1","name":"Jane Doe"})");
  user.name = "Jane Doe";
  user.email = "jane@example.com";
  user.active = true;
  user.access_role = "admin";
  records.emplace_back(user);

  auto department = with_envelope<Department>("greenhouse", "greenhouse:department:10");
  department.name = "Engineering";
  department.parent_key = "greenhouse:department:1";
  department.location = "Berlin";
  records.emplace_back(department);

  auto office = with_envelope<Office>("greenhouse", "greenhouse:office:20");
  office.name = "Berlin HQ";
  office.parent_key = "greenhouse:office:2";
  office.location = "Berlin, Germany";
  records.emplace_back(office);

  auto custom_field = with_envelope<CustomField>("greenhouse", "greenhouse:custom_field:7");
  custom_field.name = "Seniority";
  custom_field.object = CustomFieldObject::candidacy;
  custom_field.field_type = CustomFieldType::single_select;
  custom_field.options = {{"Junior", "71", {}}, {"Senior", std::nullopt, {}}};
  records.emplace_back(custom_field);

  auto job = with_envelope<Job>("lever", "lever:posting:p1");
  job.title = "Backend Engineer";
  job.status = JobStatus::closed;
  job.confidential = false;
  job.department_keys = {"greenhouse:department:10"};
  job.office_keys = {"greenhouse:office:20", "greenhouse:office:21"};
  job.location = "Remote (EU)";
  job.team = "Platform";
  job.owner_user_key = "lever:user:u1";
  job.hiring_manager_user_keys = {"lever:user:u2"};
  job.requisition_code = "REQ-42";
  job.created_at = "2019-03-04T14:02:00Z";
  job.updated_at = "2019-03-05T09:00:00.5Z";
  job.custom_fields = custom_values();
  records.emplace_back(job);

  auto stage = with_envelope<Stage>("lever", "lever:stage:s-screen");
  stage.name = "Phone Screen";
  stage.job_key = "lever:posting:p1";
  stage.order = 2;
  stage.stage_type = StageType::screen;
  records.emplace_back(stage);

  auto reason = with_envelope<ArchiveReason>("lever", "lever:archive_reason:r1");
  reason.name = "Hired";
  reason.type = ArchiveReasonType::hired;
  records.emplace_back(reason);

  auto source = with_envelope<Source>("greenhouse", "greenhouse:source:5");
  source.name = "LinkedIn";
  source.type = "social_media";
  records.emplace_back(source);

  auto tag = with_envelope<Tag>("greenhouse", "greenhouse:tag:3");
  tag.name = "Python";
  records.emplace_back(tag);
  return records;
}

Person sample_person() {
  auto person = with_envelope<Person>("lever", "lever:contact:c1",
                                      R"({"id":"c1","emails":[" Ada@Example.COM "]})");
  person.name = "Ada Lovelace";
  person.first_name = "Ada";
  person.last_name = "Lovelace";
  person.emails = {{" Ada@Example.COM ", "ada@example.com", "personal", {}},
                   {"not-an-email", std::nullopt, std::nullopt, {}}};
  person.phones = {{"+44 20 7946 0958", "mobile", {}}, {"020 7946 0000", std::nullopt, {}}};
  person.links = {{"https://www.linkedin.com/in/ada", LinkType::linkedin, {}},
                  {"https://github.com/ada", LinkType::github, {}},
                  {"https://ada.example", LinkType::website, {}},
                  {"https://x.com/ada", LinkType::social, {}},
                  {"https://example.org/ada", LinkType::other, {}}};
  person.location = "London, UK";
  person.addresses = {{"12 St James's Square, London", "home", {}}};
  person.headline = "Analyst";
  person.company = "Analytical Engines Ltd";
  person.title = "Engineer";
  person.tags = {"Python", "Referral"};
  person.owner_user_key = "lever:user:u1";
  person.recruiter_user_key = "lever:user:u2";
  person.coordinator_user_key = "lever:user:u3";
  person.is_private = false;
  person.confidential = true;
  person.anonymized = false;
  person.created_at = "1969-12-31T23:59:59.999Z";
  person.updated_at = "2019-03-04T14:02:00Z";
  person.custom_fields = custom_values();
  person.education = {{"University of London", "None", "Mathematics", "1832", "1835-06", {}},
                      {"", std::nullopt, std::nullopt, std::nullopt, "1840-01-31", {}}};
  person.employment = {
      {"Analytical Engines Ltd", "Engineer", "1843-09-01", std::nullopt, true, {}}};
  person.time_zone = "Europe/London";
  person.can_email = false;
  return person;
}

Candidacy sample_candidacy() {
  auto candidacy = with_envelope<Candidacy>("lever", "lever:opportunity:o1");
  candidacy.person_key = "lever:contact:c1";
  candidacy.job_key = "lever:posting:p1";
  candidacy.status = CandidacyStatus::archived;
  candidacy.stage_key = "lever:stage:s-screen";
  candidacy.archive_reason_key = "lever:archive_reason:r2";
  candidacy.archived_at = "2019-04-01T10:00:00Z";
  candidacy.form_answers = {
      {"Application", "Are you authorized to work in the country?", "Yes", {}, {}},
      {std::nullopt, "Portfolio", std::nullopt, {"lever:file:f1"}, {}}};
  candidacy.cover_letter = "Dear team,\nI would like to join.";
  candidacy.prospect_pool = "Future engineers";
  candidacy.prospect_pool_stage = "Reached out";
  candidacy.stage_history = {{"lever:stage:s-new", "2019-03-04T14:02:00Z", std::nullopt, {}},
                             {"lever:stage:s-screen", "2019-03-10T08:30:00Z", "lever:user:u1", {}}};
  candidacy.sources = {{"greenhouse:source:5", "LinkedIn", {}}, {std::nullopt, "Referral", {}}};
  candidacy.credited_to_user_key = "lever:user:u2";
  candidacy.owner_user_key = "lever:user:u1";
  candidacy.created_at = "2019-03-04T14:02:00Z";
  candidacy.updated_at = "2019-04-01T10:00:00Z";
  candidacy.applied_at = "2019-03-04T14:02:00Z";
  candidacy.is_prospect = false;
  candidacy.confidential = false;
  candidacy.tags = {"Python"};
  candidacy.custom_fields = custom_values();
  return candidacy;
}

Note sample_note() {
  auto note = with_envelope<Note>("greenhouse", "greenhouse:note:n1");
  note.person_key = "greenhouse:candidate:100";
  note.candidacy_key = "greenhouse:application:200";
  note.author_user_key = "greenhouse:user:9";
  note.author_name = "Grace Hopper";
  note.body = "<p>Strong <b>systems</b> background</p>";
  note.body_format = BodyFormat::html;
  note.created_at = "2020-02-29T12:00:00Z";
  note.is_private = true;
  note.deleted = false;
  return note;
}

Feedback sample_feedback() {
  auto feedback = with_envelope<Feedback>("greenhouse", "greenhouse:scorecard:s1");
  feedback.person_key = "greenhouse:candidate:100";
  feedback.candidacy_key = "greenhouse:application:200";
  feedback.author_user_key = "greenhouse:user:9";
  feedback.author_name = "Grace Hopper";
  feedback.interview_key = "greenhouse:interview:i1";
  feedback.form_name = "Technical Interview";
  feedback.submitted_at = "2020-03-01T17:45:30.250Z";
  feedback.recommendation = Recommendation::strong_yes;
  FeedbackField rating{"Problem solving",
                       FeedbackFieldType::scorecard_attribute,
                       json::value("strong_yes"),
                       RatingScale{},
                       "Clean approach",
                       "Skills",
                       {}};
  rating.scale->values = {json::value("strong_no"), json::value("no"), json::value("yes"),
                          json::value("strong_yes")};
  FeedbackField score{"Overall", FeedbackFieldType::rating, json::value(4), RatingScale{}, {}, {},
                      {}};
  score.scale->min = 1;
  score.scale->max = 4;
  FeedbackField unanswered{
      "Salary expectations", FeedbackFieldType::text, std::nullopt, {}, {}, {}, {}};
  FeedbackField cleared{
      "Relocation", FeedbackFieldType::yes_no, json::value(nullptr), {}, {}, {}, {}};
  feedback.fields = {rating, score, unanswered, cleared};
  feedback.text = "Would hire.";
  return feedback;
}

Interview sample_interview() {
  auto interview = with_envelope<Interview>("greenhouse", "greenhouse:interview:i1");
  interview.person_key = "greenhouse:candidate:100";
  interview.candidacy_key = "greenhouse:application:200";
  interview.title = "Technical Interview";
  interview.start_at = "2020-03-01T15:00:00Z";
  interview.end_at = "2020-03-01T16:00:00Z";
  interview.interviewers = {{"greenhouse:user:9", "Grace Hopper", {}}, {std::nullopt, "Guest", {}}};
  interview.location = "Room 1";
  interview.status = "complete";
  interview.feedback_keys = {"greenhouse:scorecard:s1"};
  return interview;
}

Offer sample_offer() {
  auto offer = with_envelope<Offer>("greenhouse", "greenhouse:offer:f1");
  offer.person_key = "greenhouse:candidate:100";
  offer.candidacy_key = "greenhouse:application:200";
  offer.status = "accepted";
  offer.created_at = "2020-03-05T09:00:00Z";
  offer.sent_at = "2020-03-06T09:00:00Z";
  offer.resolved_at = "2020-03-08T09:00:00Z";
  offer.start_date = "2020-04-01";
  offer.fields = {{"Salary", json::parse(R"({"amount":90000,"currency":"EUR"})"), {}},
                  {"Notes", std::nullopt, {}}};
  offer.creator_user_key = "greenhouse:user:9";
  return offer;
}

File sample_file() {
  auto file = with_envelope<File>("lever", "lever:file:f9");
  file.person_key = "lever:contact:c1";
  file.candidacy_key = "lever:opportunity:o1";
  file.file_name = "Ada Lovelace CV.pdf";
  file.content_type = "application/pdf";
  file.size = 48213;
  file.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  file.is_resume = true;
  file.uploaded_at = "2019-03-04T14:05:00Z";
  file.skipped_reason = "lever: file not processed (422)";
  return file;
}

}  // namespace

std::vector<Record> full_sample_records() {
  std::vector<Record> records = reference_samples();
  records.emplace_back(sample_person());
  records.emplace_back(sample_candidacy());
  records.emplace_back(sample_note());
  records.emplace_back(sample_feedback());
  records.emplace_back(sample_interview());
  records.emplace_back(sample_offer());
  records.emplace_back(sample_file());
  return records;
}

std::vector<Record> minimal_sample_records() {
  std::vector<Record> records;
  auto named = [&records]<class T>(T record, const char* key, const char* name) {
    record.source = "acme";
    record.source_key = key;
    record.name = name;
    records.emplace_back(std::move(record));
  };
  named(User{}, "acme:user:1", "Sam");
  named(Department{}, "acme:department:1", "Sales");
  named(Office{}, "acme:office:1", "Paris");
  named(CustomField{}, "acme:custom_field:1", "Notes");
  auto job = with_envelope<Job>("acme", "acme:job:1");
  job.title = "Account Executive";
  records.emplace_back(job);
  named(Stage{}, "acme:stage:1", "New");
  named(ArchiveReason{}, "acme:archive_reason:1", "Withdrew");
  named(Source{}, "acme:source:1", "Website");
  named(Tag{}, "acme:tag:1", "VIP");
  records.emplace_back(with_envelope<Person>("acme", "acme:person:1"));
  auto candidacy = with_envelope<Candidacy>("acme", "acme:candidacy:1");
  candidacy.person_key = "acme:person:1";
  records.emplace_back(candidacy);
  auto note = with_envelope<Note>("acme", "acme:note:1");
  note.person_key = "acme:person:1";
  records.emplace_back(note);
  auto feedback = with_envelope<Feedback>("acme", "acme:feedback:1");
  feedback.person_key = "acme:person:1";
  records.emplace_back(feedback);
  auto interview = with_envelope<Interview>("acme", "acme:interview:1");
  interview.person_key = "acme:person:1";
  records.emplace_back(interview);
  auto offer = with_envelope<Offer>("acme", "acme:offer:1");
  offer.person_key = "acme:person:1";
  records.emplace_back(offer);
  auto file = with_envelope<File>("acme", "acme:file:1");
  file.person_key = "acme:person:1";
  file.file_name = "resume.docx";
  records.emplace_back(file);
  return records;
}

}  // namespace atsm::model::testing
