// The Ashby sink through the ABI against the emulated Ashby: what each write item creates, with
// the calls it costs; business errors never counted as writes; lost responses never duplicate;
// unsafe note HTML neutralised; prepare refusing what is missing before any write.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "harness.hpp"

namespace atsm::ashby::testing {
namespace {

const std::set<std::string> kWriteMethods{"candidate.create",
                                          "candidate.update",
                                          "candidate.addTag",
                                          "candidate.createNote",
                                          "candidate.uploadResume",
                                          "candidate.uploadFile",
                                          "candidateTag.create",
                                          "application.create",
                                          "application.update",
                                          "application.changeStage",
                                          "applicationFeedback.submit",
                                          "customField.create",
                                          "customField.setValues",
                                          "customField.setValue",
                                          "file.createFileUploadHandle",
                                          "job.create",
                                          "job.update",
                                          "job.setStatus",
                                          "department.create",
                                          "location.create"};

json::object person(const std::string& id, const std::string& name,
                    const std::vector<std::string>& emails, json::object extra = {}) {
  json::array email_json;
  for (const auto& email : emails)
    email_json.push_back(json::object{{"address", email}});
  json::object record{{"kind", "person"},
                      {"source", "lever"},
                      {"source_key", "lever:contact:" + id},
                      {"name", name},
                      {"created_at", "2019-03-04T10:00:00Z"}};
  if (!emails.empty())
    record["emails"] = std::move(email_json);
  for (const auto& [key, value] : extra)
    record[key] = value;
  return record;
}

const json::object* candidate_by_legacy(const json::object& state, const std::string& key) {
  for (const auto& candidate : state.at("candidates").as_array()) {
    const auto& custom = candidate.at("customFields").as_object();
    if (auto* legacy = custom.if_contains("Legacy IDs"))
      if (legacy->as_string().find(key) != json::string::npos)
        return &candidate.as_object();
  }
  return nullptr;
}

std::string stage_id(const json::object& catalog, const std::string& name) {
  for (const auto& stage : catalog.at("catalog").at("stage").as_array())
    if (stage.at("name").as_string() == name)
      return std::string(stage.at("id").as_string());
  ADD_FAILURE() << "no stage " << name;
  return {};
}

std::string catalog_id(const json::object& catalog, const std::string& kind,
                       const std::string& name) {
  for (const auto& entry : catalog.at("catalog").at(kind).as_array())
    if (entry.at("name").as_string() == name)
      return std::string(entry.at("id").as_string());
  ADD_FAILURE() << "no " << kind << " " << name;
  return {};
}

class AshbySinkTest : public ::testing::Test {
 protected:
  json::object write_one(const std::string& kind, const json::object& write_item) {
    json::array results = h.sink().write(kind, json::serialize(json::array{write_item}));
    EXPECT_EQ(results.size(), 1u);
    return results.at(0).as_object();
  }
  std::string write_ok(const std::string& kind, const json::object& write_item) {
    json::object result = write_one(kind, write_item);
    EXPECT_EQ(result.at("status").as_string(), "ok") << json::serialize(result);
    return std::string(result.at("target_id").as_string());
  }
  // A job on the default plan, created through the sink.
  std::string make_job(const std::string& title = "Backend Engineer") {
    return write_ok(
        "job", item("lever:posting:" + title, json::object{{"kind", "job"},
                                                           {"source", "lever"},
                                                           {"source_key", "lever:posting:" + title},
                                                           {"title", title},
                                                           {"status", "open"},
                                                           {"team", "Engineering"},
                                                           {"location", "Berlin"}}));
  }
  AshbyHarness h;
};

TEST_F(AshbySinkTest, PrepareListsEveryMissingReferenceAtOnceAndWritesNothing) {
  auto before = h.request_counts();
  json::object report = h.prepare(json::object{
      {"options", json::object{{"feedback_form", "No Such Form"},
                               {"default_interview_plan", "Default Interview Plan"},
                               {"fallback_user", "ghost@acme.example"},
                               {"jobless", "lead_application"},
                               {"jobless_job", "Talent Pool"}}},
      {"counts", json::object{{"feedback", 3}}},
      {"mapping",
       json::object{
           {"stages", json::object{{"lever:stage:final", "Final Round"},
                                   {"lever:stage:phone", "Phone Interview"}}},
           {"archive_reasons", json::object{{"lever:archive_reason:g", "Ghosted"}}},
           {"users", json::object{{"lever:user:u9", "nobody@acme.example"}}},
           {"custom_fields", json::object{{"greenhouse:custom_field:1", "Shoe size"}}},
           {"jobs", json::object{{"lever:posting:p1", json::object{{"interview_plan", "Exec Plan"},
                                                                   {"job", "Chief Wizard"}}}}}}}});
  std::set<std::pair<std::string, std::string>> missing;
  for (const auto& entry : report.at("missing").as_array())
    missing.emplace(entry.at("kind").as_string(), entry.at("name").as_string());
  std::set<std::pair<std::string, std::string>> expected{{"feedback_form", "No Such Form"},
                                                         {"user", "ghost@acme.example"},
                                                         {"job", "Talent Pool"},
                                                         {"stage", "Final Round"},
                                                         {"archive_reason", "Ghosted"},
                                                         {"user", "nobody@acme.example"},
                                                         {"custom_field", "Shoe size"},
                                                         {"interview_plan", "Exec Plan"},
                                                         {"job", "Chief Wizard"}};
  EXPECT_EQ(missing, expected) << json::serialize(report.at("missing"));
  for (const auto& [endpoint, count] : delta(before, h.request_counts()))
    for (const auto& method : kWriteMethods)
      EXPECT_NE(endpoint, "POST /" + method) << "prepare wrote: " << endpoint;
  EXPECT_EQ(h.state(false).at("created_by_method").as_object().size(), 0u);
}

TEST_F(AshbySinkTest, PrepareCatalogNamesWhatTheTargetHolds) {
  json::object report = h.prepare();
  EXPECT_TRUE(report.at("missing").as_array().empty()) << json::serialize(report.at("missing"));
  const auto& catalog = report.at("catalog").as_object();
  bool phone = false;
  for (const auto& stage : catalog.at("stage").as_array())
    if (stage.at("name") == "Phone Interview") {
      phone = true;
      EXPECT_EQ(stage.at("stage_type"), "interview");
      EXPECT_EQ(stage.at("plan"), "Default Interview Plan");
    }
  EXPECT_TRUE(phone);
  EXPECT_FALSE(catalog_id(report, "feedback_form", "Migrated Feedback").empty());
  EXPECT_FALSE(catalog_id(report, "user", "Migration Bot").empty());
  EXPECT_FALSE(catalog.at("archive_reason").as_array().empty());
  EXPECT_FALSE(catalog.at("source").as_array().empty());
}

TEST_F(AshbySinkTest, UnknownConfigKeysAreRefusedByName) {
  try {
    h.open_instance(json::object{{"bogus_key", 1}, {"other", "x"}});
    FAIL() << "opened with unknown keys";
  } catch (const sdk::Error& error) {
    EXPECT_EQ(error.status(), ATSM_INVALID);
    EXPECT_NE(std::string(error.what()).find("'bogus_key', 'other'"), std::string::npos)
        << error.what();
  }
}

TEST_F(AshbySinkTest, APersonBecomesOneCandidateWithEveryFieldAndTheFewestCalls) {
  auto before = h.request_counts();
  json::object record = person(
      "c1", "Ada Lovelace", {"  Ada@Example.com ", "ada.alt@example.com", "not-an-email"},
      json::object{
          {"phones", json::array{json::object{{"number", "+44 20 7946 0001"}},
                                 json::object{{"number", "+44 20 7946 0002"}, {"type", "work"}}}},
          {"links",
           json::array{
               json::object{{"url", "https://www.linkedin.com/in/ada"}, {"type", "linkedin"}},
               json::object{{"url", "https://github.com/ada"}, {"type", "github"}},
               json::object{{"url", "https://twitter.com/ada"}, {"type", "social"}}}},
          {"location", "London, England, UK"},
          {"headline", "Analyst at Engines Ltd"},
          {"tags", json::array{"python", "math"}}});
  json::object result = write_one("person", item("lever:contact:c1", record));
  ASSERT_EQ(result.at("status"), "ok") << json::serialize(result);
  std::string id(result.at("target_id").as_string());
  auto counts = delta(before, h.request_counts());
  EXPECT_EQ(calls(counts, "candidate.create"), 1);
  EXPECT_EQ(calls(counts, "customField.create"), 1);  // the "Legacy IDs" field, once
  EXPECT_EQ(calls(counts, "customField.setValues"), 1);
  EXPECT_EQ(calls(counts, "candidate.update"), 1);  // the Twitter link
  EXPECT_EQ(calls(counts, "candidateTag.create"), 2);
  EXPECT_EQ(calls(counts, "candidate.addTag"), 2);
  EXPECT_EQ(calls(counts, "candidate.createNote"), 1);  // the profile note
  ASSERT_EQ(result.at("derived").as_array().size(), 1u);

  json::object state = h.state();
  ASSERT_EQ(state.at("counts").at("candidate"), 1);
  const json::object* candidate = candidate_by_legacy(state, "lever:contact:c1");
  ASSERT_NE(candidate, nullptr);
  EXPECT_EQ(candidate->at("id"), json::value(id));
  EXPECT_EQ(candidate->at("name"), "Ada Lovelace");
  EXPECT_EQ(candidate->at("emails"), (json::array{"ada@example.com", "ada.alt@example.com"}));
  EXPECT_EQ(candidate->at("createdAt"), "2019-03-04T10:00:00.000Z");
  EXPECT_EQ(candidate->at("tags"), (json::array{"python", "math"}));
  ASSERT_EQ(candidate->at("notes").as_array().size(), 1u);
  std::string profile(candidate->at("notes").at(0).at("content").as_string());
  EXPECT_NE(profile.find("+44 20 7946 0002"), std::string::npos) << profile;
  EXPECT_NE(profile.find("Analyst at Engines Ltd"), std::string::npos) << profile;
  std::string lossy = json::serialize(result.at("lossy"));
  // The loss is named by record and field; the values stay out (the report is forwarded).
  EXPECT_NE(lossy.find("an invalid email of lever:contact:c1 not migrated"), std::string::npos)
      << lossy;
  EXPECT_EQ(lossy.find("not-an-email"), std::string::npos) << lossy;
  EXPECT_EQ(lossy.find("+44 20 7946 0002"), std::string::npos) << lossy;

  json::object details =
      h.ashby("candidate.info", json::object{{"id", id}}).at("results").as_object();
  EXPECT_EQ(details.at("primaryPhoneNumber").at("value"), "+44 20 7946 0001");
  EXPECT_EQ(details.at("socialLinks").as_array().size(), 3u);
  EXPECT_EQ(details.at("location").at("locationSummary"), "London, England, UK");

  // A plain person costs exactly two calls: the create and the legacy id.
  before = h.request_counts();
  write_ok("person", item("lever:contact:c2", person("c2", "Grace Hopper", {"grace@example.com"})));
  counts = delta(before, h.request_counts());
  EXPECT_EQ(counts.size(), 2u) << json::serialize(json::value_from(counts));
  EXPECT_EQ(calls(counts, "candidate.create"), 1);
  EXPECT_EQ(calls(counts, "customField.setValues"), 1);

  // read_back answers the candidate in canonical form.
  auto back = h.sink().read_back("person", id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->at("name"), "Ada Lovelace");
  EXPECT_EQ(back->at("emails").as_array().size(), 2u);
  // Ashby's ids are UUIDs (the document's `format: uuid`): an unknown one, well formed.
  EXPECT_FALSE(h.sink().read_back("person", "0badc0de-0000-4000-8000-000000000001").has_value());
}

TEST_F(AshbySinkTest, ReferenceKindsAreCreatedByNameOnceAndCustomValuesFitTheirFields) {
  json::object catalog = h.prepare();
  auto reference = [&](const std::string& kind, json::object record,
                       const std::map<std::string, std::string>& refs = {}) {
    record["kind"] = kind;
    record["source"] = "greenhouse";
    return write_ok(kind, item(std::string(record.at("source_key").as_string()), record, refs));
  };
  std::string department =
      reference("department", json::object{{"source_key", "gh:department:1"}, {"name", "Legal"}});
  EXPECT_EQ(
      reference("department", json::object{{"source_key", "gh:department:2"}, {"name", "legal "}}),
      department);
  std::string office =
      reference("office", json::object{{"source_key", "gh:office:1"}, {"name", "Lisbon"}});
  EXPECT_FALSE(office.empty());
  std::string tag = reference("tag", json::object{{"source_key", "gh:tag:1"}, {"name", "Alumni"}});
  EXPECT_EQ(reference("tag", json::object{{"source_key", "gh:tag:2"}, {"name", "Alumni"}}), tag);
  json::object colour{
      {"source_key", "gh:custom_field:colour"},
      {"name", "Favourite Colour"},
      {"object", "person"},
      {"field_type", "single_select"},
      {"options", json::array{json::object{{"name", "Red"}}, json::object{{"name", "Blue"}}}}};
  std::string colour_id = reference("custom_field", colour);
  EXPECT_EQ(reference("custom_field", colour), colour_id);
  std::string seniority = catalog_id(catalog, "custom_field", "Seniority");
  json::object mapped{{"source_key", "gh:custom_field:seniority"},
                      {"name", "Seniority (GH)"},
                      {"object", "person"},
                      {"field_type", "single_select"}};
  EXPECT_EQ(reference("custom_field", mapped, {{"gh:custom_field:seniority", seniority}}),
            seniority);

  std::map<std::string, std::string> refs{
      {"gh:custom_field:colour", colour_id},
      {"gh:custom_field:seniority", seniority},
      {"gh:custom_field:languages", catalog_id(catalog, "custom_field", "Languages")},
      {"gh:custom_field:relocate", catalog_id(catalog, "custom_field", "Willing to Relocate")}};
  json::array values{
      json::object{{"field_key", "gh:custom_field:colour"}, {"value", "Blue"}},
      json::object{{"field_key", "gh:custom_field:seniority"},
                   {"value", json::array{"Senior", "Mid"}}},
      json::object{{"field_key", "gh:custom_field:languages"},
                   {"value", json::array{"English", "German"}}},
      json::object{{"field_key", "gh:custom_field:relocate"}, {"value", true}},
      json::object{
          {"field_key", "gh:custom_field:unmapped"}, {"name", "Shoe size"}, {"value", "44"}}};
  json::object result = write_one("person", item("lever:contact:cf",
                                                 person("cf", "Cy Fields", {"cy@example.com"},
                                                        json::object{{"custom_fields", values}}),
                                                 refs));
  ASSERT_EQ(result.at("status"), "ok") << json::serialize(result);
  std::string lossy = json::serialize(result.at("lossy"));
  EXPECT_NE(lossy.find("only the first of several values kept"), std::string::npos) << lossy;
  EXPECT_EQ(lossy.find("Senior, Mid"), std::string::npos)
      << "values stay out of what reaches the report";
  EXPECT_NE(lossy.find("Shoe size has no Ashby field"), std::string::npos) << lossy;
  json::object state = h.state();
  const auto& custom = state.at("candidates").at(0).at("customFields");
  EXPECT_EQ(custom.at("Favourite Colour"), "Blue");
  EXPECT_EQ(custom.at("Seniority"), "Senior");
  EXPECT_EQ(custom.at("Languages"), (json::array{"English", "German"}));
  EXPECT_EQ(custom.at("Willing to Relocate"), true);
  EXPECT_EQ(custom.at("Legacy IDs"), "lever:contact:cf");
}

TEST_F(AshbySinkTest, AMergedPersonUpdatesTheCandidateWrittenEarlier) {
  std::string id =
      write_ok("person", item("lever:contact:a", person("a", "Old Name", {"x@example.com"})));
  json::object merge = item("greenhouse:candidate:9",
                            person("9", "New Name", {"X@example.com", "second@example.com"}));
  merge["record"].as_object()["source"] = "greenhouse";
  merge["record"].as_object()["source_key"] = "greenhouse:candidate:9";
  merge["target_id"] = id;
  merge["group"] = json::array{person("a", "Old Name", {"x@example.com"})};
  EXPECT_EQ(write_ok("person", merge), id);
  json::object state = h.state();
  ASSERT_EQ(state.at("counts").at("candidate"), 1);
  const auto& candidate = state.at("candidates").at(0);
  EXPECT_EQ(candidate.at("name"), "New Name");
  EXPECT_EQ(candidate.at("emails"), (json::array{"x@example.com", "second@example.com"}));
  EXPECT_EQ(candidate.at("customFields").at("Legacy IDs"),
            "greenhouse:candidate:9;lever:contact:a");
}

TEST_F(AshbySinkTest, LookupFirstAdoptsWhatACreateWithALostAnswerLeftBehind) {
  // What a candidate.create whose answer was lost leaves behind: the candidate, no legacy ids.
  auto created = [&](const json::object& body) {
    json::object answer = h.ashby("candidate.create", body);
    return std::string(answer.at("results").at("id").as_string());
  };
  std::string lost = created(json::object{
      {"name", "Lou Lost"}, {"email", "lou@example.com"}, {"createdAt", "2019-03-04T10:00:00Z"}});
  json::object retry = item("lever:contact:lou", person("lou", "Lou Lost", {"LOU@example.com"}));
  EXPECT_EQ(h.sink().find("person", json::serialize(retry)), lost);
  retry["lookup_first"] = true;
  EXPECT_EQ(write_ok("person", retry), lost);

  // Without an email: the name and the backdated creation time, never another namesake.
  std::string nameless =
      created(json::object{{"name", "Nia Noemail"}, {"createdAt", "2019-03-04T10:00:00Z"}});
  created(json::object{{"name", "Nia Noemail"}, {"createdAt", "2021-01-01T00:00:00Z"}});
  json::object no_email = item("lever:contact:nia", person("nia", "Nia Noemail", {}));
  no_email["lookup_first"] = true;
  EXPECT_EQ(write_ok("person", no_email), nameless);
  json::object stranger =
      item("lever:contact:zed", person("zed", "Zed Nobody", {"zed@example.com"}));
  EXPECT_FALSE(h.sink().find("person", json::serialize(stranger)).has_value());

  // An application: same candidate and job, the backdated time, no legacy id yet.
  std::string job = make_job();
  json::object app = h.ashby(
      "application.create",
      json::object{{"candidateId", lost}, {"jobId", job}, {"createdAt", "2019-05-01T00:00:00Z"}});
  std::string lost_app(app.at("results").at("id").as_string());
  json::object candidacy{{"kind", "candidacy"},
                         {"source", "lever"},
                         {"source_key", "lever:opp:lou"},
                         {"person_key", "lever:contact:lou"},
                         {"job_key", "lever:posting:p"},
                         {"status", "active"},
                         {"created_at", "2019-05-01T00:00:00Z"}};
  json::object app_item =
      item("lever:opp:lou", candidacy, {{"lever:contact:lou", lost}, {"lever:posting:p", job}});
  EXPECT_EQ(h.sink().find("candidacy", json::serialize(app_item)), lost_app);
  app_item["lookup_first"] = true;
  EXPECT_EQ(write_ok("candidacy", app_item), lost_app);

  json::object state = h.state();
  EXPECT_EQ(state.at("counts").at("candidate"), 3);
  EXPECT_EQ(state.at("counts").at("application"), 1);
  const json::object* adopted = candidate_by_legacy(state, "lever:contact:lou");
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(adopted->at("applications").at(0).at("customFields").at("Legacy ID"), "lever:opp:lou");
  ASSERT_NE(candidate_by_legacy(state, "lever:contact:nia"), nullptr);
  EXPECT_EQ(candidate_by_legacy(state, "lever:contact:nia")->at("id"), json::value(nameless));

  // A note that was never written is not found.
  json::object note{{"kind", "note"},
                    {"source", "lever"},
                    {"source_key", "lever:n:1"},
                    {"person_key", "lever:contact:lou"},
                    {"body", "hello"},
                    {"body_format", "text"}};
  EXPECT_FALSE(
      h.sink()
          .find("note", json::serialize(item("lever:n:1", note, {{"lever:contact:lou", lost}})))
          .has_value());
}

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
// hiringTeam.addMember (specs/ashby), as "Hiring Manager" and "Recruiter"; a user with no Ashby
// user is said lossy; writing the job again adds nobody twice.
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

TEST(AshbySinkFaults, TransientSuccessFalseIsRetriedNeverCountedAsAWrite) {
  sandbox::FaultRates faults;
  faults.ashby_transient = 1.0;  // every answer: HTTP 200, success:false, temporarily_unavailable
  AshbyHarness h(20, faults);
  json::array results = h.sink().write(
      "person", json::serialize(
                    json::array{item("lever:contact:t1", person("t1", "T One", {"t1@example.com"})),
                                item("lever:contact:t2", person("t2", "T Two", {}))}));
  ASSERT_EQ(results.size(), 2u);
  for (const auto& result : results) {
    EXPECT_EQ(result.at("status"), "retry") << json::serialize(result);
    EXPECT_EQ(result.at("target_id"), "");
    EXPECT_EQ(result.at("vendor_code"), "temporarily_unavailable");
    EXPECT_EQ(result.at("vendor_request_id").as_string().size(), 26u);
  }
  EXPECT_EQ(h.state(false).at("counts").at("candidate"), 0);
}

TEST_F(AshbySinkTest, UnsafeNoteHtmlIsNeutralisedAndPlainTextEscaped) {
  std::string candidate =
      write_ok("person", item("lever:contact:n", person("n", "Nora Note", {"nora@example.com"})));
  json::object html_note{
      {"kind", "note"},
      {"source", "greenhouse"},
      {"source_key", "greenhouse:note:1"},
      {"person_key", "lever:contact:n"},
      {"author_name", "Jane Doe"},
      {"created_at", "2019-03-04T14:02:00Z"},
      {"body_format", "html"},
      {"body",
       "<p>Great <strong>call</strong></p><script>document.location='https://evil'</script>"
       "<img src=x onerror=alert(1)><a href=\"javascript:alert(2)\" onclick=\"x()\">link</a>"
       "<a href=\"https://ok.example\">portfolio</a><style>*{display:none}</style>"}};
  json::object text_note{{"kind", "note"},
                         {"source", "lever"},
                         {"source_key", "lever:note:2"},
                         {"person_key", "lever:contact:n"},
                         {"is_private", true},
                         {"body_format", "text"},
                         {"body", "<script>alert(3)</script>\nline two"}};
  std::map<std::string, std::string> refs{{"lever:contact:n", candidate}};
  std::string html_id = write_ok("note", item("greenhouse:note:1", html_note, refs));
  std::string text_id = write_ok("note", item("lever:note:2", text_note, refs));
  EXPECT_EQ(html_id.rfind(candidate + ":", 0), 0u) << html_id;
  json::object state = h.state();
  const auto& notes = state.at("candidates").at(0).at("notes").as_array();
  ASSERT_EQ(notes.size(), 2u);
  for (const auto& note : notes) {
    std::string content(note.at("content").as_string());
    for (const char* unsafe :
         {"<script", "onerror", "onclick", "javascript:", "<style", "<img", "evil"})
      EXPECT_EQ(content.find(unsafe), std::string::npos) << unsafe << " in " << content;
  }
  // The emulator lists notes in id order: tell them apart by their heading.
  bool html_first =
      notes.at(0).at("content").as_string().find("Greenhouse note") != json::string::npos;
  const json::value& html_stored = notes.at(html_first ? 0 : 1);
  const json::value& text_stored = notes.at(html_first ? 1 : 0);
  // A paragraph under the heading needs a line break no supported element gives: text/plain,
  // the safe link's target kept in the text.
  ASSERT_TRUE(html_stored.as_object().contains("type")) << json::serialize(notes);
  EXPECT_EQ(html_stored.at("type"), "text/plain");
  std::string first(html_stored.at("rendered").as_string());
  EXPECT_EQ(first.rfind("Greenhouse note — Jane Doe, 2019-03-04 14:02 UTC\nGreat call\n", 0), 0u)
      << first;
  EXPECT_NE(first.find("\nLinks:\nportfolio: https://ok.example\n"), std::string::npos) << first;
  EXPECT_EQ(html_stored.at("createdAt"), "2019-03-04T14:02:00.000Z");
  std::string second(text_stored.at("content").as_string());
  EXPECT_NE(second.find("&lt;script&gt;alert(3)&lt;/script&gt;\nline two"), std::string::npos)
      << second;
  EXPECT_TRUE(text_stored.at("isPrivate").as_bool());

  auto back = h.sink().read_back("note", text_id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->at("is_private"), true);
}

TEST_F(AshbySinkTest, FeedbackIsSubmittedOnTheFormWithAStructuredScorecardNote) {
  json::object catalog = h.prepare();
  std::string job = make_job();
  std::string candidate =
      write_ok("person", item("lever:contact:f", person("f", "Fay Feedback", {"fay@example.com"})));
  std::map<std::string, std::string> refs{{"lever:contact:f", candidate},
                                          {"lever:posting:p1", job}};
  json::object candidacy{{"kind", "candidacy"},           {"source", "lever"},
                         {"source_key", "lever:opp:f"},   {"person_key", "lever:contact:f"},
                         {"job_key", "lever:posting:p1"}, {"status", "active"}};
  std::string application = write_ok("candidacy", item("lever:opp:f", candidacy, refs));
  refs["lever:opp:f"] = application;
  refs["greenhouse:user:7"] = catalog_id(catalog, "user", "Migration Bot");
  json::object scorecard{{"kind", "feedback"},
                         {"source", "greenhouse"},
                         {"source_key", "greenhouse:scorecard:1"},
                         {"person_key", "lever:contact:f"},
                         {"candidacy_key", "lever:opp:f"},
                         {"author_user_key", "greenhouse:user:7"},
                         {"author_name", "Ivy Interviewer"},
                         {"form_name", "Technical Interview"},
                         {"submitted_at", "2020-01-02T15:00:00Z"},
                         {"recommendation", "yes"},
                         {"fields", json::array{json::object{{"label", "Algorithms"},
                                                             {"type", "scorecard_attribute"},
                                                             {"category", "Skills"},
                                                             {"value", "strong_yes"},
                                                             {"note", "excellent"}},
                                                json::object{{"label", "Would you work with them?"},
                                                             {"type", "text"},
                                                             {"value", "Gladly"}}}}};
  auto before = h.request_counts();
  json::object result = write_one("feedback", item("greenhouse:scorecard:1", scorecard, refs));
  ASSERT_EQ(result.at("status"), "ok") << json::serialize(result);
  auto counts = delta(before, h.request_counts());
  EXPECT_EQ(calls(counts, "applicationFeedback.submit"), 1);
  EXPECT_EQ(calls(counts, "candidate.createNote"), 1);
  EXPECT_EQ(result.at("derived").as_array().size(), 1u);
  json::object state = h.state();
  const auto& app = state.at("candidates").at(0).at("applications").at(0);
  ASSERT_EQ(app.at("feedback").as_array().size(), 1u);
  const auto& values = app.at("feedback").at(0).at("submittedValues");
  EXPECT_EQ(values.at("overall_score").at("score"), 3);
  std::string text(values.at("feedback_text").as_string());
  EXPECT_NE(text.find("Greenhouse feedback — Technical Interview — Ivy Interviewer, 2020-01-02 "
                      "15:00 UTC"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Would you work with them?: Gladly"), std::string::npos) << text;
  const auto& notes = state.at("candidates").at(0).at("notes").as_array();
  ASSERT_EQ(notes.size(), 1u);
  std::string note(notes.at(0).at("content").as_string());
  EXPECT_NE(note.find("Skills / Algorithms: strong_yes — excellent"), std::string::npos) << note;
  // Its lines (interviewer, submitted time...) need breaks no supported element gives: text/plain.
  EXPECT_EQ(notes.at(0).at("type"), "text/plain");
  std::string shown(notes.at(0).at("rendered").as_string());
  EXPECT_NE(shown.find("\nInterviewer: Ivy Interviewer\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("\n• Skills / Algorithms: strong_yes — excellent"), std::string::npos)
      << shown;
  EXPECT_NE(note.find("Ivy Interviewer"), std::string::npos) << note;

  // Without an application, feedback becomes a candidate note.
  json::object jobless = scorecard;
  jobless["source_key"] = "lever:feedback:2";
  jobless["source"] = "lever";
  jobless.erase("candidacy_key");
  jobless["fields"] =
      json::array{json::object{{"label", "Notes"}, {"type", "text"}, {"value", "ok"}}};
  std::string note_target = write_ok("feedback", item("lever:feedback:2", jobless, refs));
  EXPECT_EQ(note_target.rfind(candidate + ":", 0), 0u);
  EXPECT_EQ(h.state(false).at("counts").at("feedback"), 1);
  EXPECT_EQ(h.state(false).at("counts").at("note"), 2);
}

TEST_F(AshbySinkTest, FilesUploadThroughTheHandleFlowOncePerCandidateAndBytes) {
  std::string candidate =
      write_ok("person", item("lever:contact:r", person("r", "Rita Resume", {"rita@example.com"})));
  std::string bytes(70000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>((i * 131) % 251);
  std::string sha = h.put_blob(bytes);
  auto file = [&](const std::string& id, const std::string& name, bool resume) {
    return json::object{{"kind", "file"},
                        {"source", "lever"},
                        {"source_key", "lever:file:" + id},
                        {"person_key", "lever:contact:r"},
                        {"file_name", name},
                        {"content_type", "application/pdf"},
                        {"size", static_cast<int64_t>(bytes.size())},
                        {"sha256", sha},
                        {"is_resume", resume},
                        {"uploaded_at", "2020-01-01T00:00:00Z"}};
  };
  std::map<std::string, std::string> refs{{"lever:contact:r", candidate}};
  auto before = h.request_counts();
  std::string first = write_ok("file", item("lever:file:1", file("1", "cv.pdf", true), refs));
  auto counts = delta(before, h.request_counts());
  EXPECT_EQ(calls(counts, "file.createFileUploadHandle"), 1);
  EXPECT_EQ(calls(counts, "candidate.uploadResume"), 1);
  // The same bytes again (another source record of the same person): no second upload.
  std::string again = write_ok("file", item("lever:file:2", file("2", "cv-copy.pdf", false), refs));
  EXPECT_EQ(again, first);
  json::object skipped_record = file("3", "broken.pdf", false);
  skipped_record["skipped_reason"] = "Lever 422: file not processed";
  json::object skipped = write_one("file", item("lever:file:3", skipped_record, refs));
  EXPECT_EQ(skipped.at("status"), "ok");
  EXPECT_EQ(skipped.at("skipped"), "Lever 422: file not processed");

  json::object state = h.state();
  const auto& files = state.at("candidates").at(0).at("files").as_array();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files.at(0).at("sha256"), json::value(sha));
  EXPECT_EQ(files.at(0).at("name"), "cv.pdf");
  EXPECT_TRUE(files.at(0).at("resume").as_bool());

  // The multipart form, as the fallback or by choice.
  auto multipart = h.open_instance(json::object{{"uploads", "multipart"}});
  std::string other_sha = h.put_blob("other bytes");
  json::object other = file("4", "cover.txt", false);
  other["sha256"] = other_sha;
  other["size"] = 11;
  json::array results =
      multipart->write("file", json::serialize(json::array{item("lever:file:4", other, refs)}));
  ASSERT_EQ(results.at(0).at("status"), "ok") << json::serialize(results);
  state = h.state();
  std::set<std::string> hashes;
  for (const auto& stored : state.at("candidates").at(0).at("files").as_array())
    hashes.insert(std::string(stored.at("sha256").as_string()));
  EXPECT_EQ(hashes, (std::set<std::string>{sha, other_sha}));
  EXPECT_EQ(state.at("candidates").at(0).at("files").as_array().size(), 2u);
  auto back = h.sink().read_back("file", std::string(results.at(0).at("target_id").as_string()));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->at("file_name"), "cover.txt");
}

TEST_F(AshbySinkTest, ConcurrentWritersOnOneInstanceCreateEachCandidateOnce) {
  constexpr int kThreads = 4, kPerThread = 8;
  std::vector<std::thread> threads;
  std::vector<std::string> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        json::array results = h.sink().write(
            "person", json::serialize(json::array{
                          item("lever:contact:" + id,
                               person(id, "Person " + id, {"p" + id + "@example.com"},
                                      json::object{{"tags", json::array{"shared-tag"}}}))}));
        if (results.at(0).at("status") != "ok")
          failures[t] += json::serialize(results) + "\n";
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (const auto& failure : failures)
    EXPECT_TRUE(failure.empty()) << failure;
  json::object state = h.state(false);
  EXPECT_EQ(state.at("counts").at("candidate"), kThreads * kPerThread);
  EXPECT_EQ(state.at("counts").at("tag"), 1);
  EXPECT_EQ(state.at("created_by_method").at("customField.create"), 1);
  EXPECT_EQ(state.at("duplicate_emails"), 0);
}

// ---- what Ashby's OpenAPI document (specs/ashby) defines, and nothing else ----

TEST_F(AshbySinkTest, ConfidentialJobsAreNeverSentConfidentialAndThePlanNamesThemFirst) {
  auto before = h.request_counts();
  json::object report =
      h.prepare(json::object{{"jobs", json::array{json::object{{"source_key", "lever:posting:s"},
                                                               {"title", "Secret Project Lead"},
                                                               {"status", "open"},
                                                               {"confidential", true}},
                                                  json::object{{"source_key", "lever:posting:o"},
                                                               {"title", "Open Role"},
                                                               {"status", "open"},
                                                               {"confidential", false}}}}});
  // Before any write: exactly the confidential job, with what the operator does in Ashby.
  const auto& steps = report.at("operator_steps").as_array();
  ASSERT_EQ(steps.size(), 1u) << json::serialize(report.at("operator_steps"));
  EXPECT_EQ(steps.at(0).at("source_key"), "lever:posting:s");
  EXPECT_EQ(steps.at(0).at("name"), "Secret Project Lead");
  EXPECT_NE(std::string(steps.at(0).at("step").as_string()).find("confidential in Ashby"),
            std::string::npos);
  for (const auto& [endpoint, count] : delta(before, h.request_counts()))
    for (const auto& method : kWriteMethods)
      EXPECT_NE(endpoint, "POST /" + method) << "prepare wrote: " << endpoint;

  // job.create defines no `confidential`: the emulator refuses it, so an ok means none was sent.
  json::object result =
      write_one("job", item("lever:posting:s", json::object{{"kind", "job"},
                                                            {"source", "lever"},
                                                            {"source_key", "lever:posting:s"},
                                                            {"title", "Secret Project Lead"},
                                                            {"status", "open"},
                                                            {"confidential", true},
                                                            {"team", "Engineering"},
                                                            {"location", "Berlin"}}));
  ASSERT_EQ(result.at("status"), "ok") << json::serialize(result);
  EXPECT_NE(json::serialize(result.at("lossy")).find("confidential in Ashby"), std::string::npos)
      << json::serialize(result.at("lossy"));
  json::object state = h.state();
  const auto& jobs = state.at("jobs").as_array();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs.at(0).at("confidential"), false);
  EXPECT_EQ(jobs.at(0).at("status"), "Open");
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

TEST_F(AshbySinkTest, CurrencyAndDateValuesAreSentInTheSpecShape) {
  h.prepare();
  auto field = [&](const std::string& key, const std::string& name, const std::string& type) {
    return write_ok("custom_field", item(key, json::object{{"kind", "custom_field"},
                                                           {"source", "greenhouse"},
                                                           {"source_key", key},
                                                           {"name", name},
                                                           {"object", "person"},
                                                           {"field_type", type}}));
  };
  std::string salary = field("gh:custom_field:salary", "Current Salary", "currency");
  std::string start = field("gh:custom_field:start", "Start Date", "date");
  json::array values{json::object{{"field_key", "gh:custom_field:salary"},
                                  {"value", json::object{{"unit", "EUR"}, {"amount", 85000}}}},
                     json::object{{"field_key", "gh:custom_field:start"}, {"value", "2021-03-04"}}};
  json::object result = write_one(
      "person",
      item("lever:contact:m",
           person("m", "Mo Money", {"mo@example.com"}, json::object{{"custom_fields", values}}),
           {{"gh:custom_field:salary", salary}, {"gh:custom_field:start", start}}));
  ASSERT_EQ(result.at("status"), "ok") << json::serialize(result);
  EXPECT_EQ(json::serialize(result.at("lossy")).find("refused"), std::string::npos)
      << json::serialize(result.at("lossy"));
  // customField.setValues: Currency {value, currencyCode}; Date a date-time (the day's start, UTC).
  json::object state = h.state();
  const auto& custom = state.at("candidates").at(0).at("customFields");
  EXPECT_EQ(custom.at("Current Salary"), (json::object{{"value", 85000}, {"currencyCode", "EUR"}}));
  EXPECT_EQ(custom.at("Start Date"), "2021-03-04T00:00:00.000Z");
}

// Ashby keeps b, i, u, a, ul/ol/li, code and pre of a text/html note and strips the rest
// (specs/ashby candidate.createNote), so a line break there is whitespace: every note must read
// with its lines in Ashby. The emulator's `rendered` is what its web app shows after that
// stripping (HTML's rules: whitespace collapsed, a list item per line); the expected lines are
// written out here from the source notes.
TEST_F(AshbySinkTest, NotesReadBackWithTheirParagraphsAndListsAfterTheDocumentedStripping) {
  std::string candidate = write_ok(
      "person",
      item("lever:contact:q", person("q", "Quinn Notes", {"quinn@example.com"},
                                     json::object{{"headline", "Staff engineer"},
                                                  {"created_at", "2019-03-01T10:00:00Z"}})));
  std::map<std::string, std::string> refs{{"lever:contact:q", candidate}};
  auto note = [&](const std::string& source, const std::string& key, const std::string& format,
                  const std::string& body) {
    return write_ok("note", item(key,
                                 json::object{{"kind", "note"},
                                              {"source", source},
                                              {"source_key", key},
                                              {"person_key", "lever:contact:q"},
                                              {"author_name", "Jane Doe"},
                                              {"created_at", "2019-03-04T14:02:00Z"},
                                              {"body_format", format},
                                              {"body", body}},
                                 refs));
  };
  std::string paragraphs = "First paragraph.\n\nSecond paragraph,\nwith a line break.";
  std::string plain_id = note("lever", "lever:note:p", "text", paragraphs);
  std::string list_id = note("greenhouse", "greenhouse:note:h", "html",
                             "<ul><li>one</li><li><i>two</i></li></ul><ol><li>three</li></ol>");
  std::string prose_id =
      note("greenhouse", "greenhouse:note:m", "html",
           "<p>Intro with <b>bold</b> and\n<a href=\"https://ex.example/x\">a link</a>.</p>"
           "<p>Second<br>line</p><ul><li>item</li></ul>");

  std::map<std::string, json::object> by_id;
  json::object state = h.state();
  for (const auto& stored : state.at("candidates").at(0).at("notes").as_array())
    by_id[std::string(stored.at("id").as_string())] = stored.as_object();
  auto stored = [&](const std::string& target) -> const json::object& {
    return by_id.at(target.substr(target.find(':') + 1));
  };
  // Every note ends with its reference line, "atsmigrate ref" and 16 hex digits.
  auto expect_lines = [&](const json::object& held, const std::string& type,
                          const std::string& lines) {
    std::string rendered(held.at("rendered").as_string());
    EXPECT_EQ(held.at("type"), json::value(type)) << rendered;
    std::string::size_type reference = rendered.rfind("\natsmigrate ref ");
    ASSERT_NE(reference, std::string::npos) << rendered;
    EXPECT_EQ(rendered.substr(0, reference), lines);
    EXPECT_EQ(rendered.size() - reference, std::string("\natsmigrate ref ").size() + 16)
        << rendered;
  };
  // A plain-text note: text/plain, its paragraphs and line break as written.
  expect_lines(stored(plain_id), "text/plain",
               "Lever note — Jane Doe, 2019-03-04 14:02 UTC\n" + paragraphs);
  // An HTML note of lists: text/html, Ashby's lists carry every line.
  expect_lines(stored(list_id), "text/html",
               "Greenhouse note — Jane Doe, 2019-03-04 14:02 UTC\n• one\n• two\n1. three");
  EXPECT_NE(std::string(stored(list_id).at("content").as_string())
                .find("<ul><li>one</li><li><i>two</i></li></ul><ol><li>three</li></ol>"),
            std::string::npos);
  // An HTML note of paragraphs, which no supported element can separate: text/plain with its
  // paragraphs, its line break, its list and its link's target.
  expect_lines(stored(prose_id), "text/plain",
               "Greenhouse note — Jane Doe, 2019-03-04 14:02 UTC\n"
               "Intro with bold and a link.\n\nSecond\nline\n\n• item\n"
               "Links:\na link: https://ex.example/x");
  // The profile note the sink composes: a heading and a list, so text/html.
  for (const auto& [id, held] : by_id)
    if (std::string(held.at("rendered").as_string()).rfind("Migrated profile", 0) == 0)
      expect_lines(held, "text/html",
                   "Migrated profile — Lever contact, 2019-03-01\n• headline: Staff engineer");

  // The read-back holds each note's text.
  auto plain_back = h.sink().read_back("note", plain_id);
  ASSERT_TRUE(plain_back.has_value());
  EXPECT_NE(std::string(plain_back->at("body").as_string()).find("with a line break."),
            std::string::npos);
}

TEST_F(AshbySinkTest, TwoFilesOfOneNameOnOneCandidateAreEachIdentifiedWithoutTheUploadHandle) {
  std::string candidate =
      write_ok("person", item("lever:contact:d", person("d", "Dee Docs", {"dee@example.com"})));
  std::map<std::string, std::string> refs{{"lever:contact:d", candidate}};
  auto file = [&](const std::string& id, const std::string& bytes) {
    std::string sha = h.put_blob(bytes);
    return std::make_pair(sha, json::object{{"kind", "file"},
                                            {"source", "lever"},
                                            {"source_key", "lever:file:" + id},
                                            {"person_key", "lever:contact:d"},
                                            {"file_name", "resume.pdf"},
                                            {"content_type", "application/pdf"},
                                            {"size", static_cast<int64_t>(bytes.size())},
                                            {"sha256", sha},
                                            {"is_resume", false}});
  };
  auto [first_sha, first] = file("1", "first resume bytes");
  auto [second_sha, second] = file("2", "second resume, other bytes");
  std::string first_id = write_ok("file", item("lever:file:1", first, refs));
  std::string second_id = write_ok("file", item("lever:file:2", second, refs));
  EXPECT_NE(first_id, second_id);
  // Each target is the file with its own bytes (the read-back downloads them through file.info).
  for (const auto& [target, sha] :
       {std::make_pair(first_id, first_sha), std::make_pair(second_id, second_sha)}) {
    auto back = h.sink().read_back("file", target);
    ASSERT_TRUE(back.has_value()) << target;
    EXPECT_EQ(back->at("sha256"), json::value(sha)) << target;
  }
}

class AshbyClosedJobTest : public ::testing::TestWithParam<bool> {};

// application.create on a job that is not Open is undocumented (specs/ashby): the sink writes
// every candidacy whether the emulator accepts or refuses it, and each job ends in its status
// once the load finishes.
TEST_P(AshbyClosedJobTest, CandidaciesOfClosedAndArchivedJobsAreWrittenEitherWay) {
  AshbyHarness h(20, {}, {}, 0, 100, GetParam());
  json::object catalog = h.prepare();
  auto write = [&](const std::string& kind, const json::object& write_item) {
    json::array results = h.sink().write(kind, json::serialize(json::array{write_item}));
    EXPECT_EQ(results.at(0).at("status"), "ok") << json::serialize(results);
    return std::string(results.at(0).at("target_id").as_string());
  };
  auto job = [&](const std::string& id, const std::string& status) {
    return write("job",
                 item("lever:posting:" + id, json::object{{"kind", "job"},
                                                          {"source", "lever"},
                                                          {"source_key", "lever:posting:" + id},
                                                          {"title", "Role " + id},
                                                          {"status", status},
                                                          {"team", "Engineering"},
                                                          {"location", "Berlin"}}));
  };
  std::map<std::string, std::string> jobs{{"closed", job("c", "closed")},
                                          {"archived", job("a", "archived")},
                                          {"draft", job("d", "draft")}};
  std::string candidate =
      write("person", item("lever:contact:l", person("l", "Lee Late", {"lee@example.com"})));
  for (const auto& [status, job_id] : jobs) {
    json::object candidacy{{"kind", "candidacy"},
                           {"source", "lever"},
                           {"source_key", "lever:opportunity:" + status},
                           {"person_key", "lever:contact:l"},
                           {"job_key", "lever:posting:" + status},
                           {"status", "active"},
                           {"stage_key", "lever:stage:phone"},
                           {"created_at", "2019-03-04T10:00:00Z"}};
    write("candidacy", item("lever:opportunity:" + status, candidacy,
                            {{"lever:contact:l", candidate},
                             {"lever:posting:" + status, job_id},
                             {"lever:stage:phone", stage_id(catalog, "Phone Interview")}}));
  }
  // The load ends with finish (atsm.sink.finish/1), which puts back every job a detour opened.
  EXPECT_TRUE(h.sink().finish(R"({"kinds":{}})"));
  json::object state = h.state();
  EXPECT_EQ(state.at("candidates").at(0).at("applications").as_array().size(), 3u);
  std::map<std::string, std::string> held;
  for (const auto& job : state.at("jobs").as_array())
    held[std::string(job.at("id").as_string())] = std::string(job.at("status").as_string());
  EXPECT_EQ(held[jobs["closed"]], "Closed");
  EXPECT_EQ(held[jobs["archived"]], "Archived");
  EXPECT_EQ(held[jobs["draft"]], "Draft");
}

INSTANTIATE_TEST_SUITE_P(AcceptedOrRefused, AshbyClosedJobTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Accepted" : "Refused"; });

// Where Ashby refuses applications on a job that is not Open (the emulator's switch), the sink
// records a durable intent (host extension atsm.host.intents/1) before it opens the job, keeps
// the job Open for every later application of the run, and puts it back at finish. A run that
// dies inside the detour (its instance gone without finish, the intent left in the work dir's
// ledger) is repaired by the next run before it writes anything: the job ends in its source
// status and no application is written twice.
TEST(AshbyClosedJobDetour, OneOpeningPerJobAndAKilledRunIsRepairedByTheNext) {
  AshbyHarness h(20, {}, {}, 0, 100, /*applications_on_closed_jobs=*/false);
  json::object catalog = h.prepare();
  auto write_ok = [](host::ConnectorInstance& sink, const std::string& kind,
                     const json::array& items) {
    json::array results = sink.write(kind, json::serialize(items));
    std::vector<std::string> ids;
    for (const auto& result : results) {
      EXPECT_EQ(result.at("status"), "ok") << json::serialize(results);
      ids.emplace_back(result.at("target_id").as_string());
    }
    return ids;
  };
  auto job = [&](const std::string& id, const std::string& status) {
    return write_ok(h.sink(), "job",
                    {item("lever:posting:" + id, json::object{{"kind", "job"},
                                                              {"source", "lever"},
                                                              {"source_key", "lever:posting:" + id},
                                                              {"title", "Detour " + id},
                                                              {"status", status},
                                                              {"team", "Engineering"},
                                                              {"location", "Berlin"}})})
        .at(0);
  };
  const std::string closed_job = job("c", "closed"), archived_job = job("a", "archived");
  std::map<std::string, std::string> refs{
      {"lever:posting:c", closed_job},
      {"lever:posting:a", archived_job},
      {"lever:stage:phone", stage_id(catalog, "Phone Interview")}};
  json::array persons;
  for (int i = 0; i < 6; ++i)
    persons.push_back(item("lever:contact:p" + std::to_string(i),
                           person("p" + std::to_string(i), "Pat " + std::to_string(i),
                                  {"pat" + std::to_string(i) + "@example.com"})));
  std::vector<std::string> candidates = write_ok(h.sink(), "person", persons);
  for (int i = 0; i < 6; ++i)
    refs["lever:contact:p" + std::to_string(i)] = candidates[i];
  auto candidacy = [&](int i, const std::string& job_key) {
    std::string key = "lever:opportunity:o" + std::to_string(i);
    return item(key,
                json::object{{"kind", "candidacy"},
                             {"source", "lever"},
                             {"source_key", key},
                             {"person_key", "lever:contact:p" + std::to_string(i)},
                             {"job_key", job_key},
                             {"status", "active"},
                             {"stage_key", "lever:stage:phone"},
                             {"created_at", "2019-03-04T10:00:00Z"}},
                refs);
  };
  auto job_status = [&](const std::string& id) {
    return std::string(h.ashby("job.info", {{"id", id}}).at("results").at("status").as_string());
  };
  auto applications_on = [&](const std::string& job_title) {
    size_t count = 0;
    json::object state = h.state();
    for (const auto& candidate : state.at("candidates").as_array())
      for (const auto& application : candidate.at("applications").as_array())
        count += application.at("job") == json::value(job_title) ? 1 : 0;
    return count;
  };

  // The first run: four applications on the Closed job, in two batches, then it dies (its
  // instance goes away without finish, as under SIGKILL).
  auto before = h.request_counts();
  {
    std::unique_ptr<host::ConnectorInstance> killed = h.open_instance();
    write_ok(*killed, "candidacy",
             {candidacy(0, "lever:posting:c"), candidacy(1, "lever:posting:c")});
    write_ok(*killed, "candidacy",
             {candidacy(2, "lever:posting:c"), candidacy(3, "lever:posting:c")});
  }
  auto first_run = delta(before, h.request_counts());
  EXPECT_EQ(job_status(closed_job), "Open") << "the job stays Open for the whole run";
  EXPECT_EQ(calls(first_run, "application.create"), 5)
      << "one refused create, then one create per application";
  EXPECT_EQ(calls(first_run, "job.setStatus"), 2) << "Closed -> Draft -> Open, once";
  EXPECT_EQ(calls(first_run, "job.info"), 1);
  EXPECT_EQ(applications_on("Detour c"), 4u);

  // The next run in the same work dir puts the job back before its first write (here an
  // application on the Archived job, which takes its own detour), and its finish restores that.
  before = h.request_counts();
  {
    std::unique_ptr<host::ConnectorInstance> rerun = h.open_instance();
    write_ok(*rerun, "candidacy",
             {candidacy(4, "lever:posting:a"), candidacy(5, "lever:posting:a")});
    EXPECT_EQ(job_status(closed_job), "Closed") << "repaired before the rerun wrote anything";
    EXPECT_EQ(job_status(archived_job), "Open");
    EXPECT_TRUE(rerun->finish(R"({"kinds":{}})"));
  }
  auto second_run = delta(before, h.request_counts());
  EXPECT_EQ(job_status(closed_job), "Closed");
  EXPECT_EQ(job_status(archived_job), "Archived");
  EXPECT_EQ(applications_on("Detour c"), 4u) << "no application written twice";
  EXPECT_EQ(applications_on("Detour a"), 2u);
  // Restore Open -> Closed (1) + Archived -> Draft -> Open (2) + Open -> Closed -> Archived (2).
  EXPECT_EQ(calls(second_run, "job.setStatus"), 5);
  // Nothing is left to restore: a third run's finish moves no job.
  before = h.request_counts();
  EXPECT_TRUE(h.open_instance()->finish(R"({"kinds":{}})"));
  EXPECT_EQ(calls(delta(before, h.request_counts()), "job.setStatus"), 0);
}

// The jobs, persons and candidacy items of the confidential-job tests: one job confidential in
// the source ("Secret role"), one not ("Open role"), three persons.
struct ConfidentialFixture {
  std::string secret_job, open_job;
  std::map<std::string, std::string> refs;

  explicit ConfidentialFixture(AshbyHarness& h) {
    json::object catalog = h.prepare();
    auto first_id = [](const json::array& results) {
      EXPECT_EQ(results.at(0).at("status"), "ok") << json::serialize(results);
      return std::string(results.at(0).at("target_id").as_string());
    };
    auto job = [&](const std::string& id, const std::string& title, bool confidential) {
      return first_id(h.sink().write(
          "job", json::serialize(json::array{
                     item("lever:posting:" + id, json::object{{"kind", "job"},
                                                              {"source", "lever"},
                                                              {"source_key", "lever:posting:" + id},
                                                              {"title", title},
                                                              {"status", "open"},
                                                              {"confidential", confidential},
                                                              {"team", "Engineering"},
                                                              {"location", "Berlin"}})})));
    };
    secret_job = job("s", "Secret role", true);
    open_job = job("n", "Open role", false);
    refs = {{"lever:posting:s", secret_job},
            {"lever:posting:n", open_job},
            {"lever:stage:phone", stage_id(catalog, "Phone Interview")}};
    for (int i = 0; i < 3; ++i) {
      std::string n = std::to_string(i);
      refs["lever:contact:c" + n] = first_id(h.sink().write(
          "person", json::serialize(json::array{
                        item("lever:contact:c" + n,
                             person("c" + n, "Casey " + n, {"casey" + n + "@example.com"}))})));
    }
  }

  json::object candidacy(int i, const std::string& job_key) const {
    std::string key = "lever:opportunity:k" + std::to_string(i);
    return item(key,
                json::object{{"kind", "candidacy"},
                             {"source", "lever"},
                             {"source_key", key},
                             {"person_key", "lever:contact:c" + std::to_string(i)},
                             {"job_key", job_key},
                             {"status", "active"},
                             {"stage_key", "lever:stage:phone"},
                             {"created_at", "2019-03-04T10:00:00Z"}},
                refs);
  }

  // The results' statuses, in order.
  static std::vector<std::string> statuses(const json::array& results) {
    std::vector<std::string> out;
    for (const auto& result : results)
      out.emplace_back(result.at("status").as_string());
    return out;
  }

  static size_t applications_on(AshbyHarness& h, const std::string& title) {
    size_t count = 0;
    json::object state = h.state();
    for (const auto& candidate : state.at("candidates").as_array())
      for (const auto& application : candidate.at("applications").as_array())
        count += application.at("job") == json::value(title) ? 1 : 0;
    return count;
  }
};

// A job confidential in the source: Ashby's API cannot make it so (specs/ashby: job.create and
// job.update define no `confidential`; job.info's job answers it). Its candidacies are held
// (status `held`, naming the job and the operator's step) until job.info shows the job
// confidential, which the operator does in Ashby's web app (here the sandbox's
// /_sandbox/job_confidential); a later run then writes exactly the held ones.
TEST(AshbyConfidentialJobs, CandidaciesAreHeldUntilTheJobIsConfidentialInAshby) {
  AshbyHarness h(20, {}, json::object{{"confidential_jobs", "hold"}});
  ConfidentialFixture f(h);
  json::array first =
      h.sink().write("candidacy", json::serialize(json::array{f.candidacy(0, "lever:posting:s"),
                                                              f.candidacy(1, "lever:posting:s"),
                                                              f.candidacy(2, "lever:posting:n")}));
  EXPECT_EQ(ConfidentialFixture::statuses(first), (std::vector<std::string>{"held", "held", "ok"}))
      << json::serialize(first);
  std::string message(first.at(0).at("message").as_string());
  EXPECT_NE(message.find("Secret role"), std::string::npos) << message;
  EXPECT_NE(message.find("make it confidential in Ashby's web app"), std::string::npos) << message;
  EXPECT_EQ(ConfidentialFixture::applications_on(h, "Secret role"), 0u);
  EXPECT_EQ(ConfidentialFixture::applications_on(h, "Open role"), 1u);

  // A run before the operator's step holds them again (the hold is kept in the work dir, not in
  // the instance that wrote the job).
  json::array again = h.open_instance()->write(
      "candidacy", json::serialize(json::array{f.candidacy(0, "lever:posting:s")}));
  EXPECT_EQ(ConfidentialFixture::statuses(again), std::vector<std::string>{"held"});

  json::object marked = h.ashby("_sandbox/job_confidential",
                                json::object{{"jobId", f.secret_job}, {"confidential", true}});
  EXPECT_EQ(marked.at("confidential"), true);
  json::array rerun = h.open_instance()->write(
      "candidacy", json::serialize(json::array{f.candidacy(0, "lever:posting:s"),
                                               f.candidacy(1, "lever:posting:s")}));
  EXPECT_EQ(ConfidentialFixture::statuses(rerun), (std::vector<std::string>{"ok", "ok"}))
      << json::serialize(rerun);
  EXPECT_EQ(ConfidentialFixture::applications_on(h, "Secret role"), 2u);
  EXPECT_EQ(ConfidentialFixture::applications_on(h, "Open role"), 1u);
  EXPECT_EQ(h.ashby("job.info", {{"id", f.secret_job}}).at("results").at("confidential"), true);
}

// The override: with confidential_jobs=proceed they are written at once, the job left as Ashby
// has it (not confidential) for the operator's step the plan names.
TEST(AshbyConfidentialJobs, ProceedWritesThemAtOnce) {
  AshbyHarness h(20, {}, json::object{{"confidential_jobs", "proceed"}});
  ConfidentialFixture f(h);
  json::array results =
      h.sink().write("candidacy", json::serialize(json::array{f.candidacy(0, "lever:posting:s"),
                                                              f.candidacy(1, "lever:posting:s")}));
  EXPECT_EQ(ConfidentialFixture::statuses(results), (std::vector<std::string>{"ok", "ok"}))
      << json::serialize(results);
  EXPECT_EQ(ConfidentialFixture::applications_on(h, "Secret role"), 2u);
  EXPECT_EQ(h.ashby("job.info", {{"id", f.secret_job}}).at("results").at("confidential"), false);
}

}  // namespace
}  // namespace atsm::ashby::testing
