#include "services/net/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace atsm::net {

using std::chrono::milliseconds;

std::string_view outcome_name(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::answered:
      return "ok";
    case AttemptOutcome::rate_limited:
      return "429";
    case AttemptOutcome::server_error:
      return "5xx";
    case AttemptOutcome::reset:
      return "reset";
    case AttemptOutcome::truncated:
      return "truncated";
    case AttemptOutcome::timed_out:
      return "timed_out";
    case AttemptOutcome::other_failure:
      break;
  }
  return "other";
}

namespace {

// `ceiling` doubled (attempt - 1) times, at most `cap`, without overflow.
milliseconds doubled(milliseconds ceiling, std::uint32_t attempt, milliseconds cap) {
  for (std::uint32_t i = 1; i < attempt && ceiling < cap; ++i)
    ceiling *= 2;
  return std::min(ceiling, cap);
}

milliseconds full_jitter(milliseconds ceiling, std::uint64_t random) {
  if (ceiling <= milliseconds(0))
    return milliseconds(0);
  return milliseconds(
      static_cast<std::int64_t>(random % static_cast<std::uint64_t>(ceiling.count() + 1)));
}

}  // namespace

milliseconds retry_delay(const BackoffPolicy& policy, const FailedAttempt& failed,
                         std::uint64_t random) {
  // A paced request's refusal (a 429, or a 503 with Retry-After) paused its bucket for what the
  // vendor said, counted from the event's first refusal (RateLimiter::observe): the repeat waits
  // there, first in line, and not a second time here from its own answer's arrival.
  const bool refused = failed.outcome == AttemptOutcome::rate_limited || failed.retry_after;
  if (refused && failed.paced)
    return milliseconds(0);
  if (failed.retry_after)
    return std::max(milliseconds(0), *failed.retry_after);
  const std::uint32_t attempt = std::max<std::uint32_t>(failed.attempt, 1);
  if (failed.host_failure_streak < policy.outage_streak) {
    const milliseconds typical =
        std::clamp(failed.typical_latency, milliseconds(1), std::max(policy.base, milliseconds(1)));
    return full_jitter(doubled(typical, attempt, doubled(policy.base, attempt, policy.cap)),
                       random);
  }
  return full_jitter(doubled(policy.base, attempt, policy.cap), random);
}

void LatencyWindow::add(milliseconds latency) {
  std::lock_guard lock(mutex_);
  samples_[count_ % kCapacity] = latency;
  ++count_;
}

std::size_t LatencyWindow::size() const {
  std::lock_guard lock(mutex_);
  return std::min(count_, kCapacity);
}

std::optional<milliseconds> LatencyWindow::quantile(double q) const {
  std::vector<milliseconds> sorted;
  {
    std::lock_guard lock(mutex_);
    sorted.assign(samples_.begin(), samples_.begin() + std::min(count_, kCapacity));
  }
  if (sorted.empty())
    return std::nullopt;
  // Nearest rank: the smallest sample with at least q of the window at or below it.
  const auto rank = static_cast<std::size_t>(
      std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size())));
  const std::size_t index = rank == 0 ? 0 : rank - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(index),
                   sorted.end());
  return sorted[index];
}

milliseconds hang_timeout(const HangPolicy& policy, const LatencyWindow& window, bool idempotent,
                          milliseconds request_limit) {
  if (!idempotent || window.size() < policy.min_samples)
    return request_limit;
  const auto typical = window.quantile(policy.quantile).value_or(request_limit);
  const double limit = std::max(static_cast<double>(policy.floor.count()),
                                policy.multiple * static_cast<double>(typical.count()));
  return std::min(request_limit, milliseconds(static_cast<std::int64_t>(limit)));
}

bool may_abandon_hung_attempt(std::string_view method, bool idempotent, bool read_only,
                              bool streams_or_uploads) {
  if (streams_or_uploads)
    return false;
  if (read_only)
    return true;
  return idempotent && (method == "GET" || method == "HEAD");
}

}  // namespace atsm::net
