// End to end, exactly once: a lost or damaged ledger, a busy work dir, a revoked key, a duplicate
// made behind the ledger's back, every fault of the sandbox and kills at random points: Ashby
// ends with the ground truth and nothing twice (the sandbox's truth, never the product's).
#include <gtest/gtest.h>

#include "e2e_fixture.hpp"

namespace {

using namespace atsm::e2e_testing;

// The ledger is what makes a run exactly-once; when it is lost after a finished migration
// (deleted, or truncated to zero bytes), the same command must adopt what the target holds,
// never create it again. The work dir's lock file, left behind, does not stop the next run.
TEST_F(E2E, ALostLedgerIsRecoveredFromTheTargetWithoutADuplicate) {
  atsm::sandbox::Options options;
  options.seed = 13;
  options.persons = 30;
  start(options);
  plan_and_accept("lever");
  Outcome migration = run(migration_args("lever"));
  ASSERT_EQ(migration.exit_code, 0) << migration.output;
  EXPECT_EQ(migration.output.find("Adopting:"), std::string::npos)
      << "a first run into an empty target adopts nothing\n"
      << migration.output;
  expect_matches_truth("lever");
  const json::object created = ashby_get("/_sandbox/state").at("created_by_method").as_object();

  const std::filesystem::path ledger = dir.path() / "work" / "ledger.sqlite";
  auto lose_ledger = [&](bool truncate) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::path file = ledger.string() + suffix;
      if (truncate && std::string(suffix).empty())
        std::filesystem::resize_file(file, 0);
      else
        std::filesystem::remove(file);
    }
  };
  for (bool truncate : {false, true}) {
    SCOPED_TRACE(truncate ? "ledger truncated to zero bytes" : "ledger deleted");
    lose_ledger(truncate);
    Outcome again = run(migration_args("lever"));
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("Adopting:"), std::string::npos) << again.output;
    EXPECT_EQ(ashby_get("/_sandbox/state").at("created_by_method").as_object(), created)
        << "nothing is created twice\n"
        << again.output;
    expect_matches_truth("lever");
  }

  // A new work dir against the same target: the look-up finds the candidates of the first.
  std::filesystem::rename(dir.path() / "work", dir.path() / "first-work");
  plan_and_accept("lever");
  Outcome fresh = run(migration_args("lever"));
  EXPECT_EQ(fresh.exit_code, 0) << fresh.output;
  EXPECT_NE(fresh.output.find("the target already holds"), std::string::npos) << fresh.output;
  EXPECT_EQ(ashby_get("/_sandbox/state").at("created_by_method").as_object(), created)
      << fresh.output;
  expect_matches_truth("lever");
}

// A SIGKILL in the middle of the load, then the ledger's write-ahead log damaged: SQLite drops
// every commit from the first bad frame on, silently. The audit trail still shows those writes,
// so the resumed run knows the ledger lost them and looks every record up: exact, no duplicate.
TEST_F(E2E, ALedgerWhoseLogWasDamagedAfterAKillNeitherLosesNorDuplicates) {
  atsm::sandbox::Options options;
  options.seed = 23;
  options.persons = 30;
  start(options);
  plan_and_accept("lever");
  const std::filesystem::path work = dir.path() / "work";
  auto audit_lines = [&] {
    std::ifstream in(work / "audit.jsonl");
    return std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
  };
  Outcome killed = run(migration_args("lever"), std::nullopt, [&] { return audit_lines() >= 60; });
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << "the run ended before the kill\n" << killed.output;

  // Damage the first frame's page: its checksum fails, and with it every later frame.
  const std::filesystem::path wal = work / "ledger.sqlite-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));
  ASSERT_GT(std::filesystem::file_size(wal), 32u + 24u + 512u) << "no frame to damage";
  {
    std::fstream file(wal, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(32 + 24 + 100);
    file.write("damaged by the test", 19);
  }
  Outcome resumed = run(migration_args("lever"));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("the audit trail shows"), std::string::npos) << resumed.output;
  expect_matches_truth("lever");
}

