// Issue 20 item 3, the sink's side of "options once": the migration options come with prepare
// (every one, its default filled in by the host, which alone applies the skip rules); the sink's
// config keys are Ashby's own settings; the defaults are the host's ("Migrated feedback") and the
// documented ones (default_archive_reason "Other").
#include <gtest/gtest.h>

#include "sink_fixture.hpp"

namespace atsm::ashby::testing {
namespace {

// The migration options of the mapping file (README, "The mapping file").
const char* const kMigrationOptions[] = {
    "jobless", "scorecards",    "private_notes",          "interviews",
    "offers",  "feedback_form", "default_interview_plan", "fallback_user"};

class AshbyOptionsTest : public AshbySinkTest {
 protected:
  // A job, a candidate and an active application on it (the stage from prepare's `catalog`);
  // refs for the items that follow.
  std::map<std::string, std::string> application(const json::object& catalog) {
    std::string job = make_job();
    std::string candidate =
        write_ok("person", item("lever:contact:o", person("o", "Opal Options", {"o@example.com"})));
    std::map<std::string, std::string> refs{
        {"lever:contact:o", candidate},
        {"lever:posting:o", job},
        {"lever:stage:phone", stage_id(catalog, "Phone Interview")}};
    json::object candidacy{{"kind", "candidacy"},
                           {"source", "lever"},
                           {"source_key", "lever:opp:o"},
                           {"person_key", "lever:contact:o"},
                           {"job_key", "lever:posting:o"},
                           {"status", "active"},
                           {"stage_key", "lever:stage:phone"},
                           {"created_at", "2019-03-04T10:00:00Z"}};
    refs["lever:opp:o"] = write_ok("candidacy", item("lever:opp:o", candidacy, refs));
    return refs;
  }
  // A scorecard with one rated attribute (a feedback, a structured note, or both: scorecards).
  static json::object scorecard(const std::string& id) {
    return json::object{{"kind", "feedback"},
                        {"source", "greenhouse"},
                        {"source_key", "greenhouse:scorecard:" + id},
                        {"person_key", "lever:contact:o"},
                        {"candidacy_key", "lever:opp:o"},
                        {"author_name", "Ivy Interviewer"},
                        {"submitted_at", "2020-01-02T15:00:00Z"},
                        {"fields", json::array{json::object{{"label", "Algorithms"},
                                                            {"type", "scorecard_attribute"},
                                                            {"value", "strong_yes"}}}}};
  }
};

TEST_F(AshbyOptionsTest, MigrationOptionsAreNoConfigKeysAndSettingOneSaysWhereItMoved) {
  std::map<std::string, std::string> defaults;  // config key -> its default, as JSON text
  for (const host::ConfigKey& key : h.plugin().config_keys())
    defaults[key.name] = key.default_value;
  for (const char* option : kMigrationOptions) {
    EXPECT_EQ(defaults.count(option), 0u) << option << " is still listed as an Ashby config key";
    try {
      h.open_instance(json::object{{option, "x"}});
      ADD_FAILURE() << "opened with the migration option " << option << " as a config key";
    } catch (const sdk::Error& error) {
      EXPECT_EQ(error.status(), ATSM_INVALID);
      std::string message = error.what();
      EXPECT_NE(message.find(std::string("'") + option + "' is a migration option"),
                std::string::npos)
          << message;
      EXPECT_NE(message.find("mapping file's \"options\""), std::string::npos) << message;
    }
  }
  // The vendor's own keys stay, with the documented defaults (README.md of plugins/ashby).
  EXPECT_EQ(defaults["default_archive_reason"], "\"Other\"");
  EXPECT_EQ(defaults["confidential_jobs"], "\"hold\"");
  EXPECT_EQ(defaults.count("jobless_job"), 1u);
}

// A prepare that names no feedback form uses the host's default, "Migrated feedback"
// (README's mapping file, sdk/docs/sink-protocol.md §1): the form the sandbox seeds
// ("Migrated Feedback"; titles match as an operator reads them), and feedback lands on it.
TEST_F(AshbyOptionsTest, TheFeedbackFormDefaultIsTheHostsAndNamesTheSeededForm) {
  json::object report = h.prepare(
      json::object{{"options", json::object{{"default_interview_plan", "Default Interview Plan"}}},
                   {"counts", json::object{{"feedback", 1}}}});
  EXPECT_TRUE(report.at("missing").as_array().empty()) << json::serialize(report.at("missing"));
  std::map<std::string, std::string> refs = application(report);
  write_ok("feedback", item("greenhouse:scorecard:1", scorecard("1"), refs));
  json::array forms =
      h.ashby("feedbackFormDefinition.list", json::object{}).at("results").as_array();
  ASSERT_EQ(forms.size(), 1u) << "the sandbox seeds one feedback form";
  json::array submitted =
      h.ashby("applicationFeedback.list", json::object{{"applicationId", refs["lever:opp:o"]}})
          .at("results")
          .as_array();
  ASSERT_EQ(submitted.size(), 1u);
  EXPECT_EQ(submitted.at(0).at("formDefinitionId"), forms.at(0).at("id"));
}

// default_archive_reason is "Other" unless set: an archived candidacy whose reason is not mapped
// takes it. The sandbox seeds no "Other" (its reasons are its datasets'), so the write fails
// naming the default; set to a reason Ashby has, that reason is used, said lossy.
TEST_F(AshbyOptionsTest, AnUnmappedArchiveReasonTakesTheDefaultArchiveReasonOther) {
  json::object catalog = h.prepare();
  for (const json::value& reason : catalog.at("catalog").at("archive_reason").as_array())
    ASSERT_NE(reason.at("name"), "Other") << "the test needs an Ashby without an 'Other' reason";
  std::string job = make_job();
  std::string candidate =
      write_ok("person", item("lever:contact:z", person("z", "Zoe Archived", {"z@example.com"})));
  json::object archived = item("lever:opportunity:z",
                               json::object{{"kind", "candidacy"},
                                            {"source", "lever"},
                                            {"source_key", "lever:opportunity:z"},
                                            {"person_key", "lever:contact:z"},
                                            {"job_key", "lever:posting:z"},
                                            {"status", "archived"},
                                            {"archive_reason_key", "lever:archive_reason:unmapped"},
                                            {"archived_at", "2019-04-01T12:00:00Z"},
                                            {"created_at", "2019-03-04T10:00:00Z"}},
                               {{"lever:contact:z", candidate}, {"lever:posting:z", job}});
  json::object refused = write_one("candidacy", archived);
  EXPECT_EQ(refused.at("status"), "invalid") << json::serialize(refused);
  EXPECT_NE(refused.at("message").as_string().find("default_archive_reason 'Other'"),
            json::string::npos)
      << json::serialize(refused);
  EXPECT_EQ(h.state(false).at("counts").at("application"), 0);

  auto timing = h.open_instance(json::object{{"default_archive_reason", "Timing"}});
  json::array results = timing->write("candidacy", json::serialize(json::array{archived}));
  ASSERT_EQ(results.at(0).at("status"), "ok") << json::serialize(results);
  EXPECT_NE(json::serialize(results.at(0).at("lossy"))
                .find("not mapped: the default archive reason was used"),
            std::string::npos);
  json::object state = h.state();
  const json::value& app = state.at("candidates").at(0).at("applications").at(0);
  EXPECT_EQ(app.at("status"), "Archived");
  EXPECT_EQ(app.at("archiveReason"), "Timing");
}

// Each prepare sets every option the sink acts on (what it leaves out takes the host's default,
// nothing is kept from an earlier prepare); a value the sink does not support is refused naming
// the option; and the skip rules are the host's: a record that reaches the sink is written.
TEST_F(AshbyOptionsTest, OptionsComeFromEachPrepareAndTheSkipRulesAreTheHosts) {
  json::object note_only = plan_options();
  note_only["scorecards"] = "note";
  note_only["private_notes"] = "skip";
  note_only["interviews"] = "skip";
  note_only["offers"] = "skip";
  json::object catalog = h.prepare(json::object{{"options", note_only}});
  std::map<std::string, std::string> refs = application(catalog);
  auto before = h.request_counts();
  write_ok("feedback", item("greenhouse:scorecard:1", scorecard("1"), refs));
  auto counts = delta(before, h.request_counts());
  EXPECT_EQ(calls(counts, "applicationFeedback.submit"), 0);
  EXPECT_EQ(calls(counts, "candidate.createNote"), 1);

  // The host skipped nothing here, so each record is written whatever the skip options say.
  json::object private_note = item("lever:note:p",
                                   json::object{{"kind", "note"},
                                                {"source", "lever"},
                                                {"source_key", "lever:note:p"},
                                                {"person_key", "lever:contact:o"},
                                                {"body", "private words"},
                                                {"body_format", "text"},
                                                {"is_private", true}},
                                   refs);
  json::object written = write_one("note", private_note);
  EXPECT_EQ(written.at("status"), "ok") << json::serialize(written);
  EXPECT_FALSE(written.contains("skipped")) << json::serialize(written);
  json::object interview = item("lever:opp:o#interviews",
                                json::object{{"kind", "interview"},
                                             {"source", "lever"},
                                             {"source_key", "lever:interview:i"},
                                             {"person_key", "lever:contact:o"},
                                             {"candidacy_key", "lever:opp:o"},
                                             {"title", "Onsite"},
                                             {"start_at", "2020-01-02T15:00:00Z"}},
                                refs);
  EXPECT_FALSE(write_one("interview", interview).contains("skipped"));
  json::object offer = item("lever:offer:f",
                            json::object{{"kind", "offer"},
                                         {"source", "lever"},
                                         {"source_key", "lever:offer:f"},
                                         {"person_key", "lever:contact:o"},
                                         {"candidacy_key", "lever:opp:o"},
                                         {"status", "sent"},
                                         {"created_at", "2020-01-03T10:00:00Z"}},
                            refs);
  EXPECT_FALSE(write_one("offer", offer).contains("skipped"));
  json::object state = h.state();
  const json::array& notes = state.at("candidates").at(0).at("notes").as_array();
  EXPECT_EQ(notes.size(), 4u) << "scorecard note, private note, interviews, offer";
  size_t private_notes = 0;
  for (const json::value& note : notes)
    private_notes += note.at("isPrivate") == true ? 1 : 0;
  EXPECT_EQ(private_notes, 1u);

  // The next prepare leaves scorecards out: the default, feedback_and_note, not the last plan's.
  h.prepare();
  before = h.request_counts();
  write_ok("feedback", item("greenhouse:scorecard:2", scorecard("2"), refs));
  counts = delta(before, h.request_counts());
  EXPECT_EQ(calls(counts, "applicationFeedback.submit"), 1);
  EXPECT_EQ(calls(counts, "candidate.createNote"), 1);

  for (auto [option, value] : {std::pair{"scorecards", "sometimes"}, {"jobless", "maybe"}}) {
    json::object options = plan_options();
    options[option] = value;
    try {
      h.prepare(json::object{{"options", options}});
      ADD_FAILURE() << "prepare took " << option << "=" << value;
    } catch (const sdk::Error& error) {
      EXPECT_EQ(error.status(), ATSM_INVALID);
      EXPECT_NE(std::string(error.what()).find(std::string("'") + option + "'"), std::string::npos)
          << error.what();
    }
  }
}

}  // namespace
}  // namespace atsm::ashby::testing
