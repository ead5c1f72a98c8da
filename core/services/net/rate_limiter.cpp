#include "services/net/rate_limiter.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include <curl/curl.h>
#include <fmt/format.h>

namespace atsm::net {

namespace detail {

struct BucketState {
  BucketPolicy policy;
  // Token bucket as GCRA: a request may go at TAT - tolerance; each grant pushes TAT by one
  // emission interval.
  Clock::duration emission_interval{};
  Clock::duration tolerance{};
  std::optional<Clock::time_point> theoretical_arrival;
  // Fixed window.
  std::optional<Clock::time_point> window_start;
  std::uint32_t window_count = 0;
  std::uint32_t window_limit = 0;
  // Server signals.
  Clock::time_point paused_until{};
  std::uint32_t consecutive_429s = 0;
  // A 429 is a new event once this many permits were granted: the requests in flight when the
  // last one came answer without having seen the pause or the slower pace.
  std::uint64_t next_event_at_permit = 0;
  // When the current 429 event began (its first 429 was observed): the delays the event's other
  // 429s name count from here.
  Clock::time_point event_started{};
  // Repeats waiting for a permit (RateLimiter::Turn): fresh requests let them go first.
  std::uint32_t repeats_waiting = 0;
  BucketMetrics metrics;
};

}  // namespace detail

namespace {

using detail::BucketState;

// The pace after an unforeseen 429, and the slowest it gets (a share of the declared rate).
constexpr double kSlowdownPer429 = 1.02;
constexpr double kSlowestShare = 0.8;
// Each answer that is not a 429 takes back this share of the interval, so one slowdown is undone
// by about 20 answers: 429 storms that are the vendor's own (bench/faults: 5 % of requests, an
// event every ~45 answers) leave the pace at the declared rate, while a key that really allows
// less meets 429s more often than that and stays slower. At 1/50 per answer (stop 30) such storms
// sat at the balance point and drifted Ashby's pace down to the 80 % floor over a run.
constexpr double kRecoveryPerAnswer = 0.001;

// How long a waiter sleeps at most before looking at its cancellation flag again.
constexpr auto kCancelCheckInterval = std::chrono::milliseconds(100);
// Retry-After and X-RateLimit-Reset values above this are epoch seconds, not delays.
constexpr double kEpochThreshold = 1e9;

void apply_policy(BucketState& bucket, const BucketPolicy& policy) {
  bucket.policy = policy;
  if (const auto* token = std::get_if<TokenBucket>(&policy.pacing)) {
    if (!(token->rate_per_second > 0) || token->burst == 0) {
      throw std::invalid_argument(
          fmt::format("token bucket needs a positive rate and burst (got {}/s, burst {})",
                      token->rate_per_second, token->burst));
    }
    bucket.emission_interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / token->rate_per_second));
    bucket.tolerance = bucket.emission_interval * (token->burst - 1);
  } else {
    const auto& window = std::get<FixedWindow>(policy.pacing);
    if (window.limit == 0 || window.window <= std::chrono::milliseconds::zero()) {
      throw std::invalid_argument(
          fmt::format("fixed window needs a positive limit and duration (got {} per {} ms)",
                      window.limit, window.window.count()));
    }
    bucket.window_limit = window.limit;
  }
  if (policy.max_concurrency && *policy.max_concurrency == 0) {
    throw std::invalid_argument("max concurrency must be at least 1");
  }
}

// When the next request may go by pacing alone; grants it (consumes) if that is now.
std::optional<Clock::time_point> take_or_next(BucketState& bucket, Clock::time_point now) {
  if (std::holds_alternative<TokenBucket>(bucket.policy.pacing)) {
    if (!bucket.theoretical_arrival)
      bucket.theoretical_arrival = now;
    const auto allowed_at = *bucket.theoretical_arrival - bucket.tolerance;
    if (now < allowed_at)
      return allowed_at;
    bucket.theoretical_arrival =
        std::max(*bucket.theoretical_arrival, now) + bucket.emission_interval;
    return std::nullopt;
  }
  const auto window = std::chrono::duration_cast<Clock::duration>(
      std::get<FixedWindow>(bucket.policy.pacing).window);
  if (!bucket.window_start) {
    bucket.window_start = now;
    bucket.window_count = 0;
  } else if (now >= *bucket.window_start + window) {
    *bucket.window_start += window * ((now - *bucket.window_start) / window);
    bucket.window_count = 0;
  }
  if (bucket.window_count >= bucket.window_limit)
    return *bucket.window_start + window;
  ++bucket.window_count;
  return std::nullopt;
}

