// Candidacies and jobs through the ABI against the emulated Ashby: the application with its
// history, the application note, the hiring team, business errors, a lost job create.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "sink_fixture.hpp"

namespace atsm::ashby::testing {
namespace {

TEST_F(AshbySinkTest, ACandidacyBecomesAnApplicationWithItsHistoryArchivedOrHired) {
  json::object catalog = h.prepare();
  std::string job = make_job();
  std::string candidate =
      write_ok("person", item("lever:contact:p", person("p", "Pat Doe", {"pat@example.com"})));
  std::map<std::string, std::string> refs{
      {"lever:contact:p", candidate},
      {"lever:posting:p1", job},
      {"lever:stage:new", stage_id(catalog, "New Applicant")},
      {"lever:stage:screen", stage_id(catalog, "Recruiter Screen")},
      {"lever:stage:phone", stage_id(catalog, "Phone Interview")},
      {"lever:archive_reason:under", catalog_id(catalog, "archive_reason", "Underqualified")},
      {"lever:source:referral", catalog_id(catalog, "source", "Referral")}};
  auto candidacy = [&](const std::string& id, const std::string& status) {
    return json::object{
        {"kind", "candidacy"},
        {"source", "lever"},
        {"source_key", "lever:opportunity:" + id},
        {"person_key", "lever:contact:p"},
        {"job_key", "lever:posting:p1"},
        {"status", status},
        {"stage_key", "lever:stage:phone"},
        {"archive_reason_key", "lever:archive_reason:under"},
        {"archived_at", "2019-04-01T12:00:00Z"},
        {"created_at", "2019-03-04T10:00:00Z"},
        {"sources",
         json::array{json::object{{"source_key", "lever:source:referral"}, {"name", "Referral"}}}},
        {"tags", json::array{"backend"}},
        {"stage_history", json::array{json::object{{"stage_key", "lever:stage:new"},
                                                   {"entered_at", "2019-03-04T10:00:00Z"}},
                                      json::object{{"stage_key", "lever:stage:screen"},
                                                   {"entered_at", "2019-03-10T09:00:00Z"}},
                                      json::object{{"stage_key", "lever:stage:screen"},
                                                   {"entered_at", "2019-03-11T09:00:00Z"}},
                                      json::object{{"stage_key", "lever:stage:phone"},
                                                   {"entered_at", "2019-03-20T09:00:00Z"}}}}};
  };
  auto before = h.request_counts();
  std::string archived =
      write_ok("candidacy", item("lever:opportunity:o1", candidacy("o1", "archived"), refs));
  auto counts = delta(before, h.request_counts());
  EXPECT_EQ(calls(counts, "application.create"), 1);
  EXPECT_EQ(calls(counts, "jobInterviewPlan.info"), 1);
  EXPECT_EQ(calls(counts, "customField.create"), 1);  // "Legacy ID" on applications
  EXPECT_EQ(calls(counts, "customField.setValues"), 1);
  EXPECT_EQ(calls(counts, "application.changeStage"), 0);
  std::string hired =
      write_ok("candidacy", item("lever:opportunity:o2", candidacy("o2", "hired"), refs));
  std::string active =
      write_ok("candidacy", item("lever:opportunity:o3", candidacy("o3", "active"), refs));

  json::object state = h.state();
  ASSERT_EQ(state.at("counts").at("application"), 3);
  std::map<std::string, json::object> apps;
  for (const auto& app : state.at("candidates").at(0).at("applications").as_array())
    apps[std::string(app.at("id").as_string())] = app.as_object();
  json::array common{"New Applicant", "Recruiter Screen", "Phone Interview"};
  json::array archived_history = common, hired_history = common;
  archived_history.emplace_back("Archived");
  hired_history.emplace_back("Hired");
  EXPECT_EQ(apps[archived].at("status"), "Archived");
  EXPECT_EQ(apps[archived].at("history"), archived_history);
  EXPECT_EQ(apps[archived].at("archiveReason"), "Underqualified");
  EXPECT_EQ(apps[archived].at("customFields").at("Legacy ID"), "lever:opportunity:o1");
  EXPECT_EQ(apps[archived].at("createdAt"), "2019-03-04T10:00:00.000Z");
  EXPECT_EQ(apps[hired].at("status"), "Hired");
  EXPECT_EQ(apps[hired].at("history"), hired_history);
  EXPECT_EQ(apps[active].at("status"), "Active");
  EXPECT_EQ(apps[active].at("stage"), "Phone Interview");
  EXPECT_EQ(state.at("candidates").at(0).at("tags"), (json::array{"backend"}));

  auto back = h.sink().read_back("candidacy", archived);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->at("status"), "archived");
  EXPECT_EQ(back->at("stage_history").as_array().size(), 4u);
  EXPECT_EQ(back->at("job_key"), json::value("ashby:job:" + job));
  auto job_back = h.sink().read_back("job", job);
  ASSERT_TRUE(job_back.has_value());
  EXPECT_EQ(job_back->at("status"), "open");
}

// Issue 16 §3, 17 item 10: what an application has no field for. The prospect pool becomes a
// candidate tag; its stage, the cover letter and the form answers one candidate note backdated to
// the application, each kind said lossy; a second write of the same item finds the note.
TEST_F(AshbySinkTest, ApplicationContentBecomesOneBackdatedNoteAndThePoolATag) {
  json::object catalog = h.prepare();
  std::string job = make_job();
  std::string candidate =
      write_ok("person", item("lever:contact:q", person("q", "Quinn Doe", {"quinn@example.com"})));
  std::map<std::string, std::string> refs{{"lever:contact:q", candidate},
                                          {"lever:posting:Backend Engineer", job},
                                          {"lever:stage:new", stage_id(catalog, "New Applicant")}};
  json::object record{
      {"kind", "candidacy"},
      {"source", "lever"},
      {"source_key", "lever:opportunity:q1"},
      {"person_key", "lever:contact:q"},
      {"job_key", "lever:posting:Backend Engineer"},
      {"status", "active"},
      {"stage_key", "lever:stage:new"},
      {"created_at", "2019-03-04T10:00:00Z"},
      {"applied_at", "2019-03-04T10:00:00Z"},
      {"cover_letter", "Dear team,\nI build <fast> & safe systems."},
      {"prospect_pool", "Future engineers"},
      {"prospect_pool_stage", "Reached out"},
      {"form_answers",
       json::array{
           json::object{{"form", "Application"}, {"question", "Company"}, {"answer", "Initech"}},
           json::object{
               {"form", "Backend Engineer"}, {"question", "Languages?"}, {"answer", "C++, SQL"}},
           json::object{{"form", "Backend Engineer"},
                        {"question", "Assignment"},
                        {"answer", "hw.txt"},
                        {"file_keys", json::array{"lever:application_file:f1"}}},
           json::object{{"question", "Unanswered question"}}}}};
  json::object result = write_one("candidacy", item("lever:opportunity:q1", record, refs));
  ASSERT_EQ(result.at("status"), "ok") << json::serialize(result);
  std::string lossy = json::serialize(result.at("lossy"));
  for (const char* line :
       {"prospect pool kept as a candidate tag", "prospect pool stage kept in the application note",
        "cover letter kept in the application note",
        "application form answers kept in the application note"})
    EXPECT_NE(lossy.find(line), std::string::npos) << line << " in " << lossy;

  json::object state = h.state();
  const json::object& held = state.at("candidates").at(0).as_object();
  std::vector<std::string> tags;
  for (const json::value& tag : held.at("tags").as_array())
    tags.emplace_back(tag.as_string());
  EXPECT_NE(std::find(tags.begin(), tags.end(), "Prospect pool: Future engineers"), tags.end());
  ASSERT_EQ(held.at("notes").as_array().size(), 1u) << json::serialize(held.at("notes"));
  const json::object& note = held.at("notes").at(0).as_object();
  // What a reader sees (the emulator's rendering after Ashby's documented stripping): the note
  // has paragraphs, so it goes as plain text with its lines.
  std::string content(note.at("rendered").as_string());
  EXPECT_EQ(note.at("createdAt"), "2019-03-04T10:00:00.000Z");
  for (const char* part :
       {"Lever application — Backend Engineer",
        "Prospect pool: Future engineers, stage: Reached out", "Cover letter",
        "I build <fast> & safe systems.", "Application", "Company: Initech", "Backend Engineer",
        "Languages?: C++, SQL",
        "Assignment: hw.txt (an uploaded file, migrated among the candidate's files)",
        "Application form", "Unanswered question: —"})
    EXPECT_NE(content.find(part), std::string::npos) << part << " in " << content;
  // The answers in the source's order: Application's before the posting form's.
  EXPECT_LT(content.find("Company: Initech"), content.find("Languages?"));

  // Written again (an update, or a retry after a lost answer): the note is found, not repeated.
  auto before = h.request_counts();
  json::object again = item("lever:opportunity:q1", record, refs);
  again["target_id"] = result.at("target_id");
  again["lookup_first"] = true;
  ASSERT_EQ(write_one("candidacy", again).at("status"), "ok");
  EXPECT_EQ(calls(delta(before, h.request_counts()), "candidate.createNote"), 0);
  EXPECT_EQ(h.state().at("candidates").at(0).at("notes").as_array().size(), 1u);
}

// Issue 17 item 6: a job's hiring managers and owner join its hiring team through
// hiringTeam.addMember (sandbox/validator/ashby-api-openapi.extract.json), as "Hiring Manager" and
// "Recruiter"; a user with no Ashby user is said lossy; writing the job again adds nobody twice.
TEST_F(AshbySinkTest, AJobsHiringManagersAndOwnerJoinItsHiringTeam) {
  h.prepare();
  // Two users besides the harness's fallback user (options.fallback_user stands in for authors,
  // never for a hiring team: a key resolving only to it is said lossy).
  std::vector<json::object> users;
  std::string fallback_id;
  json::object listed = h.ashby("user.list", {});
  for (const json::value& user : listed.at("results").as_array())
    if (user.at("email") != "migration-bot@acme.example")
      users.push_back(user.as_object());
    else
      fallback_id = user.at("id").as_string();
  ASSERT_GE(users.size(), 2u);
  const json::object& manager = users.at(0);
  const json::object& owner = users.at(1);
  std::map<std::string, std::string> refs{
      {"lever:user:m", std::string(manager.at("id").as_string())},
      {"lever:user:o", std::string(owner.at("id").as_string())},
      {"lever:user:left", fallback_id}};  // a deactivated user the plan sent to the fallback
  json::object record{{"kind", "job"},
                      {"source", "lever"},
                      {"source_key", "lever:posting:team"},
                      {"title", "Team Lead"},
                      {"status", "open"},
                      {"team", "Engineering"},
                      {"location", "Berlin"},
                      {"owner_user_key", "lever:user:o"},
                      {"hiring_manager_user_keys",
                       json::array{"lever:user:m", "lever:user:gone", "lever:user:left"}}};
  json::object result = write_one("job", item("lever:posting:team", record, refs));
  ASSERT_EQ(result.at("status"), "ok") << json::serialize(result);
  int not_users = 0;
  for (const json::value& line : result.at("lossy").as_array())
    not_users += line == "hiring manager is not an Ashby user: not on the hiring team" ? 1 : 0;
  EXPECT_EQ(not_users, 2) << json::serialize(result.at("lossy"));
  std::string job_id(result.at("target_id").as_string());
  auto team_of = [&] {
    std::multiset<std::pair<std::string, std::string>> team;
    json::object info = h.ashby("job.info", {{"id", job_id}});
    for (const json::value& member : info.at("results").at("hiringTeam").as_array())
      team.emplace(std::string(member.at("email").as_string()),
                   std::string(member.at("role").as_string()));
    return team;
  };
  std::multiset<std::pair<std::string, std::string>> expected{
      {std::string(manager.at("email").as_string()), "Hiring Manager"},
      {std::string(owner.at("email").as_string()), "Recruiter"}};
  EXPECT_EQ(team_of(), expected);

  auto before = h.request_counts();
  json::object again = item("lever:posting:team", record, refs);
  again["target_id"] = job_id;
  ASSERT_EQ(write_one("job", again).at("status"), "ok");
  EXPECT_EQ(calls(delta(before, h.request_counts()), "hiringTeam.addMember"), 0);
  EXPECT_EQ(team_of(), expected);
}

TEST_F(AshbySinkTest, BusinessErrorsAreFailuresWithVendorCodeAndRequestIdNeverWrites) {
  h.prepare();
  std::string candidate =
      write_ok("person", item("lever:contact:e", person("e", "Err Case", {"err@example.com"})));
  json::object record{{"kind", "candidacy"},
                      {"source", "lever"},
                      {"source_key", "lever:opportunity:bad"},
                      {"person_key", "lever:contact:e"},
                      {"job_key", "lever:posting:gone"},
                      {"status", "active"}};
  json::object result = write_one(
      "candidacy", item("lever:opportunity:bad", record,
                        {{"lever:contact:e", candidate},
                         {"lever:posting:gone", "0badc0de-0000-4000-8000-000000000002"}}));
  EXPECT_NE(result.at("status"), "ok");
  EXPECT_EQ(result.at("target_id"), "");
  EXPECT_EQ(result.at("vendor_code"), "job_not_found");
  EXPECT_EQ(result.at("vendor_request_id").as_string().size(), 26u);
  EXPECT_NE(result.at("message").as_string().find("lever:opportunity:bad"), json::string::npos);
  EXPECT_EQ(h.state(false).at("counts").at("application"), 0);

  // A create refused with HTTP 200 success:false (an unknown source): a failure, no object.
  std::string job = make_job();
  record["job_key"] = "lever:posting:p1";
  record["sources"] = json::array{json::object{{"source_key", "lever:source:x"}}};
  json::object refused_create =
      write_one("candidacy", item("lever:opportunity:bad", record,
                                  {{"lever:contact:e", candidate},
                                   {"lever:posting:p1", job},
                                   {"lever:source:x", "0badc0de-0000-4000-8000-000000000003"}}));
  EXPECT_EQ(refused_create.at("status"), "invalid") << json::serialize(refused_create);
  EXPECT_EQ(refused_create.at("vendor_code"), "invalid_input");
  EXPECT_EQ(refused_create.at("target_id"), "");
  EXPECT_EQ(h.state(false).at("counts").at("application"), 0);
  EXPECT_EQ(h.state(false).at("created_by_method").as_object().count("application.create"), 0u);

  // A record missing a reference is refused naming the field, before any call.
  auto before = h.request_counts();
  record["person_key"] = "lever:contact:unknown";
  json::object refused = write_one("candidacy", item("lever:opportunity:bad2", record));
  EXPECT_EQ(refused.at("status"), "invalid");
  EXPECT_NE(refused.at("message").as_string().find("person_key"), json::string::npos);
  EXPECT_TRUE(delta(before, h.request_counts()).empty());
}

TEST_F(AshbySinkTest, ADraftJobIsInTheCatalogAndALostCreateIsFoundByTheLookup) {
  std::string team(
      h.ashby("department.create", {{"name", "Ops"}}).at("results").at("id").as_string());
  std::string location(h.ashby("location.create", {{"name", "Remote"}, {"type", "Location"}})
                           .at("results")
                           .at("id")
                           .as_string());
  // What a job.create whose answer was lost leaves behind: a Draft job (job.setStatus: "All jobs
  // are drafts when they're first created").
  std::string draft(
      h.ashby("job.create",
              {{"title", "Lost Answer Role"}, {"teamId", team}, {"locationId", location}})
          .at("results")
          .at("id")
          .as_string());
  json::object catalog = h.prepare();
  bool listed = false;
  for (const auto& job : catalog.at("catalog").at("job").as_array())
    if (job.at("id") == json::value(draft)) {
      listed = true;
      EXPECT_EQ(job.at("status"), "Draft");
    }
  EXPECT_TRUE(listed) << json::serialize(catalog.at("catalog").at("job"));
  json::object lost = item("lever:posting:lost", json::object{{"kind", "job"},
                                                              {"source", "lever"},
                                                              {"source_key", "lever:posting:lost"},
                                                              {"title", "Lost Answer Role"},
                                                              {"status", "open"},
                                                              {"team", "Ops"},
                                                              {"location", "Remote"}});
  lost["lookup_first"] = true;
  auto before = h.request_counts();
  EXPECT_EQ(write_ok("job", lost), draft);
  EXPECT_EQ(calls(delta(before, h.request_counts()), "job.create"), 0);
  EXPECT_EQ(h.state().at("jobs").as_array().size(), 1u);
}

}  // namespace
}  // namespace atsm::ashby::testing
