#include "services/net/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace atsm::net {
namespace {

using namespace std::chrono_literals;

// Offsets from `origin` at which each of `count` acquires was granted.
std::vector<Clock::duration> grant_times(RateLimiter& limiter, FakeClock& clock,
                                         const std::string& bucket, int count,
                                         Clock::time_point origin) {
  std::vector<Clock::duration> times;
  for (int i = 0; i < count; ++i) {
    auto permit = limiter.acquire(bucket);
    EXPECT_TRUE(permit.has_value());
    times.push_back(clock.now() - origin);
  }
  return times;
}

TEST(RateLimiterTest, TokenBucketGrantsBurstThenExactlyRatePerSecond) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("lever", BucketPolicy::token_bucket(10, 20));
  const auto origin = clock.now();

  const auto burst = grant_times(limiter, clock, "lever", 20, origin);
  for (const auto& offset : burst)
    EXPECT_EQ(offset, Clock::duration::zero());

  const auto steady = grant_times(limiter, clock, "lever", 30, origin);
  for (std::size_t i = 0; i < steady.size(); ++i) {
    EXPECT_EQ(steady[i], std::chrono::duration_cast<Clock::duration>(100ms * (i + 1)))
        << "permit " << 21 + i;
  }
  // Exactly 10 permits in each fake second after the burst.
  for (int second = 0; second < 3; ++second) {
    int in_second = 0;
    for (const auto& offset : steady) {
      if (offset > std::chrono::seconds(second) && offset <= std::chrono::seconds(second + 1)) {
        ++in_second;
      }
    }
    EXPECT_EQ(in_second, 10) << "second " << second;
  }

  const auto metrics = limiter.metrics("lever");
  EXPECT_EQ(metrics.permits_granted, 50u);
  EXPECT_EQ(metrics.time_waiting, 30 * 100ms);  // each of the 30 paced permits waited 100 ms
  EXPECT_EQ(metrics.in_flight, 0u);
  EXPECT_NEAR(metrics.achieved_rate_per_second(), 49.0 / 3.0, 1e-9);
}

TEST(RateLimiterTest, TokenBucketRefillsWhileIdleUpToBurst) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("lever", BucketPolicy::token_bucket(10, 20));
  grant_times(limiter, clock, "lever", 20, clock.now());
  clock.advance(10s);  // far longer than a full refill: the burst is capped at 20, not 100
  const auto origin = clock.now();
  const auto times = grant_times(limiter, clock, "lever", 21, origin);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(times[i], Clock::duration::zero());
  EXPECT_EQ(times[20], std::chrono::duration_cast<Clock::duration>(100ms));
}

TEST(RateLimiterTest, FixedWindowAllowsLimitPerWindow) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("greenhouse", BucketPolicy::fixed_window(5, 30s));
  const auto origin = clock.now();
  const auto times = grant_times(limiter, clock, "greenhouse", 12, origin);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(times[i], Clock::duration::zero());
  for (int i = 5; i < 10; ++i)
    EXPECT_EQ(times[i], Clock::duration(30s));
  for (int i = 10; i < 12; ++i)
    EXPECT_EQ(times[i], Clock::duration(60s));
}

TEST(RateLimiterTest, FixedWindowSkipsIdleWindows) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("greenhouse", BucketPolicy::fixed_window(2, 30s));
  const auto origin = clock.now();
  grant_times(limiter, clock, "greenhouse", 2, origin);
  clock.advance(95s);  // windows at 0, 30, 60, 90: now inside the one that started at 90 s
  const auto times = grant_times(limiter, clock, "greenhouse", 3, origin);
  EXPECT_EQ(times[0], Clock::duration(95s));
  EXPECT_EQ(times[1], Clock::duration(95s));
  EXPECT_EQ(times[2], Clock::duration(120s));
}

