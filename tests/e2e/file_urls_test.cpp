// End to end, file URLs that cannot serve now: expired source attachment URLs fail the run and a
// re-run fetches them; an Ashby download URL expired before its use is read again; a read-back
// that cannot download now is listed apart, never as a mismatch or clean.
#include <gtest/gtest.h>

#include "e2e_fixture.hpp"

namespace {

using namespace atsm::e2e_testing;

// "Not now" is not "never" (issue 23). Lever, then Greenhouse into the same Ashby, under every
// fault at 5 % and with Greenhouse attachment URLs that live 200 ms. First every URL Greenhouse
// hands out is already expired: the run exits 2 naming every Greenhouse file as failed with what
// the file host said, never as a skip and never clean. Then URLs live 200 ms again: a re-run
// fetches those files (a transient write failure under chaos may need one more, as in the fault
// test above) and Ashby equals the truth of both sources.
TEST_F(E2E, FilesTheSourceCannotServeNowFailTheRunAndARerunFetchesThem) {
  atsm::sandbox::Options options;
  options.seed = 11;
  options.persons = 20;  // every request under chaos costs its faults' back-off: a short account
  for (auto& vendor : options.faults)
    vendor = atsm::sandbox::fault_profile("chaos");
  options.stall_ms = 2000;
  options.attachment_url_ttl_s = 10;  // 200 ms at the test's x50
  start(options);
  auto until_clean = [&](const std::string& source) {
    Outcome outcome;
    for (int attempt = 0; attempt < 4; ++attempt) {
      outcome = run(migration_args(source));
      if (outcome.exit_code == 0)
        break;
      EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
      EXPECT_EQ(read_report().at("summary").at("verdict"), "differences");
    }
    return outcome;
  };
  plan_and_accept("lever");
  Outcome lever = until_clean("lever");
  ASSERT_EQ(lever.exit_code, 0) << lever.output;
  // The plan reads the whole source, files included: the URLs are dead from here on.
  const int greenhouse_port = sandbox->endpoints().greenhouse_port;
  control(greenhouse_port, "/_sandbox/attachment_ttl", R"({"seconds": -1})");
  plan_and_accept("greenhouse");
  Outcome refused = run(migration_args("greenhouse"));
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("Failed records (a re-run retries them)"), std::string::npos)
      << refused.output;
  json::object report = read_report();
  EXPECT_EQ(report.at("summary").at("verdict"), "differences");
  std::set<std::string> expected, failed;
  for (const auto& attachment : atsm::sandbox::generate_dataset(11, 20).greenhouse.attachments)
    expected.insert("greenhouse:attachment:" + attachment.file.id);
  ASSERT_FALSE(expected.empty());
  for (const json::value& failure : report.at("failures").as_array()) {
    if (failure.at("kind") != "file")
      continue;
    EXPECT_EQ(failure.at("vendor_code"), "source_fetch_failed") << json::serialize(failure);
    EXPECT_NE(std::string(failure.at("message").as_string()).find("could not serve it now"),
              std::string::npos)
        << json::serialize(failure);
    failed.insert(std::string(failure.at("key").as_string()));
  }
  EXPECT_EQ(failed, expected) << "every Greenhouse file is listed as failed";
  if (const json::value* skipped =
          report.at("counts").at("file").as_object().if_contains("skipped")) {
    for (const auto& [reason, count] : skipped->as_object()) {
      EXPECT_EQ(std::string(reason).find("expired"), std::string::npos)
          << "a file the source could not serve now is no skip: " << std::string(reason);
    }
  }

  control(greenhouse_port, "/_sandbox/attachment_ttl", R"({"seconds": 10})");
  Outcome finished = until_clean("greenhouse");
  ASSERT_EQ(finished.exit_code, 0) << finished.output;
  expect_matches_truth("both");
}