// Two runs of the same command on one work dir: the second is refused at once, naming the run
// that holds the work dir, and the first finishes exactly (three runs at once used to create
// candidates twice and race on plan.json).
TEST_F(E2E, ASecondRunOnABusyWorkDirIsRefusedAndTheFirstFinishesExactly) {
  atsm::sandbox::Options options;
  options.seed = 29;
  options.persons = 30;
  start(options);
  plan_and_accept("lever");
  const std::filesystem::path audit = dir.path() / "work" / "audit.jsonl";
  std::optional<Outcome> second;
  Outcome first = run(migration_args("lever"), std::nullopt, [&] {
    // Once the first run writes, it holds the work dir: start the second beside it.
    if (!second && std::filesystem::exists(audit) && std::filesystem::file_size(audit) > 0)
      second = run(migration_args("lever"), std::nullopt, {}, "second-output.txt");
    return false;
  });
  EXPECT_EQ(first.exit_code, 0) << first.output;
  ASSERT_TRUE(second) << "the first run ended before it wrote anything\n" << first.output;
  EXPECT_EQ(second->exit_code, 3) << second->output;
  EXPECT_NE(second->output.find("is in use by another atsmigrate run (pid "), std::string::npos)
      << second->output;
  EXPECT_NE(second->output.find("step migrate"), std::string::npos) << second->output;
  expect_matches_truth("lever");
}

// An admin revokes the target's key mid-migration: the run stops at once with exit 3 (README,
// "Exit codes") instead of failing record after record with a dead key, and once the key works
// again the same command finishes exactly.
TEST_F(E2E, AKeyRevokedMidRunStopsTheRunAtOnceAndTheResumeIsExact) {
  atsm::sandbox::Options options;
  options.seed = 17;
  options.persons = 30;
  start(options);
  plan_and_accept("lever");
  httplib::Client ashby("127.0.0.1", sandbox->endpoints().ashby_port);
  auto revoke = ashby.Post("/_sandbox/revoke_key", R"({"after_calls": 120})", "application/json");
  ASSERT_TRUE(revoke && revoke->status == 200);

  Outcome stopped = run(migration_args("lever"));
  EXPECT_EQ(stopped.exit_code, 3) << stopped.output;
  EXPECT_NE(stopped.output.find("fatal:"), std::string::npos) << stopped.output;
  EXPECT_NE(stopped.output.find("the key is wrong, deactivated or lacks a permission"),
            std::string::npos)
      << "the run stopped because of the revoked key\n"
      << stopped.output;
  json::object after = json::parse(ashby.Get("/_sandbox/revoke_key")->body).as_object();
  ASSERT_TRUE(after.at("revoked").as_bool()) << "the run must have reached the revocation";
  // Writers in flight when the first refusal came may still land one call each (at most 32
  // writers, plus the extraction's own), never one per remaining record.
  EXPECT_LE(after.at("refused_since_revocation").as_int64(), 40) << stopped.output;

  auto restore = ashby.Post("/_sandbox/revoke_key", R"({"restore": true})", "application/json");
  ASSERT_TRUE(restore && restore->status == 200);
  Outcome resumed = run(migration_args("lever"));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  expect_matches_truth("lever");
}

