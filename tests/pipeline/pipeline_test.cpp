// Pipeline pieces that need no vendor: reference discovery, configuration checks, extraction
// into a real staging store with resumable checkpoints. End-to-end runs against the sandbox live
// in tests/e2e.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "net/test_support.hpp"
#include "pipeline/duplicates.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/migration.hpp"
#include "pipeline/reasons.hpp"
#include "pipeline/references.hpp"
#include "pipeline/session.hpp"
#include "pipeline/work_dir_lock.hpp"

namespace {

using atsm::pipeline::referenced_kind;
using atsm::pipeline::Session;
using atsm::pipeline::SessionOptions;
using atsm::pipeline::UsageError;

TEST(References, FieldNamesNameTheKindTheyPointAt) {
  // Field names as atsmigrate/model/types.hpp declares them.
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

TEST_F(PipelineTest, AMigrationOptionGivenAsAPluginKeySaysWhereItMoved) {
  SessionOptions given = options("echo");
  given.settings = {"echo.scorecards=note"};
  try {
    Session session(given);
    FAIL() << "a migration option is not a plugin key";
  } catch (const UsageError& error) {
    // The option's name as sdk/schema/migration-options.schema.json lists it.
    EXPECT_STREQ(error.what(),
                 "configuration key for plugin echo: scorecards is a migration option, set in "
                 "the mapping file's \"options\"");
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

// A source read to its end is not read again in that work dir: the second run reads nothing and
// knows it (the command line then names --reread). --reread and --reread-kind read it again from
// the start; --reread-kind leaves the high-water mark --delta reads from where it was.
TEST_F(PipelineTest, ACompleteSourceIsReadAgainOnlyWhenRereadIsAsked) {
  struct Recorder : atsm::pipeline::StepObserver {
    void extracted(const atsm::pipeline::ExtractStats& stats) override { last = stats; }
    atsm::pipeline::ExtractStats last;
  } observer;
  // The `extract` step as the command line runs it: what it read.
  auto extract_step = [&](bool reread, std::vector<std::string> kinds) {
    Session session(options("echo"));
    atsm::pipeline::StepRequest request;
    request.step = "extract";
    request.reread = reread;
    request.reread_kinds = std::move(kinds);
    observer.last = {};
    atsm::pipeline::run_step(session, request, observer);
    return observer.last;
  };
  std::optional<std::string> first_mark;
  {
    Session session(options("echo"));
    atsm::pipeline::ExtractStats first = atsm::pipeline::extract(session);
    EXPECT_FALSE(first.read_nothing());
    first_mark = session.staging().checkpoint("echo", atsm::pipeline::kHighWaterMark);
    ASSERT_TRUE(first_mark && !first_mark->empty());
    atsm::pipeline::ExtractStats second = atsm::pipeline::extract(session);
    EXPECT_TRUE(second.read_nothing()) << "every kind complete: nothing read";
  }
  {
    Session session(options("echo"));
    atsm::pipeline::begin_reread(session, {"person"});
    atsm::pipeline::ExtractStats again = atsm::pipeline::extract(session);
    EXPECT_FALSE(again.read_nothing());
    EXPECT_EQ(again.staged["person"], 3) << "the kind is read from the start";
    EXPECT_EQ(again.changed["person"], 0) << "the same snapshot: nothing changed";
    EXPECT_EQ(session.staging().checkpoint("echo", atsm::pipeline::kHighWaterMark), first_mark)
        << "a read of some kinds does not move --delta's starting point";
  }
  {
    Session session(options("echo"));
    atsm::pipeline::begin_reread(session);
    EXPECT_EQ(session.staging().checkpoint("echo", "person"), std::optional<std::string>(""));
    EXPECT_EQ(atsm::pipeline::extract(session).staged["person"], 3);
  }
  EXPECT_TRUE(extract_step(false, {}).read_nothing());
  EXPECT_EQ(extract_step(true, {}).staged["person"], 3) << "--reread reads every kind again";
  EXPECT_EQ(extract_step(false, {"person"}).staged["person"], 3) << "--reread-kind person";
  // What cannot be meant is refused before anything is read.
  try {
    extract_step(false, {"note"});
    ADD_FAILURE() << "a kind the source does not read";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what())
                  .find("--reread-kind note: source 'echo' reads no such "
                        "kind (it reads person)"),
              std::string::npos)
        << error.what();
  }
  EXPECT_THROW(extract_step(true, {"person"}), UsageError);
  Session session(options("echo"));
  atsm::pipeline::StepRequest with_delta;
  with_delta.step = "extract";
  with_delta.reread = true;
  with_delta.delta = true;
  EXPECT_THROW(atsm::pipeline::run_step(session, with_delta, observer), UsageError);
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

// A process that holds a work dir the way a running migration does, until it is killed.
class LockHolder {
 public:
  explicit LockHolder(const std::filesystem::path& work_dir) {
    int ready[2];
    EXPECT_EQ(::pipe(ready), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      try {
        atsm::pipeline::WorkDirLock lock(work_dir, "migrate");
        (void)!::write(ready[1], "1", 1);
        for (;;)
          ::pause();
      } catch (...) {
        ::_exit(1);
      }
    }
    ::close(ready[1]);
    char byte = 0;
    EXPECT_EQ(::read(ready[0], &byte, 1), 1) << "the holder could not take the lock";
    ::close(ready[0]);
  }
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  ~LockHolder() { kill(); }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

TEST_F(PipelineTest, ASecondRunOnABusyWorkDirIsRefusedNamingTheHolderAndADeadHoldersLockIsTaken) {
  SessionOptions given = options("echo");
  std::filesystem::create_directories(given.work_dir);
  LockHolder holder(given.work_dir);
  try {
    Session second(given);
    FAIL() << "two runs must not share a work dir";
  } catch (const atsm::pipeline::WorkDirBusy& error) {
    std::string message = error.what();
    EXPECT_NE(message.find(fmt::format("pid {}, step migrate", holder.pid())), std::string::npos)
        << message;
    EXPECT_NE(message.find("Nothing was done"), std::string::npos) << message;
  }
  // Nothing of the refused run reached the work dir's stores.
  EXPECT_FALSE(std::filesystem::exists(given.work_dir / "staging.sqlite"));

  // SIGKILL leaves the lock file behind; the kernel has released the lock itself.
  holder.kill();
  ASSERT_TRUE(std::filesystem::exists(atsm::pipeline::WorkDirLock::file(given.work_dir)));
  Session after(given);
  EXPECT_EQ(atsm::pipeline::extract(after).staged["person"], 3);
}

TEST_F(PipelineTest, ReadOnlyStepsRunBesideARunAndTwoSessionsOfOneProcessExcludeEachOther) {
  SessionOptions given = options("echo");
  Session running(given);
  EXPECT_THROW(Session again(given), atsm::pipeline::WorkDirBusy);
  SessionOptions status = given;
  status.lock_work_dir = false;
  Session reader(status);
  EXPECT_TRUE(reader.staging().counts("echo").empty());
}

// The reconciliation's duplicate check on a census as the Ashby sink answers it: expected
// problems are worked out by hand from the census below.
TEST(Duplicates, ARecordHeldTwiceSharedEmailsAndLedgerDisagreementsAreNamedOthersAreNot) {
  boost::json::array census = boost::json::parse(R"([
    {"target_id": "c1", "keys": ["lever:contact:1", "greenhouse:candidate:9"], "emails": ["Ann@X.example"]},
    {"target_id": "c2", "keys": ["lever:contact:1"], "emails": []},
    {"target_id": "c3", "keys": ["lever:contact:3"], "emails": [" ann@x.example"]},
    {"target_id": "c4", "keys": ["lever:contact:4"], "emails": ["d@x.example"]},
    {"target_id": "c5", "keys": ["workable:candidate:4"], "emails": ["d@x.example"]},
    {"target_id": "c6", "keys": ["lever:contact:6"], "emails": ["e@x.example"]}
  ])")
                                  .as_array();
  std::map<std::string, std::string> ledger{
      {"lever:contact:1", "c1"}, {"lever:contact:3", "c3"}, {"lever:contact:6", "c9"}};
  auto target_of = [&](const std::string& key) -> std::optional<std::string> {
    auto found = ledger.find(key);
    return found == ledger.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  boost::json::array problems =
      atsm::pipeline::duplicates_in_census("person", census, {"lever", "greenhouse"}, target_of);
  std::map<std::string, std::string> by_key;
  for (const boost::json::value& problem : problems) {
    EXPECT_EQ(problem.at("kind"), "person");
    by_key[std::string(problem.at("key").as_string())] +=
        std::string(problem.at("problem").as_string()) + "|";
  }
  ASSERT_EQ(problems.size(), 3u) << boost::json::serialize(problems);
  EXPECT_NE(by_key["lever:contact:1"].find("holds this record 2 times (c1, c2)"), std::string::npos)
      << by_key["lever:contact:1"];
  // c1 and c3 share Ann's address once normalised; the problem names both, never the address.
  EXPECT_NE(by_key["greenhouse:candidate:9"].find("2 migrated objects share an email address"),
            std::string::npos)
      << boost::json::serialize(problems);
  EXPECT_NE(by_key["greenhouse:candidate:9"].find("c3 (lever:contact:3)"), std::string::npos);
  EXPECT_EQ(boost::json::serialize(problems).find("ann@"), std::string::npos);
  EXPECT_NE(by_key["lever:contact:6"].find("holds this record as c6, the ledger says c9"),
            std::string::npos);
  // c4 and c5 share an address, but c5 is another source's: not this migration's to judge.
  EXPECT_EQ(by_key.count("lever:contact:4"), 0u);
}

TEST_F(PipelineTest, AWorkDirRefusesAnotherAccountNamingBothUnlessRebound) {
  ::setenv("ECHO_KEY", "first-secret-key", 1);
  SessionOptions first = options("echo");
  first.settings = {"echo.base_url=http://127.0.0.1:1"};
  SessionOptions mistyped = options("echo");
  mistyped.settings = {"echo.base_url=http://127.0.0.1:7"};
  {
    // A first run that read nothing (a mistyped address, say) does not bind the work dir.
    Session session(mistyped);
    session.source();
  }
  {
    Session session(first);
    EXPECT_EQ(atsm::pipeline::extract(session).staged["person"], 3);
  }
  SessionOptions other_address = options("echo");
  other_address.settings = {"echo.base_url=http://127.0.0.1:2"};
  try {
    Session session(other_address);
    session.source();
    FAIL() << "another account must be refused";
  } catch (const UsageError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("http://127.0.0.1:1"), std::string::npos) << message;
    EXPECT_NE(message.find("http://127.0.0.1:2"), std::string::npos) << message;
    EXPECT_NE(message.find("--workdir"), std::string::npos) << message;
    EXPECT_NE(message.find("--rebind-accounts"), std::string::npos) << message;
  }
  // The same address under another key is another account too; the key itself is never shown.
  ::setenv("ECHO_KEY", "second-secret-key", 1);
  try {
    Session session(first);
    session.source();
    FAIL() << "another key must be refused";
  } catch (const UsageError& error) {
    std::string message = error.what();
    EXPECT_EQ(message.find("secret-key"), std::string::npos) << message;
    EXPECT_NE(message.find("key fingerprint"), std::string::npos) << message;
  }
  SessionOptions rebound = first;
  rebound.rebind_accounts = true;
  {
    Session session(rebound);
    session.source();
  }
  Session again(first);
  EXPECT_NO_THROW(again.source()) << "the rebound account is the work dir's now";
  std::ifstream in(first.work_dir / "accounts.json");
  std::string recorded((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(recorded.find("secret-key"), std::string::npos) << recorded;
  ::unsetenv("ECHO_KEY");
}

}  // namespace

// The reasons the 100,000-person report keyed by record (issue 22), as their reason class: the
// keys and quoted values go, the words stay, so one class holds every record of that reason.
TEST(ReasonClass, RecordKeysAndQuotedValuesLeaveTheReason) {
  using atsm::pipeline::reason_class;
  EXPECT_EQ(reason_class("its person lever:contact:3f2a-11 was not migrated: anonymised in the "
                         "source"),
            "its person <key> was not migrated: anonymised in the source");
  EXPECT_EQ(reason_class("an invalid email of greenhouse:candidate:11136 not migrated"),
            "an invalid email of <key> not migrated");
  EXPECT_EQ(reason_class("no name in the source: the candidate is named 'Jane Doe'"),
            "no name in the source: the candidate is named '…'");
  EXPECT_EQ(reason_class("stage lever:stage:abc has no Ashby stage: left out of history"),
            "stage <key> has no Ashby stage: left out of history");
  EXPECT_EQ(reason_class("its file's candidacy greenhouse:application:42."),
            "its file's candidacy <key>.");
  // Nothing to take out: the reason is its own class.
  EXPECT_EQ(reason_class("private note (private_notes: skip)"),
            "private note (private_notes: skip)");
  EXPECT_EQ(reason_class("interviews: skip"), "interviews: skip");
}
