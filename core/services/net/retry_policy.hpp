#pragma once
// The HTTP client's retry decisions that need no network: how long to wait before an attempt is
// repeated, and how long an attempt may take before it counts as hung. Pure (the randomness and
// the observed latencies come in as arguments), so they are unit-tested without a clock.
//
// The aim is that a fault costs its own repeated call and nothing more while the vendor answers
// other requests: a 429 waits exactly what the vendor says (the bucket's pause, RateLimiter); a
// reset, 5xx, truncated body or timeout is repeated after a short jittered pause of about one
// typical latency, and only when the vendor fails request after request (an outage, not a
// fault) does the pause grow exponentially towards the cap.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

namespace atsm::net {

// What came of one attempt, as the client saw it.
enum class AttemptOutcome {
  answered,       // an HTTP answer that is not one below (2xx, 4xx other than 429, ...)
  rate_limited,   // 429
  server_error,   // 500, 502, 503, 504
  reset,          // the connection dropped before a complete answer started
  truncated,      // an answer cut short: fewer body bytes than announced, or not the JSON expected
  timed_out,      // no answer within the attempt's timeout
  other_failure,  // anything else that left no answer (refused connection, DNS, ...)
};

// "ok", "429", "5xx", "reset", "truncated", "timed_out", "other": the keys of the run's report.
std::string_view outcome_name(AttemptOutcome outcome);

struct BackoffPolicy {
  // Exponential full-jitter back-off for a vendor that is failing request after request.
  std::chrono::milliseconds base{250};
  std::chrono::milliseconds cap{30'000};
  // Failed attempts in a row on a host (every request on it counted) below which the vendor is
  // taken to be answering other requests: a fault, not an outage.
  std::uint32_t outage_streak = 6;
};

struct FailedAttempt {
  std::uint32_t attempt = 1;  // the attempt that failed, counted from 1
  AttemptOutcome outcome = AttemptOutcome::other_failure;
  std::optional<std::chrono::milliseconds> retry_after;  // what the server asked for
  std::uint32_t host_failure_streak = 1;  // failed attempts in a row on the host, this one included
  std::chrono::milliseconds typical_latency{0};  // the server's median attempt, 0 when unknown
  bool paced = true;  // the request waits for a rate-limit bucket, which a refusal pauses
};

// The pause before the failed attempt is repeated. `random` is a uniform 64-bit draw (the
// jitter). A refusal of a paced request (a 429, a 503 with Retry-After) waits for nothing here:
// the rate limiter paused the bucket for what the vendor said (its Retry-After, else its own
// back-off) from the event's first refusal, and the repeat waits for that there, ahead of new
// work. Unpaced, a Retry-After is waited exactly, and a 429 without one like a 5xx; a fault while
// the vendor answers
// other requests waits a random share of one typical latency doubled per attempt of this request
// (never more than `base` doubled the same way); an outage backs off exponentially to `cap`.
std::chrono::milliseconds retry_delay(const BackoffPolicy& policy, const FailedAttempt& failed,
                                      std::uint64_t random);

// How long a read may go unanswered before it is abandoned as hung, from the latencies the host
// has shown: `multiple` x their `quantile`, at least `floor`, at most the request's own limit.
// Not the p99: with more than 1 % of answers stalled, the stalls themselves are the p99 and no
// read would ever be cut; the p90 stays a normal answer while up to 10 % stall.
struct HangPolicy {
  double quantile = 0.9;
  double multiple = 8.0;
  std::chrono::milliseconds floor{100};
  std::size_t min_samples = 50;  // below this, the request's own limit alone
};

// The latest attempt latencies of one server, host and port (answered attempts only), for its p50
// and p90. Thread-safe.
class LatencyWindow {
 public:
  static constexpr std::size_t kCapacity = 512;
  void add(std::chrono::milliseconds latency);
  std::size_t size() const;
  // The q-quantile (0..1) of the window; nullopt when empty.
  std::optional<std::chrono::milliseconds> quantile(double q) const;

 private:
  mutable std::mutex mutex_;
  std::array<std::chrono::milliseconds, kCapacity> samples_{};
  std::size_t count_ = 0;  // samples ever added; the window holds the last kCapacity
};

// The attempt timeout for a request whose own limit is `request_limit`: for a request that is
// safe to repeat, the adaptive one once the window has enough samples; a write keeps its own
// limit, for a write abandoned while the vendor still works on it could be committed after the
// lookup that was to find it, and then be made twice.
std::chrono::milliseconds hang_timeout(const HangPolicy& policy, const LatencyWindow& window,
                                       bool idempotent, std::chrono::milliseconds request_limit);

// Whether an attempt that hangs may be abandoned (after hang_timeout) and the request sent again:
// only a read, which has no effect at the vendor: a GET or HEAD that is safe to repeat, or a
// request of any method its caller marks `read_only` (an Ashby `*.list` POST). Not a write, nor
// a repeatable POST with an effect (an update): the vendor may still commit an abandoned copy
// after the stall, which makes a create twice, or lets a late update overwrite a later one. Not a
// body streamed to a sink nor an upload either: their size, not a hang, sets their time.
bool may_abandon_hung_attempt(std::string_view method, bool idempotent, bool read_only,
                              bool streams_or_uploads);

}  // namespace atsm::net
