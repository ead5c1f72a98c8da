#include "services/net/retry_policy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>

namespace atsm::net {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kLargestDraw = std::numeric_limits<std::uint64_t>::max();

// The longest pause a policy allows for `failed`: the largest of many draws covering the range.
std::chrono::milliseconds longest(const BackoffPolicy& policy, const FailedAttempt& failed) {
  std::chrono::milliseconds most{0};
  for (std::uint64_t draw = 0; draw < 100'000; ++draw)
    most = std::max(most, retry_delay(policy, failed, draw));
  return most;
}

TEST(RetryPolicyTest, AnUnpacedRequestWaitsItsRetryAfterExactlyWhateverTheAttempt) {
  const BackoffPolicy policy;
  for (std::uint32_t attempt : {1u, 3u, 8u}) {
    FailedAttempt failed{attempt, AttemptOutcome::rate_limited, 1500ms, 1, 10ms, false};
    EXPECT_EQ(retry_delay(policy, failed, 0), 1500ms);
    EXPECT_EQ(retry_delay(policy, failed, kLargestDraw), 1500ms);
    failed.outcome = AttemptOutcome::server_error;  // a 503 with Retry-After
    EXPECT_EQ(retry_delay(policy, failed, kLargestDraw), 1500ms);
  }
}

TEST(RetryPolicyTest, APacedRequestWaitsItsRetryAfterInTheBucketNotASecondTimeHere) {
  // The bucket is paused for the vendor's word from the event's first refusal; a worker that
  // slept the delay again from its own answer's arrival would repeat later than the vendor said.
  const BackoffPolicy policy;
  for (std::uint32_t attempt : {1u, 3u, 8u}) {
    FailedAttempt failed{attempt, AttemptOutcome::rate_limited, 1500ms, 1, 10ms, true};
    EXPECT_EQ(longest(policy, failed), 0ms);
    failed.outcome = AttemptOutcome::server_error;  // a 503 with Retry-After
    EXPECT_EQ(longest(policy, failed), 0ms);
  }
  // A 5xx that names no delay is a fault, paced or not: a short jittered pause.
  const FailedAttempt fault{1, AttemptOutcome::server_error, std::nullopt, 1, 10ms, true};
  EXPECT_EQ(longest(policy, fault), 10ms);
}

TEST(RetryPolicyTest, A429WithoutRetryAfterLeavesThePauseToTheBucket) {
  const BackoffPolicy policy;
  const FailedAttempt failed{5, AttemptOutcome::rate_limited, std::nullopt, 9, 10ms};
  EXPECT_EQ(longest(policy, failed), 0ms);
  // Not paced by any bucket (a presigned storage URL): nothing else would space the repeats.
  FailedAttempt unpaced{1, AttemptOutcome::rate_limited, std::nullopt, 1, 10ms, false};
  EXPECT_EQ(longest(policy, unpaced), 10ms);
}

TEST(RetryPolicyTest, AFaultWhileTheVendorAnswersOthersWaitsAboutOneTypicalLatency) {
  const BackoffPolicy policy{250ms, 30'000ms, 6};
  for (AttemptOutcome outcome : {AttemptOutcome::server_error, AttemptOutcome::reset,
                                 AttemptOutcome::truncated, AttemptOutcome::timed_out}) {
    // First repeat: within one typical latency (10 ms), not the 250 ms base.
    EXPECT_EQ(longest(policy, {1, outcome, std::nullopt, 1, 10ms}), 10ms);
    // The same request failing again doubles it.
    EXPECT_EQ(longest(policy, {3, outcome, std::nullopt, 2, 10ms}), 40ms);
  }
  // Jittered: not every draw gives the same pause.
  const FailedAttempt failed{1, AttemptOutcome::reset, std::nullopt, 1, 10ms};
  EXPECT_NE(retry_delay(policy, failed, 3), retry_delay(policy, failed, 8));
}

TEST(RetryPolicyTest, ATypicalLatencyAboveTheBaseIsCappedByIt) {
  const BackoffPolicy policy{250ms, 30'000ms, 6};
  EXPECT_EQ(longest(policy, {1, AttemptOutcome::reset, std::nullopt, 1, 2000ms}), 250ms);
  // Unknown latency (nothing measured yet): the shortest pause.
  EXPECT_EQ(longest(policy, {1, AttemptOutcome::reset, std::nullopt, 1, 0ms}), 1ms);
}

TEST(RetryPolicyTest, AnOutageBacksOffExponentiallyToTheCap) {
  const BackoffPolicy policy{250ms, 30'000ms, 6};
  EXPECT_EQ(longest(policy, {1, AttemptOutcome::server_error, std::nullopt, 6, 10ms}), 250ms);
  EXPECT_EQ(longest(policy, {3, AttemptOutcome::server_error, std::nullopt, 40, 10ms}), 1000ms);
  EXPECT_EQ(retry_delay(policy, {30, AttemptOutcome::reset, std::nullopt, 400, 10ms}, 30'000),
            30'000ms);
  EXPECT_LE(retry_delay(policy, {30, AttemptOutcome::reset, std::nullopt, 400, 10ms}, kLargestDraw),
            30'000ms);
}

TEST(RetryPolicyTest, OutcomeNamesAreTheReportKeys) {
  EXPECT_EQ(outcome_name(AttemptOutcome::answered), "ok");
  EXPECT_EQ(outcome_name(AttemptOutcome::rate_limited), "429");
  EXPECT_EQ(outcome_name(AttemptOutcome::server_error), "5xx");
  EXPECT_EQ(outcome_name(AttemptOutcome::reset), "reset");
  EXPECT_EQ(outcome_name(AttemptOutcome::truncated), "truncated");
  EXPECT_EQ(outcome_name(AttemptOutcome::timed_out), "timed_out");
  EXPECT_EQ(outcome_name(AttemptOutcome::other_failure), "other");
}

TEST(LatencyWindowTest, QuantilesByNearestRankOverTheLatestSamples) {
  LatencyWindow window;
  EXPECT_FALSE(window.quantile(0.5).has_value());
  for (int ms = 1; ms <= 100; ++ms)
    window.add(std::chrono::milliseconds(ms));
  EXPECT_EQ(window.size(), 100u);
  EXPECT_EQ(window.quantile(0.5), 50ms);
  EXPECT_EQ(window.quantile(0.99), 99ms);
  EXPECT_EQ(window.quantile(1.0), 100ms);
  // Old samples leave the window: after kCapacity samples of 5 ms the slow ones are gone.
  for (std::size_t i = 0; i < LatencyWindow::kCapacity; ++i)
    window.add(5ms);
  EXPECT_EQ(window.size(), LatencyWindow::kCapacity);
  EXPECT_EQ(window.quantile(0.99), 5ms);
}

TEST(HangTimeoutTest, AReadIsCutAtAMultipleOfTheP90OnceMeasured) {
  const HangPolicy policy{0.9, 8.0, 100ms, 50};
  LatencyWindow window;
  for (int i = 0; i < 49; ++i)
    window.add(i % 10 == 0 ? 40ms : 10ms);
  // Too few samples: the request's own limit.
  EXPECT_EQ(hang_timeout(policy, window, true, 300'000ms), 300'000ms);
  window.add(20ms);
  // 50 samples, p90 20 ms: 160 ms.
  EXPECT_EQ(hang_timeout(policy, window, true, 300'000ms), 160ms);
  // Never longer than the request allows.
  EXPECT_EQ(hang_timeout(policy, window, true, 120ms), 120ms);
}

TEST(HangTimeoutTest, StallsAmongTheAnswersDoNotRaiseTheCut) {
  // 5 % of answers came after a 1.5 s stall: a p99 would be a stall and cut nothing.
  const HangPolicy policy{0.9, 8.0, 100ms, 50};
  LatencyWindow window;
  for (int i = 0; i < 200; ++i)
    window.add(i % 20 == 0 ? 1500ms : 15ms);
  EXPECT_EQ(hang_timeout(policy, window, true, 300'000ms), 120ms);
}

TEST(HangTimeoutTest, TheFloorHoldsForAFastHost) {
  const HangPolicy policy{0.9, 8.0, 100ms, 50};
  LatencyWindow window;
  for (int i = 0; i < 60; ++i)
    window.add(2ms);
  EXPECT_EQ(hang_timeout(policy, window, true, 300'000ms), 100ms);
}

TEST(HangTimeoutTest, AWriteKeepsItsOwnLimit) {
  // A write abandoned while the vendor still works on it could be committed after the lookup
  // meant to find it: it is never cut short.
  const HangPolicy policy{0.9, 8.0, 100ms, 50};
  LatencyWindow window;
  for (int i = 0; i < 60; ++i)
    window.add(10ms);
  EXPECT_EQ(hang_timeout(policy, window, false, 300'000ms), 300'000ms);
}

TEST(HangTimeoutTest, OnlyAReadMayBeAbandonedWhenItHangs) {
  // A read changes nothing at the vendor: abandoned and sent again, whatever its method.
  EXPECT_TRUE(may_abandon_hung_attempt("GET", true, false, false));
  EXPECT_TRUE(may_abandon_hung_attempt("HEAD", true, false, false));
  EXPECT_TRUE(may_abandon_hung_attempt("POST", true, true, false)) << "an Ashby *.list";
  // A create could be committed after the stall (a duplicate once retried); a repeatable write
  // (an update) arriving late could overwrite a later one.
  EXPECT_FALSE(may_abandon_hung_attempt("POST", false, false, false));
  EXPECT_FALSE(may_abandon_hung_attempt("POST", true, false, false));
  EXPECT_FALSE(may_abandon_hung_attempt("PUT", true, false, false));
  EXPECT_FALSE(may_abandon_hung_attempt("GET", false, false, false)) << "marked unsafe";
  // Downloads and uploads take as long as their size says.
  EXPECT_FALSE(may_abandon_hung_attempt("GET", true, false, true));
  EXPECT_FALSE(may_abandon_hung_attempt("POST", true, true, true));
}

}  // namespace
}  // namespace atsm::net
