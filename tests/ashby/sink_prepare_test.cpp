// Ashby prepare through the ABI against the emulated Ashby: the catalog, everything missing at
// once and nothing written; the config keys; the operator steps of confidential jobs.
#include <gtest/gtest.h>

#include "sink_fixture.hpp"

namespace atsm::ashby::testing {
namespace {

TEST_F(AshbySinkTest, PrepareListsEveryMissingReferenceAtOnceAndWritesNothing) {
  // jobless_job names an Ashby job: a config key of the sink, not a migration option.
  auto sink = h.open_instance(json::object{{"jobless_job", "Talent Pool"}});
  auto before = h.request_counts();
  json::object report = h.prepare_on(
      *sink,
      json::object{
          {"options", json::object{{"feedback_form", "No Such Form"},
                                   {"default_interview_plan", "Default Interview Plan"},
                                   {"fallback_user", "ghost@acme.example"},
                                   {"jobless", "lead_application"}}},
          {"counts", json::object{{"feedback", 3}}},
          {"mapping",
           json::object{{"stages", json::object{{"lever:stage:final", "Final Round"},
                                                {"lever:stage:phone", "Phone Interview"}}},
                        {"archive_reasons", json::object{{"lever:archive_reason:g", "Ghosted"}}},
                        {"users", json::object{{"lever:user:u9", "nobody@acme.example"}}},
                        {"custom_fields", json::object{{"greenhouse:custom_field:1", "Shoe size"}}},
                        {"jobs", json::object{{"lever:posting:p1",
                                               json::object{{"interview_plan", "Exec Plan"},
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

}  // namespace
}  // namespace atsm::ashby::testing