TEST(RateLimiterTest, RetryAfterSecondsPausesWholeBucketThenResumesWithoutBurst) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("lever", BucketPolicy::token_bucket(10, 20));
  const auto origin = clock.now();
  limiter.acquire("lever");
  limiter.observe("lever", 429, Headers{{"retry-after", "7"}});
  const auto times = grant_times(limiter, clock, "lever", 3, origin);
  EXPECT_EQ(times[0], Clock::duration(7s));
  EXPECT_EQ(times[1], Clock::duration(7s) + std::chrono::duration_cast<Clock::duration>(100ms));
  EXPECT_EQ(times[2], Clock::duration(7s) + std::chrono::duration_cast<Clock::duration>(200ms));
  const auto metrics = limiter.metrics("lever");
  EXPECT_EQ(metrics.rate_limited_responses, 1u);
  EXPECT_EQ(metrics.pauses, 1u);
}

TEST(RateLimiterTest, RetryAfterHttpDatePausesUntilThatTime) {
  FakeClock clock;  // its wall clock starts at 2026-01-01T00:00:00Z
  RateLimiter limiter(clock);
  limiter.configure("ashby", BucketPolicy::token_bucket(1000.0 / 60, 1));
  const auto origin = clock.now();
  limiter.observe("ashby", 503, Headers{{"Retry-After", "Thu, 01 Jan 2026 00:00:20 GMT"}});
  limiter.acquire("ashby");
  EXPECT_EQ(clock.now() - origin, Clock::duration(20s));
}

TEST(RateLimiterTest, ParseRetryAfterAcceptsSecondsEpochAndDate) {
  FakeClock clock;
  const auto now = clock.now();
  EXPECT_EQ(parse_retry_after("5", clock), now + Clock::duration(5s));
  EXPECT_EQ(parse_retry_after(" 1.5 ", clock),
            now + std::chrono::duration_cast<Clock::duration>(1500ms));
  EXPECT_EQ(parse_retry_after("1767225617", clock), now + Clock::duration(17s));
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", clock), now + Clock::duration(60s));
  EXPECT_FALSE(parse_retry_after("soon", clock).has_value());
  EXPECT_FALSE(parse_retry_after("-3", clock).has_value());
}

TEST(RateLimiterTest, RemainingZeroWithResetPausesUntilReset) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("greenhouse", BucketPolicy::fixed_window(50, 30s));
  const auto origin = clock.now();
  limiter.acquire("greenhouse");
  // Reset is epoch seconds: 12 s after the fake wall clock's origin.
  limiter.observe("greenhouse", 200,
                  Headers{{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "1767225612"}});
  limiter.acquire("greenhouse");
  EXPECT_EQ(clock.now() - origin, Clock::duration(12s));
  // A new window started at the reset: the remaining 49 of it go at once.
  for (int i = 0; i < 49; ++i)
    limiter.acquire("greenhouse");
  EXPECT_EQ(clock.now() - origin, Clock::duration(12s));
  limiter.acquire("greenhouse");
  EXPECT_EQ(clock.now() - origin, Clock::duration(42s));
}

TEST(RateLimiterTest, RemainingAboveZeroDoesNotPause) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("greenhouse", BucketPolicy::fixed_window(50, 30s));
  const auto origin = clock.now();
  limiter.acquire("greenhouse");
  limiter.observe("greenhouse", 200,
                  Headers{{"X-RateLimit-Remaining", "48"}, {"X-RateLimit-Reset", "1767225612"}});
  limiter.acquire("greenhouse");
  EXPECT_EQ(clock.now(), origin);
  EXPECT_EQ(limiter.metrics("greenhouse").pauses, 0u);
}

TEST(RateLimiterTest, FixedWindowFollowsServerLimitAndRemaining) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("greenhouse", BucketPolicy::fixed_window(10, 30s));
  const auto origin = clock.now();
  limiter.acquire("greenhouse");
  // The key's real limit is 75 and other clients already used most of it this window.
  limiter.observe("greenhouse", 200,
                  Headers{{"X-RateLimit-Limit", "75"}, {"X-RateLimit-Remaining", "3"}});
  const auto times = grant_times(limiter, clock, "greenhouse", 4, origin);
  EXPECT_EQ(times[0], Clock::duration::zero());
  EXPECT_EQ(times[2], Clock::duration::zero());
  EXPECT_EQ(times[3], Clock::duration(30s));
  // In the next window the adopted limit of 75 applies, not the configured 10.
  const auto next = grant_times(limiter, clock, "greenhouse", 74, origin);
  EXPECT_EQ(next.back(), Clock::duration(30s));
}