// Real presigned URLs expire: a download URL that expired between file.info and its download is
// read again (file.info, a fresh URL) before the file is called unreadable, so the verdict is
// clean. The reconciliation shows its progress like the other steps.
TEST_F(E2E, ADownloadUrlExpiredBeforeItsDownloadIsReadAgainAndTheVerdictIsClean) {
  atsm::sandbox::Options options;
  options.seed = 13;
  options.persons = 40;
  start(options);
  plan_and_accept("greenhouse");
  const int ashby_port = sandbox->endpoints().ashby_port;
  control(ashby_port, "/_sandbox/download_ttl", R"({"seconds": 600, "first_url_expired": true})");
  Outcome migration = run(migration_args("greenhouse"));
  EXPECT_EQ(migration.exit_code, 0) << migration.output;
  expect_matches_truth("greenhouse");
  json::object report = read_report();
  EXPECT_EQ(report.at("summary").at("verdict"), "clean");
  EXPECT_TRUE(report.at("unread").as_array().empty()) << json::serialize(report.at("unread"));
  const std::int64_t files_checked = report.at("read_back").at("file").at("checked").as_int64();
  ASSERT_GT(files_checked, 0);
  // The sandbox's own count: every file read back was downloaded twice (the expired URL, then
  // the fresh one), so the expiry did happen.
  std::int64_t files_downloaded = 0;
  json::object stats = ashby_get("/_sandbox/stats");
  for (const auto& [endpoint, count] : stats.at("requests").as_object())
    if (endpoint.starts_with("GET /_files/")) {
      ++files_downloaded;
      EXPECT_EQ(count.as_int64(), 2) << endpoint;
    }
  EXPECT_EQ(files_downloaded, files_checked);
  for (const char* step : {"reconcile: counts", "reconcile: read back file"})
    EXPECT_NE(migration.output.find(step), std::string::npos) << step << "\n" << migration.output;
}

// The read-back of files whose download URL expires before it is used: never a mismatch, never
// clean. With every URL Ashby's file.info hands out already expired, the run (whose writes all
// succeed) exits 2 and its report lists each file chosen for the read-back as not read now,
// apart from the mismatches; once URLs live again, `report` reads them back and is clean.
TEST_F(E2E, AReadBackThatCannotDownloadNowIsListedApartAndAReportRerunReadsIt) {
  atsm::sandbox::Options options;
  options.seed = 13;
  options.persons = 40;
  start(options);
  plan_and_accept("greenhouse");
  const int ashby_port = sandbox->endpoints().ashby_port;
  control(ashby_port, "/_sandbox/download_ttl", R"({"seconds": -1})");
  Outcome migration = run(migration_args("greenhouse"));
  EXPECT_EQ(migration.exit_code, 2) << migration.output;
  EXPECT_NE(migration.output.find("Not read back now"), std::string::npos) << migration.output;
  expect_matches_truth("greenhouse");
  json::object report = read_report();
  EXPECT_EQ(report.at("summary").at("verdict"), "differences");
  const json::array unread = report.at("unread").as_array();
  ASSERT_FALSE(unread.empty());
  for (const json::value& entry : unread)
    EXPECT_EQ(entry.at("kind"), "file") << json::serialize(entry);
  EXPECT_EQ(report.at("summary").at("unread").as_int64(), static_cast<std::int64_t>(unread.size()));
  EXPECT_EQ(report.at("read_back").at("file").at("unread").as_int64(),
            static_cast<std::int64_t>(unread.size()));
  for (const json::value& mismatch : report.at("mismatches").as_array())
    EXPECT_NE(mismatch.at("kind"), "file")
        << "not read is not different: " << json::serialize(mismatch);

  control(ashby_port, "/_sandbox/download_ttl", R"({"seconds": 600})");
  std::vector<std::string> again = migration_args("greenhouse");
  again.insert(again.begin(), "report");
  Outcome reported = run(again);
  EXPECT_EQ(reported.exit_code, 0) << reported.output;
  report = read_report();
  EXPECT_EQ(report.at("summary").at("verdict"), "clean");
  EXPECT_TRUE(report.at("unread").as_array().empty());
  EXPECT_EQ(report.at("read_back").at("file").at("checked").as_int64(),
            static_cast<std::int64_t>(unread.size()))
      << "the files not read before are read now";
}

}  // namespace