std::optional<double> parse_number(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// Server delays are clamped to a century before any conversion: `Retry-After: 1e300` must
// become "far too long", not an integer overflow (undefined behaviour) in a duration cast.
constexpr double kLongestDelaySeconds = 100.0 * 365 * 24 * 3600;

Clock::time_point after_seconds(double seconds, const Clock& clock) {
  seconds = std::clamp(seconds, 0.0, kLongestDelaySeconds);
  return clock.now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

Clock::time_point from_epoch_seconds(double epoch_seconds, const Clock& clock) {
  const double now_seconds =
      std::chrono::duration<double>(clock.system_now().time_since_epoch()).count();
  return after_seconds(epoch_seconds - now_seconds, clock);
}

}  // namespace

double BucketMetrics::achieved_rate_per_second() const {
  if (permits_granted < 2 || !first_grant || !last_grant || *last_grant <= *first_grant)
    return 0;
  const std::chrono::duration<double> span = *last_grant - *first_grant;
  return static_cast<double>(permits_granted - 1) / span.count();
}

std::optional<Clock::time_point> parse_retry_after(std::string_view value, const Clock& clock) {
  if (const auto number = parse_number(value)) {
    if (*number < 0)
      return std::nullopt;
    return *number > kEpochThreshold ? from_epoch_seconds(*number, clock)
                                     : after_seconds(*number, clock);
  }
  const std::string date(value);
  const time_t epoch = curl_getdate(date.c_str(), nullptr);
  if (epoch < 0)
    return std::nullopt;
  return from_epoch_seconds(static_cast<double>(epoch), clock);
}

Permit& Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    limiter_ = other.limiter_;
    bucket_ = other.bucket_;
    other.limiter_ = nullptr;
  }
  return *this;
}

void Permit::release() noexcept {
  if (limiter_ != nullptr) {
    limiter_->release_slot(*bucket_);
    limiter_ = nullptr;
  }
}

RateLimiter::RateLimiter(Clock& clock) : clock_(clock) {}
RateLimiter::~RateLimiter() = default;

void RateLimiter::configure(const std::string& name, const BucketPolicy& policy) {
  std::lock_guard lock(mutex_);
  auto& slot = buckets_[name];
  if (!slot)
    slot = std::make_unique<BucketState>();
  // Another instance declaring the same policy keeps the pace 429s have taught the bucket.
  const auto* old_token = std::get_if<TokenBucket>(&slot->policy.pacing);
  const auto* new_token = std::get_if<TokenBucket>(&policy.pacing);
  const bool same_pace = slot->emission_interval != Clock::duration::zero() && old_token &&
                         new_token && old_token->rate_per_second == new_token->rate_per_second &&
                         old_token->burst == new_token->burst;
  const auto learned = slot->emission_interval;
  apply_policy(*slot, policy);
  if (same_pace) {
    slot->emission_interval = learned;
    slot->tolerance = learned * (new_token->burst - 1);
  }
  slot_released_.notify_all();
}

bool RateLimiter::has_bucket(std::string_view name) const {
  std::lock_guard lock(mutex_);
  return buckets_.find(name) != buckets_.end();
}

BucketState* RateLimiter::find_locked(std::string_view name) const {
  const auto found = buckets_.find(name);
  return found == buckets_.end() ? nullptr : found->second.get();
}

