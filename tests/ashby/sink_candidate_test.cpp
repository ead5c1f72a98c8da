// Persons and reference kinds through the ABI against the emulated Ashby: what each write item
// creates, with the calls it costs; merges; lookups after a lost answer; custom values; concurrent
// writers; transient failures never counted as writes.
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "sink_fixture.hpp"

namespace atsm::ashby::testing {
namespace {

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

// Departments created by name from several writers at once: one create per name, however its
// case and spaces are written, while creates of other names are not held up by it (one lock per
// name; a create stalled at Ashby held every other one up before).
TEST_F(AshbySinkTest, ConcurrentWritersCreateEachDepartmentNameOnce) {
  const std::vector<std::string> names{"Legal",   " legal",  "Sales",  "SALES ",
                                       "Support", "support", "Design", "design "};
  std::vector<std::thread> threads;
  std::vector<std::string> targets(names.size()), failures(names.size());
  for (std::size_t t = 0; t < names.size(); ++t)
    threads.emplace_back([&, t] {
      std::string key = "gh:department:" + std::to_string(t);
      json::array results = h.sink().write(
          "department", json::serialize(json::array{item(key, json::object{{"kind", "department"},
                                                                           {"source", "greenhouse"},
                                                                           {"source_key", key},
                                                                           {"name", names[t]}})}));
      if (results.at(0).at("status") != "ok")
        failures[t] = json::serialize(results);
      else
        targets[t] = std::string(results.at(0).at("target_id").as_string());
    });
  for (auto& thread : threads)
    thread.join();
  for (const auto& failure : failures)
    EXPECT_TRUE(failure.empty()) << failure;
  for (std::size_t t = 0; t < names.size(); t += 2)
    EXPECT_EQ(targets[t], targets[t + 1]) << names[t];
  EXPECT_EQ(std::set<std::string>(targets.begin(), targets.end()).size(), 4u);
  EXPECT_EQ(h.state(false).at("created_by_method").at("department.create"), 4);
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

}  // namespace
}  // namespace atsm::ashby::testing