TEST(RateLimiterTest, BareTooManyRequestsBacksOffExponentially) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("lever", BucketPolicy::token_bucket(1000, 1000));
  const auto origin = clock.now();
  limiter.observe("lever", 429, Headers{});
  limiter.acquire("lever");
  EXPECT_EQ(clock.now() - origin, Clock::duration(1s));
  limiter.observe("lever", 429, Headers{});
  const auto second = clock.now();
  limiter.acquire("lever");
  EXPECT_EQ(clock.now() - second, Clock::duration(2s));
  // A success resets the streak.
  limiter.observe("lever", 200, Headers{});
  limiter.observe("lever", 429, Headers{});
  const auto third = clock.now();
  limiter.acquire("lever");
  EXPECT_EQ(clock.now() - third, Clock::duration(1s));
  EXPECT_EQ(limiter.metrics("lever").rate_limited_responses, 3u);
}

TEST(RateLimiterTest, AnUnforeseen429SlowsThePaceOncePerEventDownTo80Percent) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("ashby", BucketPolicy::token_bucket(10, 1));
  limiter.acquire("ashby");
  // Three 429s of one event: the first pauses the bucket, the others arrive during the pause.
  for (int i = 0; i < 3; ++i)
    limiter.observe("ashby", 429, Headers{});
  limiter.acquire("ashby");  // waits out the pause
  auto spacing_ms = [&] {
    const auto before = clock.now();
    limiter.acquire("ashby");
    return std::chrono::duration<double, std::milli>(clock.now() - before).count();
  };
  // 100 ms at 10/s, 2 % slower once: 102 ms.
  EXPECT_NEAR(spacing_ms(), 102.0, 0.001);
  // The same policy declared again (another sink instance) keeps what was learnt.
  limiter.configure("ashby", BucketPolicy::token_bucket(10, 1));
  EXPECT_NEAR(spacing_ms(), 102.0, 0.001);
  // Many separate events: never slower than 80 % of 10/s (125 ms).
  for (int event = 0; event < 40; ++event) {
    limiter.observe("ashby", 429, Headers{});
    limiter.acquire("ashby");
    limiter.observe("ashby", 200, Headers{});
  }
  EXPECT_NEAR(spacing_ms(), 125.0, 0.001);
  // A new declared rate starts over from it.
  limiter.configure("ashby", BucketPolicy::token_bucket(20, 1));
  limiter.acquire("ashby");
  EXPECT_NEAR(spacing_ms(), 50.0, 0.001);
}

TEST(RateLimiterTest, AnswersWinTheDeclaredPaceBackAfterAnUnforeseen429) {
  // A vendor's passing storm must not slow the rest of the run: about 20 answers undo one
  // slowdown, never going faster than the declared rate.
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("ashby", BucketPolicy::token_bucket(10, 1));
  limiter.acquire("ashby");
  limiter.observe("ashby", 429, Headers{});
  limiter.acquire("ashby");  // waits out the pause
  auto spacing_ms = [&] {
    const auto before = clock.now();
    limiter.acquire("ashby");
    return std::chrono::duration<double, std::milli>(clock.now() - before).count();
  };
  EXPECT_NEAR(spacing_ms(), 102.0, 0.001);
  for (int answer = 0; answer < 10; ++answer)
    limiter.observe("ashby", 200, Headers{});
  spacing_ms();  // the grant before was spaced at the old pace
  const double halfway = spacing_ms();
  EXPECT_GT(halfway, 100.5);
  EXPECT_LT(halfway, 101.5);
  for (int answer = 0; answer < 200; ++answer)
    limiter.observe("ashby", 200, Headers{});
  spacing_ms();
  EXPECT_NEAR(spacing_ms(), 100.0, 0.001);
}

