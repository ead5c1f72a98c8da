#pragma once
// One rate limiter per run, shared by every worker: named buckets (one per vendor API key), each
// pacing requests at the vendor's documented limit and adapting to the server's own signals.
// The aim is to run AT the limit, not below it; per-bucket metrics make utilisation measurable.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "services/net/clock.hpp"
#include "services/net/headers.hpp"

namespace atsm::net {

// Steady rate with bursts (Lever: 10/s, burst 20). Implemented as GCRA on integer clock ticks,
// so pacing is exact: after the burst, one permit every 1/rate.
struct TokenBucket {
  double rate_per_second = 10;
  std::uint32_t burst = 1;
};

// At most `limit` requests per window (Greenhouse v3: fixed 30 s windows). Windows start at the
// first request and follow each other back to back.
struct FixedWindow {
  std::uint32_t limit = 1;
  std::chrono::milliseconds window{1000};
};

struct BucketPolicy {
  std::variant<TokenBucket, FixedWindow> pacing;
  // Requests in flight at once (Ashby reports: 3); none = unlimited.
  std::optional<std::uint32_t> max_concurrency;
  // A 429 without Retry-After or X-RateLimit-* pauses the bucket for initial * 2^(n-1) after n
  // such 429s in a row, at most max.
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{60000};
  // Longest pause a server signal can impose, so a bogus header cannot freeze a run.
  // Five minutes, as HttpClientOptions::max_retry_after: a longer Retry-After fails the request.
  std::chrono::milliseconds max_pause{std::chrono::minutes(5)};
  // A fixed window adopts the server's X-RateLimit-Limit when it sends one: the key's real limit.
  bool adopt_server_limit = true;

  static BucketPolicy token_bucket(double rate_per_second, std::uint32_t burst) {
    BucketPolicy policy;
    policy.pacing = TokenBucket{rate_per_second, burst};
    return policy;
  }
  static BucketPolicy fixed_window(std::uint32_t limit, std::chrono::milliseconds window) {
    BucketPolicy policy;
    policy.pacing = FixedWindow{limit, window};
    return policy;
  }
  BucketPolicy& with_max_concurrency(std::uint32_t concurrency) {
    max_concurrency = concurrency;
    return *this;
  }
};

struct BucketMetrics {
  std::uint64_t permits_granted = 0;
  std::uint64_t rate_limited_responses = 0;  // 429s observed
  std::uint64_t pauses = 0;                  // times the server's signals paused the bucket
  Clock::duration time_paused{};             // how long those pauses held the bucket, overlaps once
  Clock::duration time_waiting{};            // summed over all acquire() calls
  std::uint32_t in_flight = 0;
  std::uint32_t peak_in_flight = 0;
  std::optional<Clock::time_point> first_grant;
  std::optional<Clock::time_point> last_grant;
  double limit_per_second = 0;  // the sustained rate the bucket's policy allows

  // Permits per second between the first and last grant (0 with fewer than two grants).
  double achieved_rate_per_second() const;
};

class RateLimiter;
namespace detail {
struct BucketState;
}

// Leave to release the bucket's concurrency slot. Movable, not copyable. Must not outlive the
// limiter that issued it.
class Permit {
 public:
  Permit() = default;
  Permit(Permit&& other) noexcept : limiter_(other.limiter_), bucket_(other.bucket_) {
    other.limiter_ = nullptr;
  }
  Permit& operator=(Permit&& other) noexcept;
  Permit(const Permit&) = delete;
  Permit& operator=(const Permit&) = delete;
  ~Permit() { release(); }

  void release() noexcept;
  bool holds_slot() const noexcept { return limiter_ != nullptr; }

 private:
  friend class RateLimiter;
  Permit(RateLimiter* limiter, detail::BucketState* bucket) : limiter_(limiter), bucket_(bucket) {}
  RateLimiter* limiter_ = nullptr;
  detail::BucketState* bucket_ = nullptr;
};

// Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(Clock& clock = steady_clock());
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Creates the bucket, or replaces its policy (keeping its metrics and any pause).
  void configure(const std::string& bucket, const BucketPolicy& policy);
  bool has_bucket(std::string_view bucket) const;

  // Who asks: a request's first attempt, or a repeat of one that failed (a 429, a reset, a cut
  // read). A repeat keeps its place ahead of new work: while one waits on a bucket, no fresh
  // request takes a permit there, so a fault delays its own request by the pause and not by the
  // queue of work that arrived meanwhile.
  enum class Turn { fresh, repeat };

  // Blocks until a request may go on this bucket. nullopt when `cancel` became true while
  // waiting. Throws std::invalid_argument naming an unknown bucket.
  std::optional<Permit> acquire(std::string_view bucket, const std::atomic<bool>* cancel = nullptr,
                                Turn turn = Turn::fresh);

  // Feeds a response back: Retry-After (seconds, epoch seconds or HTTP-date) pauses the whole
  // bucket until then; X-RateLimit-Remaining: 0 with X-RateLimit-Reset pauses until the reset;
  // a 429 with neither backs the bucket off exponentially. The 429s of requests already in flight
  // when an event's first 429 came count as that event: their delays count from the first.
  // Unknown buckets are ignored.
  void observe(std::string_view bucket, long status, const Headers& headers);

  // Pauses the bucket until `until` (no-op when already paused longer).
  void pause_until(std::string_view bucket, Clock::time_point until);

  BucketMetrics metrics(std::string_view bucket) const;
  std::map<std::string, BucketMetrics> all_metrics() const;

  Clock& clock() const noexcept { return clock_; }

 private:
  friend class Permit;
  detail::BucketState* find_locked(std::string_view name) const;
  void release_slot(detail::BucketState& bucket) noexcept;
  void pause_locked(detail::BucketState& bucket, Clock::time_point until);

  Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable slot_released_;
  std::map<std::string, std::unique_ptr<detail::BucketState>, std::less<>> buckets_;
};

// Parses a Retry-After value into an absolute time: delay seconds (fractions accepted), an
// epoch timestamp (values above 10^9, as older Greenhouse docs describe), or an HTTP-date.
std::optional<Clock::time_point> parse_retry_after(std::string_view value, const Clock& clock);

}  // namespace atsm::net