std::optional<Permit> RateLimiter::acquire(std::string_view name, const std::atomic<bool>* cancel,
                                           Turn turn) {
  const auto started = clock_.now();
  std::unique_lock lock(mutex_);
  BucketState* bucket = find_locked(name);
  if (bucket == nullptr) {
    throw std::invalid_argument(fmt::format("rate limit bucket '{}' is not configured", name));
  }
  const bool repeat = turn == Turn::repeat;
  bucket->repeats_waiting += repeat ? 1 : 0;
  // Called with the lock held, whichever way the wait ends; wakes the fresh requests it held.
  const auto done_waiting = [&] {
    if (repeat && --bucket->repeats_waiting == 0)
      slot_released_.notify_all();
  };
  for (;;) {
    if (cancel != nullptr && cancel->load()) {
      done_waiting();
      return std::nullopt;
    }
    const auto now = clock_.now();
    Clock::time_point ready_at;
    if (bucket->paused_until > now) {
      ready_at = bucket->paused_until;
    } else if ((bucket->policy.max_concurrency &&
                bucket->metrics.in_flight >= *bucket->policy.max_concurrency) ||
               (!repeat && bucket->repeats_waiting > 0)) {
      // A released permit (or the last waiting repeat's grant) notifies; the timeout only bounds
      // how late a cancellation is seen.
      slot_released_.wait_for(lock, kCancelCheckInterval);
      continue;
    } else if (const auto next = take_or_next(*bucket, now)) {
      ready_at = *next;
    } else {
      auto& metrics = bucket->metrics;
      ++metrics.permits_granted;
      metrics.time_waiting += now - started;
      ++metrics.in_flight;
      metrics.peak_in_flight = std::max(metrics.peak_in_flight, metrics.in_flight);
      if (!metrics.first_grant)
        metrics.first_grant = now;
      metrics.last_grant = now;
      done_waiting();
      return Permit(this, bucket);
    }
    lock.unlock();
    clock_.sleep_until(std::min(ready_at, now + kCancelCheckInterval));
    lock.lock();
  }
}

void RateLimiter::release_slot(BucketState& bucket) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (bucket.metrics.in_flight > 0)
      --bucket.metrics.in_flight;
  }
  slot_released_.notify_all();
}

void RateLimiter::pause_locked(BucketState& bucket, Clock::time_point until) {
  const auto now = clock_.now();
  until =
      std::min(until, now + std::chrono::duration_cast<Clock::duration>(bucket.policy.max_pause));
  if (until <= bucket.paused_until || until <= now)
    return;
  bucket.metrics.time_paused += until - std::max(now, bucket.paused_until);
  bucket.paused_until = until;
  ++bucket.metrics.pauses;
  // Resume at the steady rate without a fresh burst: the server's allowance is spent.
  if (std::holds_alternative<TokenBucket>(bucket.policy.pacing)) {
    const auto resume = until + bucket.tolerance;
    bucket.theoretical_arrival =
        bucket.theoretical_arrival ? std::max(*bucket.theoretical_arrival, resume) : resume;
  } else {
    // The server's window restarts at the time it named.
    bucket.window_start = until;
    bucket.window_count = 0;
  }
}

void RateLimiter::pause_until(std::string_view name, Clock::time_point until) {
  std::lock_guard lock(mutex_);
  if (BucketState* bucket = find_locked(name))
    pause_locked(*bucket, until);
}