TEST(RateLimiterTest, HintlessStormsEveryFortyFiveAnswersLeaveThePaceAtTheDeclaredRate) {
  // bench/faults' rate_limit profile: 5 % of requests refused in storms of about three, one
  // event every ~45 answers, none because the key allows less. Thirty such events must not drift
  // the pace down (at 1/50 of a slowdown won back per answer, it fell 8 % here and to the 80 %
  // floor over a whole run).
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("ashby", BucketPolicy::token_bucket(10, 1));
  limiter.acquire("ashby");
  for (int event = 0; event < 30; ++event) {
    limiter.observe("ashby", 429, Headers{});
    limiter.acquire("ashby");  // waits out the pause: the next 429 is a new event
    for (int answer = 0; answer < 44; ++answer)
      limiter.observe("ashby", 200, Headers{});
  }
  limiter.acquire("ashby");
  const auto before = clock.now();
  limiter.acquire("ashby");
  const std::chrono::duration<double, std::milli> spacing = clock.now() - before;
  EXPECT_NEAR(spacing.count(), 100.0, 0.001);
}

TEST(RateLimiterTest, The429sOfRequestsAlreadyInFlightCountAsOneEvent) {
  // Three requests in flight meet one storm: their 429s, even after the pause is over, slow the
  // pace and double the pause once.
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("ashby", BucketPolicy::token_bucket(10, 3));
  std::vector<Permit> in_flight;
  for (int i = 0; i < 3; ++i)
    in_flight.push_back(*limiter.acquire("ashby"));
  limiter.observe("ashby", 429, Headers{});
  clock.advance(5s);  // the pause (1 s) is long over when the others answer
  limiter.observe("ashby", 429, Headers{});
  limiter.observe("ashby", 429, Headers{});
  in_flight.clear();
  const auto before = clock.now();
  limiter.acquire("ashby");
  EXPECT_EQ(clock.now(), before);  // no second pause
  EXPECT_EQ(limiter.metrics("ashby").rate_limited_responses, 3u);
  EXPECT_EQ(limiter.metrics("ashby").pauses, 1u);
}

TEST(RateLimiterTest, TheRetryAfterOfAnEventsStragglersCountsFromItsFirst429) {
  // Three requests in flight meet one storm; the vendor tells each "Retry-After: 1". The later
  // answers come 300 ms and 600 ms after the first only because their latencies differ: the
  // bucket pauses for the vendor's second once, from the first 429, not until 1.6 s.
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("lever", BucketPolicy::token_bucket(1000, 1000));
  std::vector<Permit> in_flight;
  for (int i = 0; i < 3; ++i)
    in_flight.push_back(*limiter.acquire("lever"));
  const auto first = clock.now();
  limiter.observe("lever", 429, Headers{{"Retry-After", "1"}});
  clock.advance(300ms);
  limiter.observe("lever", 429, Headers{{"Retry-After", "1"}});
  clock.advance(300ms);
  limiter.observe("lever", 429, Headers{{"Retry-After", "1"}});
  in_flight.clear();
  limiter.acquire("lever");
  EXPECT_EQ(clock.now() - first, Clock::duration(1s));
  EXPECT_EQ(limiter.metrics("lever").rate_limited_responses, 3u);
}

TEST(RateLimiterTest, AStragglerAskingForLongerStillExtendsThePause) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("lever", BucketPolicy::token_bucket(1000, 1000));
  std::vector<Permit> in_flight;
  for (int i = 0; i < 2; ++i)
    in_flight.push_back(*limiter.acquire("lever"));
  const auto first = clock.now();
  limiter.observe("lever", 429, Headers{{"Retry-After", "1"}});
  clock.advance(200ms);
  limiter.observe("lever", 429, Headers{{"Retry-After", "3"}});
  in_flight.clear();
  limiter.acquire("lever");
  EXPECT_EQ(clock.now() - first, Clock::duration(3s)) << "3 s from the event's start";
  limiter.acquire("lever");  // as many sent after the pause as were in flight before it
  // A 429 of a request sent after the pause is a new event: its delay counts from its arrival.
  const auto second = clock.now();
  clock.advance(100ms);
  limiter.observe("lever", 429, Headers{{"Retry-After", "2"}});
  limiter.acquire("lever");
  EXPECT_EQ(clock.now() - second, Clock::duration(100ms) + Clock::duration(2s));
}

