#pragma once
// Time source for pacing and backoff. The limiter and the HTTP client never read the clock
// directly, so tests drive them on a FakeClock where sleeping advances fake time instantly.

#include <chrono>
#include <mutex>

namespace atsm::net {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  // Monotonic time, for pacing.
  virtual time_point now() const = 0;
  // Wall-clock time, to turn a server's absolute times (HTTP-date, epoch seconds) into a delay.
  virtual std::chrono::system_clock::time_point system_now() const = 0;
  // Blocks until now() >= deadline (returns at once when the deadline has passed).
  virtual void sleep_until(time_point deadline) = 0;
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point system_now() const override {
    return std::chrono::system_clock::now();
  }
  void sleep_until(time_point deadline) override;
};

// Process-wide real clock.
Clock& steady_clock();

// Deterministic clock: sleep_until jumps fake time forward to the deadline without blocking.
// Meant for one thread driving the code under test; several threads sleeping on it would
// each jump time for all of them.
class FakeClock final : public Clock {
 public:
  FakeClock();
  time_point now() const override;
  std::chrono::system_clock::time_point system_now() const override;
  void sleep_until(time_point deadline) override;
  void advance(duration by);

 private:
  mutable std::mutex mutex_;
  time_point now_;
  std::chrono::system_clock::time_point system_origin_;
  time_point steady_origin_;
};

}  // namespace atsm::net
