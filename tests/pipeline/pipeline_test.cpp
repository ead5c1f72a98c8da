// Pipeline pieces that need no vendor: reference discovery, configuration checks, extraction
// into a real staging store with resumable checkpoints. End-to-end runs against the sandbox live
// in tests/e2e.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "net/test_support.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/references.hpp"
#include "pipeline/session.hpp"

namespace {

using atsm::pipeline::referenced_kind;
using atsm::pipeline::Session;
using atsm::pipeline::SessionOptions;
using atsm::pipeline::UsageError;

TEST(References, FieldNamesNameTheKindTheyPointAt) {
  // Field names as core/model/types.hpp declares them.
  EXPECT_EQ(referenced_kind("person_key", "candidacy", false), "person");
  EXPECT_EQ(referenced_kind("credited_to_user_key", "candidacy", false), "user");
  EXPECT_EQ(referenced_kind("hiring_manager_user_keys", "job", false), "user");
  EXPECT_EQ(referenced_kind("archive_reason_key", "candidacy", false), "archive_reason");
  EXPECT_EQ(referenced_kind("department_keys", "job", false), "department");
  EXPECT_EQ(referenced_kind("parent_key", "office", false), "office");
  EXPECT_EQ(referenced_kind("field_key", "person", true), "custom_field");
  EXPECT_EQ(referenced_kind("source_key", "candidacy", true), "source");
  EXPECT_EQ(referenced_kind("source_key", "candidacy", false), std::nullopt);
  EXPECT_EQ(referenced_kind("name", "person", false), std::nullopt);
  EXPECT_EQ(referenced_kind("tags", "person", false), std::nullopt);
}

TEST(References, WalksNestedReferencesButNotRawVendorJson) {
  boost::json::value candidacy = boost::json::parse(R"({
    "kind": "candidacy", "source": "lever", "source_key": "lever:opportunity:1",
    "person_key": "lever:contact:1", "job_key": "lever:posting:1", "status": "active",
    "stage_history": [{"stage_key": "lever:stage:a", "entered_at": "2020-01-01T00:00:00Z", "by_user_key": "lever:user:u"}],
    "sources": [{"source_key": "lever:source:LinkedIn", "name": "LinkedIn"}],
    "custom_fields": [{"field_key": "lever:custom_field:f", "value": "x"}],
    "raw": {"person_key": "not-a-reference"}})");
  std::set<std::pair<std::string, std::string>> seen;
  atsm::pipeline::for_each_reference(candidacy, "candidacy",
                                     [&](const std::string& kind, const std::string& key) {
                                       seen.insert({kind, key});
                                     });
  std::set<std::pair<std::string, std::string>> expected = {
      {"person", "lever:contact:1"},       {"job", "lever:posting:1"},
      {"stage", "lever:stage:a"},          {"user", "lever:user:u"},
      {"source", "lever:source:LinkedIn"}, {"custom_field", "lever:custom_field:f"}};
  EXPECT_EQ(seen, expected);
}

class PipelineTest : public ::testing::Test {
 protected:
  SessionOptions options(const std::string& source, const std::string& sink = "") {
    SessionOptions result;
    result.source = source;
    result.sink = sink;
    result.work_dir = dir.path() / "work";
    result.plugin_paths = {ATSM_TEST_PLUGIN_DIR};
    return result;
  }
  atsm::net::testing::TempDir dir;
};

TEST_F(PipelineTest, TheWorkDirIsPrivate) {
  Session session(options("echo"));
  struct stat info {};
  ASSERT_EQ(::stat(session.work_dir().root.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(session.work_dir().staging().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(PipelineTest, UnknownConfigurationKeysAreNamedWithTheValidOnes) {
  SessionOptions given = options("echo");
  given.settings = {"echo.base_url=http://127.0.0.1:1", "echo.colour=blue", "echo.size=3"};
  try {
    // Refused when the session starts, before any plugin opens.
    Session session(given);
    FAIL() << "unknown keys must be refused";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(),
                 "unknown configuration keys for plugin echo: colour, size (valid: base_url)");
  }
}

TEST_F(PipelineTest, SettingsForAPluginThatIsNotInstalledAreRefused) {
  SessionOptions given = options("echo");
  given.settings = {"ashby.base_url=http://x"};  // no ashby in the test plugin directory
  EXPECT_THROW(Session session(given), UsageError);
  given.settings = {"no-dot-here"};
  EXPECT_THROW(Session session(given), UsageError);
}

// One config file serves every vendor an operator migrates: a section of an installed plugin
// this run does not use is accepted, but its keys must still be that plugin's.
TEST_F(PipelineTest, SettingsForAnInstalledPluginTheRunDoesNotUseAreAcceptedWhenValid) {
  SessionOptions given = options("plain");
  given.settings = {"echo.base_url=http://x"};
  EXPECT_NO_THROW(Session session(given));
  given.settings = {"echo.colour=red"};
  try {
    Session session(given);
    FAIL() << "an unknown key of an unused plugin must be refused";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("colour"), std::string::npos) << error.what();
  }
}

TEST_F(PipelineTest, ACredentialsFileReadableByOthersIsRefused) {
  std::filesystem::path file = dir.path() / "credentials";
  std::ofstream(file) << "LEVER_API_KEY=abcdef\n";
  std::filesystem::permissions(file, std::filesystem::perms(0644));
  SessionOptions given = options("echo");
  given.credentials_file = file;
  try {
    Session session(given);
    FAIL() << "a world-readable credentials file must be refused";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("0644"), std::string::npos) << error.what();
    EXPECT_EQ(std::string(error.what()).find("abcdef"), std::string::npos)
        << "never the secret itself";
  }
}

TEST_F(PipelineTest, ExtractStagesEveryRecordAndAFinishedKindIsNotReadAgain) {
  {
    Session session(options("echo"));
    atsm::pipeline::ExtractStats stats = atsm::pipeline::extract(session);
    EXPECT_EQ(stats.staged["person"], 3);
    EXPECT_TRUE(stats.rejected.empty());
    std::vector<std::string> keys;
    session.staging().for_each(
        {"person", std::string("echo")},
        [&](const atsm::store::StagedRecord& record) { keys.push_back(record.source_key); });
    EXPECT_EQ(keys, (std::vector<std::string>{"echo:person:1", "echo:person:2", "echo:person:3"}));
  }
  Session again(options("echo"));
  atsm::pipeline::ExtractStats stats = atsm::pipeline::extract(again);
  EXPECT_TRUE(stats.staged.empty());
  EXPECT_EQ(stats.skipped_kinds, std::vector<std::string>{"person"});
}

TEST_F(PipelineTest, AnUnknownPluginIsAUsageErrorThatListsTheLoadedOnes) {
  Session session(options("nosuch"));
  try {
    session.source();
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_NE(
        std::string(error.what()).find("no source plugin named 'nosuch' (loaded: echo, plain"),
        std::string::npos)
        << error.what();
  }
}

}  // namespace