TEST(RateLimiterTest, PauseIsCappedByMaxPause) {
  FakeClock clock;
  RateLimiter limiter(clock);
  auto policy = BucketPolicy::token_bucket(10, 1);
  policy.max_pause = 60s;
  limiter.configure("lever", policy);
  const auto origin = clock.now();
  limiter.observe("lever", 429, Headers{{"Retry-After", "86400"}});
  limiter.acquire("lever");
  EXPECT_EQ(clock.now() - origin, Clock::duration(60s));
}

// Issue 19: 1e300 overflowed a duration conversion (undefined behaviour); any value is clamped
// first, and the pause stays within max_pause.
TEST(RateLimiterTest, AbsurdServerDelaysAreClampedNotOverflowed) {
  for (const std::string value : {"1e300", "1000000000", "1.7e308", "4e18"}) {
    FakeClock clock;
    RateLimiter limiter(clock);
    limiter.configure("lever", BucketPolicy::token_bucket(10, 1));
    const auto parsed = parse_retry_after(value, clock);
    ASSERT_TRUE(parsed.has_value()) << value;
    EXPECT_GT(*parsed, clock.now() + std::chrono::hours(24)) << value << " is far away";
    const auto origin = clock.now();
    limiter.observe("lever", 429, Headers{{"Retry-After", value}});
    limiter.observe("lever", 200,
                    Headers{{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", value}});
    limiter.acquire("lever");
    EXPECT_EQ(clock.now() - origin, Clock::duration(BucketPolicy{}.max_pause)) << value;
  }
}

TEST(RateLimiterTest, MaxConcurrencyBlocksUntilAPermitIsReleased) {
  FakeClock clock;  // the waiter blocks on a released slot, not on time
  RateLimiter limiter(clock);
  limiter.configure("reports", BucketPolicy::token_bucket(1000, 1000).with_max_concurrency(3));
  std::vector<Permit> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(*limiter.acquire("reports"));

  std::atomic<bool> fourth_granted{false};
  std::thread waiter([&] {
    auto permit = limiter.acquire("reports");
    fourth_granted = permit.has_value();
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(fourth_granted.load()) << "a fourth request went while three were in flight";
  EXPECT_EQ(limiter.metrics("reports").in_flight, 3u);
  held.pop_back();  // releases one slot
  waiter.join();
  EXPECT_TRUE(fourth_granted.load());
  const auto metrics = limiter.metrics("reports");
  EXPECT_EQ(metrics.peak_in_flight, 3u);
  EXPECT_EQ(metrics.in_flight, 2u);
  EXPECT_EQ(metrics.permits_granted, 4u);
}

TEST(RateLimiterTest, ARepeatTakesTheNextPermitAheadOfFreshRequestsWaitingLonger) {
  FakeClock clock;  // the waiters block on a released slot, not on time
  RateLimiter limiter(clock);
  limiter.configure("ashby", BucketPolicy::token_bucket(1000, 1000).with_max_concurrency(1));
  std::optional<Permit> held = limiter.acquire("ashby");
  std::mutex order_mutex;
  std::vector<std::string> order;
  const auto wait_and_note = [&](const std::string& who, RateLimiter::Turn turn) {
    auto permit = limiter.acquire("ashby", nullptr, turn);
    std::lock_guard lock(order_mutex);
    order.push_back(who);
  };  // the permit goes when the thread ends
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i)
    waiters.emplace_back(wait_and_note, "fresh", RateLimiter::Turn::fresh);
  std::this_thread::sleep_for(200ms);  // the fresh requests queue first
  waiters.emplace_back(wait_and_note, "repeat", RateLimiter::Turn::repeat);
  std::this_thread::sleep_for(200ms);
  held.reset();  // one slot frees
  for (auto& waiter : waiters)
    waiter.join();
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order.front(), "repeat") << "a fresh request took the slot a repeat waited for";
  EXPECT_EQ(limiter.metrics("ashby").permits_granted, 5u);
}

TEST(RateLimiterTest, AFreshRequestGoesWhenTheRepeatItYieldedToIsCancelled) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("ashby", BucketPolicy::token_bucket(1000, 1000).with_max_concurrency(1));
  std::optional<Permit> held = limiter.acquire("ashby");
  std::atomic<bool> cancel{false};
  std::thread repeat([&] {
    EXPECT_FALSE(limiter.acquire("ashby", &cancel, RateLimiter::Turn::repeat).has_value());
  });
  std::this_thread::sleep_for(100ms);
  std::atomic<bool> fresh_granted{false};
  std::thread fresh([&] { fresh_granted = limiter.acquire("ashby").has_value(); });
  cancel = true;
  repeat.join();
  held.reset();
  fresh.join();
  EXPECT_TRUE(fresh_granted.load()) << "the cancelled repeat kept its place";
}

TEST(RateLimiterTest, CancellationEndsAWait) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("reports", BucketPolicy::token_bucket(1000, 1000).with_max_concurrency(1));
  auto held = limiter.acquire("reports");
  std::atomic<bool> cancel{false};
  std::atomic<bool> returned{false};
  std::optional<Permit> result;
  std::thread waiter([&] {
    result = limiter.acquire("reports", &cancel);
    returned = true;
  });
  cancel = true;
  waiter.join();
  EXPECT_TRUE(returned.load());
  EXPECT_FALSE(result.has_value());
  EXPECT_EQ(limiter.metrics("reports").permits_granted, 1u);
}

TEST(RateLimiterTest, CancellationDuringPauseOnFakeClock) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("lever", BucketPolicy::token_bucket(10, 20));
  limiter.pause_until("lever", clock.now() + 10s);
  std::atomic<bool> cancel{true};
  EXPECT_FALSE(limiter.acquire("lever", &cancel).has_value());
}

