// End to end, the load's writes kept in flight across chunks and kinds (core/pipeline/load.hpp,
// WritesInFlight) while Ashby stalls some requests: a stalled write is waited out, never cut (the
// vendor may still commit it), the next records and kinds are written meanwhile, and whatever
// hangs off a record whose write stalled waits for it. Ashby must end with exactly the sandbox's
// ground truth: every record once, every application, file and note on its own candidate.
#include <gtest/gtest.h>

#include "e2e_fixture.hpp"

namespace {

using namespace atsm::e2e_testing;

TEST_F(E2E, StalledAshbyRequestsLeaveEveryRecordOnceAndEveryChildOnItsOwner) {
  atsm::sandbox::Options options;
  options.seed = 12;
  options.persons = 40;
  // 10 % of Ashby's requests held a second each (stall_ms is divided by the fixture's rate scale
  // of 50); the source answers cleanly, so the load runs at the sink's pace.
  atsm::sandbox::set_fault_rate(
      options.faults[static_cast<std::size_t>(atsm::sandbox::Vendor::ashby)], "stall", 0.1);
  options.stall_ms = 50 * 1000;
  start(options);
  plan_and_accept("lever");
  // Small chunks: many chunk ends, each next chunk read while the last one's writes (some
  // stalled) go on.
  std::vector<std::string> args = migration_args("lever");
  args.insert(args.end(), {"--load-chunk", "8"});
  Outcome migration = run(args);
  ASSERT_EQ(migration.exit_code, 0) << migration.output;
  json::object stats = ashby_get("/_sandbox/stats");
  EXPECT_GT(stats.at("faults").as_object().at("stall").to_number<std::int64_t>(), 0)
      << "the profile stalled some requests: " << json::serialize(stats);
  expect_matches_truth("lever");

  json::object before = ashby_get("/_sandbox/state").at("created_by_method").as_object();
  Outcome again = run(migration_args("lever"));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(ashby_get("/_sandbox/state").at("created_by_method").as_object(), before)
      << "a finished migration run again writes nothing";
}

}  // namespace