void RateLimiter::observe(std::string_view name, long status, const Headers& headers) {
  std::lock_guard lock(mutex_);
  BucketState* bucket = find_locked(name);
  if (bucket == nullptr)
    return;
  const auto now = clock_.now();
  // The 429s of one event (requests already in flight when the first came) count once: for the
  // exponential pause and for the slower pace.
  const bool new_event = now >= bucket->paused_until &&
                         bucket->metrics.permits_granted >= bucket->next_event_at_permit;
  if (status == 429) {
    ++bucket->metrics.rate_limited_responses;
    if (new_event) {
      ++bucket->consecutive_429s;
      bucket->next_event_at_permit = bucket->metrics.permits_granted + bucket->metrics.in_flight;
      bucket->event_started = now;
    }
  } else if (status > 0) {
    bucket->consecutive_429s = 0;
  }

  std::optional<Clock::time_point> until;
  const auto extend = [&](Clock::time_point candidate) {
    if (!until || candidate > *until)
      until = candidate;
  };
  // A delay a 429 names ("Retry-After: 2") counts from its arrival. The other 429s of one event
  // (requests already in flight when the first came) arrive later by the spread of their
  // latencies only: their delays count from the event's first 429, so that the same word of the
  // vendor pauses the bucket once, not once more per straggler; the refused requests wait for
  // this pause in the bucket (HttpClient, retry_delay), so it is all a 429 costs. A time the
  // vendor names (an HTTP-date, epoch seconds) is kept as it is.
  const bool straggler =
      status == 429 && !new_event && bucket->metrics.permits_granted < bucket->next_event_at_permit;
  const Clock::time_point delays_from = straggler ? bucket->event_started : now;
  const auto after_delay = [&](double seconds) {
    return delays_from + (after_seconds(seconds, clock_) - now);
  };
  if (status == 429 || status == 503) {
    if (const auto retry_after = headers.get("Retry-After")) {
      const auto delay = parse_number(*retry_after);
      if (delay && *delay >= 0 && *delay <= kEpochThreshold)
        extend(after_delay(*delay));
      else if (const auto when = parse_retry_after(*retry_after, clock_))
        extend(*when);
    }
  }
  const auto remaining = headers.get("X-RateLimit-Remaining");
  const auto remaining_value = remaining ? parse_number(*remaining) : std::nullopt;
  if (remaining_value && *remaining_value <= 0) {
    if (const auto reset = headers.get("X-RateLimit-Reset")) {
      if (const auto reset_value = parse_number(*reset)) {
        extend(*reset_value > kEpochThreshold ? from_epoch_seconds(*reset_value, clock_)
                                              : after_delay(*reset_value));
      }
    }
  }
  if (std::holds_alternative<FixedWindow>(bucket->policy.pacing)) {
    if (bucket->policy.adopt_server_limit) {
      if (const auto limit = headers.get("X-RateLimit-Limit")) {
        if (const auto limit_value = parse_number(*limit); limit_value && *limit_value >= 1) {
          bucket->window_limit = static_cast<std::uint32_t>(*limit_value);
        }
      }
    }
    // The server's count includes requests from elsewhere on the same key: never count fewer.
    if (remaining_value && bucket->window_start && *remaining_value >= 0 &&
        *remaining_value < bucket->window_limit) {
      const auto used = bucket->window_limit - static_cast<std::uint32_t>(*remaining_value);
      bucket->window_count = std::max(bucket->window_count, used);
    }
  }
  // A 429 without a hint that the pacing did not foresee (the server counts in fixed windows, by
  // arrival after a spread of latencies, or another client shares the key) slows the steady rate by
  // 2 % for the rest of the run, to no less than 80 % of the declared rate: the bucket settles just
  // below what the server really allows instead of meeting its limit again. The 429s of one event
  // (requests already in flight) arrive while the bucket is paused and count once.
  if (const auto* token = std::get_if<TokenBucket>(&bucket->policy.pacing)) {
    const auto declared = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / token->rate_per_second));
    if (status == 429 && !until && new_event) {
      const auto slowest = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(1.0 / (kSlowestShare * token->rate_per_second)));
      bucket->emission_interval = std::min(
          slowest,
          std::chrono::duration_cast<Clock::duration>(bucket->emission_interval * kSlowdownPer429));
    } else if (status > 0 && status != 429 && bucket->emission_interval > declared) {
      bucket->emission_interval =
          std::max(declared, std::chrono::duration_cast<Clock::duration>(
                                 bucket->emission_interval * (1.0 - kRecoveryPerAnswer)));
    }
    bucket->tolerance = bucket->emission_interval * (token->burst - 1);
  }
  if (status == 429 && !until && new_event) {
    const auto exponent = std::min<std::uint32_t>(bucket->consecutive_429s - 1, 20);
    const auto backoff = std::min(bucket->policy.backoff_initial * (std::int64_t{1} << exponent),
                                  bucket->policy.backoff_max);
    extend(clock_.now() + std::chrono::duration_cast<Clock::duration>(backoff));
  }
  if (until)
    pause_locked(*bucket, *until);
}

namespace {

// The bucket's metrics with the sustained rate its policy allows now (a fixed window's limit may
// have been adopted from the server).
BucketMetrics with_limit(const detail::BucketState& bucket) {
  BucketMetrics metrics = bucket.metrics;
  if (const auto* token = std::get_if<TokenBucket>(&bucket.policy.pacing)) {
    metrics.limit_per_second = token->rate_per_second;
  } else if (const auto* window = std::get_if<FixedWindow>(&bucket.policy.pacing);
             window && window->window.count() > 0) {
    metrics.limit_per_second = bucket.window_limit * 1000.0 / window->window.count();
  }
  return metrics;
}

}  // namespace

BucketMetrics RateLimiter::metrics(std::string_view name) const {
  std::lock_guard lock(mutex_);
  const BucketState* bucket = find_locked(name);
  if (bucket == nullptr) {
    throw std::invalid_argument(fmt::format("rate limit bucket '{}' is not configured", name));
  }
  return with_limit(*bucket);
}

std::map<std::string, BucketMetrics> RateLimiter::all_metrics() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, BucketMetrics> result;
  for (const auto& [name, bucket] : buckets_)
    result.emplace(name, with_limit(*bucket));
  return result;
}

}  // namespace atsm::net