TEST(RateLimiterTest, PermitMoveKeepsOneSlot) {
  RateLimiter limiter;
  limiter.configure("b", BucketPolicy::token_bucket(1000, 1000).with_max_concurrency(2));
  {
    Permit first = *limiter.acquire("b");
    Permit moved = std::move(first);
    EXPECT_FALSE(first.holds_slot());
    EXPECT_TRUE(moved.holds_slot());
    EXPECT_EQ(limiter.metrics("b").in_flight, 1u);
  }
  EXPECT_EQ(limiter.metrics("b").in_flight, 0u);
}

TEST(RateLimiterTest, UnknownBucketAndBadPolicyAreErrors) {
  RateLimiter limiter;
  EXPECT_THROW(limiter.acquire("nope"), std::invalid_argument);
  EXPECT_THROW(limiter.metrics("nope"), std::invalid_argument);
  EXPECT_THROW(limiter.configure("x", BucketPolicy::token_bucket(0, 5)), std::invalid_argument);
  EXPECT_THROW(limiter.configure("y", BucketPolicy::fixed_window(0, 30s)), std::invalid_argument);
  limiter.observe("nope", 429, Headers{});  // ignored
  EXPECT_FALSE(limiter.has_bucket("nope"));
}

TEST(RateLimiterTest, ManyThreadsShareOneBucketWithoutOvershooting) {
  FakeClock clock;  // only granted counts are checked: threads racing the fake clock is fine
  RateLimiter limiter(clock);
  limiter.configure("shared", BucketPolicy::fixed_window(100, 10s));
  std::atomic<int> granted_in_first_window{0};
  const auto origin = clock.now();
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto permit = limiter.acquire("shared");
        if (clock.now() - origin < 10s)
          ++granted_in_first_window;
      }
    });
  }
  for (auto& worker : workers)
    worker.join();
  EXPECT_EQ(limiter.metrics("shared").permits_granted, 200u);
  EXPECT_LE(granted_in_first_window.load(), 100);
}

}  // namespace
}  // namespace atsm::net