// A duplicate the ledger cannot see (created behind its back) is a difference: the report reads
// the target's legacy ids and names the record held twice; the verdict is never clean.
TEST_F(E2E, TheReportFindsADuplicateTheLedgerDoesNotKnow) {
  atsm::sandbox::Options options;
  options.seed = 19;
  options.persons = 20;
  start(options);
  plan_and_accept("lever");
  Outcome migration = run(migration_args("lever"));
  ASSERT_EQ(migration.exit_code, 0) << migration.output;

  // Another candidate carrying the first migrated candidate's legacy ids, as a second run with a
  // lost ledger would have made it.
  json::object state = ashby_get("/_sandbox/state");
  std::string legacy_ids;
  for (const json::value& candidate : state.at("candidates").as_array()) {
    if (const json::value* ids =
            candidate.at("customFields").as_object().if_contains("Legacy IDs")) {
      legacy_ids = std::string(ids->as_string());
      break;
    }
  }
  ASSERT_FALSE(legacy_ids.empty());
  httplib::Client ashby("127.0.0.1", sandbox->endpoints().ashby_port);
  ashby.set_basic_auth(sandbox->credentials().ashby_api_key, "");
  auto call = [&](const std::string& method, const json::object& body) {
    auto response = ashby.Post("/" + method, json::serialize(body), "application/json");
    EXPECT_TRUE(response && response->status == 200) << method;
    json::object envelope = response ? json::parse(response->body).as_object() : json::object();
    EXPECT_TRUE(envelope.contains("success") && envelope.at("success").as_bool())
        << method << ": " << (response ? response->body : "");
    return envelope;
  };
  std::string field_id;
  json::object fields = call("customField.list", json::object{{"limit", 100}});
  for (const json::value& field : fields.at("results").as_array())
    if (field.at("title") == "Legacy IDs")
      field_id = std::string(field.at("id").as_string());
  ASSERT_FALSE(field_id.empty());
  json::object created = call("candidate.create", json::object{{"name", "Twin"}});
  std::string twin(created.at("results").at("id").as_string());
  call("customField.setValues",
       json::object{{"objectId", twin},
                    {"objectType", "Candidate"},
                    {"values", json::array{json::object{{"fieldId", field_id},
                                                        {"fieldValue", legacy_ids}}}}});

  std::vector<std::string> report = migration_args("lever");
  report.insert(report.begin(), "report");
  Outcome reported = run(report);
  EXPECT_EQ(reported.exit_code, 2) << reported.output;
  EXPECT_NE(reported.output.find("duplicate: the target holds this record 2 times"),
            std::string::npos)
      << reported.output;
  EXPECT_NE(reported.output.find(twin), std::string::npos) << reported.output;
}

// Every fault of the sandbox at 5 % on every vendor, lost responses included: re-running until
// the run is clean (a transient failure that outlasted the retries exits 2) ends with exactly the
// ground truth and no duplicate, files included (an upload whose answer was lost is adopted only
// when the bytes behind a same-named file hash the same).
TEST_F(E2E, FaultsLoseNothingAndDuplicateNothing) {
  start_with_chaos();
  plan_and_accept("lever");
  Outcome finished;
  for (int attempt = 0; attempt < 4; ++attempt) {
    finished = run(migration_args("lever"));
    if (finished.exit_code == 0)
      break;
    EXPECT_EQ(finished.exit_code, 2) << finished.output;
  }
  ASSERT_EQ(finished.exit_code, 0) << finished.output;
  expect_matches_truth("lever");
}

// The same with the process killed (SIGKILL) three times at random points and restarted.
TEST_F(E2E, FaultsAndThreeKillsLoseNothingAndDuplicateNothing) {
  start_with_chaos();
  plan_and_accept("lever");
  std::mt19937 random(12);
  for (int kill = 0; kill < 3; ++kill) {
    auto after = std::chrono::milliseconds(std::uniform_int_distribution<int>(800, 4000)(random));
    Outcome killed = run(migration_args("lever"), after);
    if (killed.exit_code == 0)
      break;  // finished before the kill
  }
  Outcome finished;
  for (int attempt = 0; attempt < 5; ++attempt) {
    finished = run(migration_args("lever"));
    if (finished.exit_code == 0)
      break;
  }
  ASSERT_EQ(finished.exit_code, 0) << finished.output;
  expect_matches_truth("lever");
}

}  // namespace
