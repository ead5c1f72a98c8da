#include "services/net/clock.hpp"

#include <thread>

namespace atsm::net {

void SteadyClock::sleep_until(time_point deadline) {
  std::this_thread::sleep_until(deadline);
}

Clock& steady_clock() {
  static SteadyClock clock;
  return clock;
}

// Starts at an arbitrary fixed point so tests see the same numbers on every run.
FakeClock::FakeClock()
    : now_(time_point{} + std::chrono::hours(1000)),
      system_origin_(std::chrono::system_clock::time_point{} + std::chrono::seconds(1767225600)),
      steady_origin_(now_) {}

Clock::time_point FakeClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

std::chrono::system_clock::time_point FakeClock::system_now() const {
  std::lock_guard lock(mutex_);
  return system_origin_ +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(now_ - steady_origin_);
}

void FakeClock::sleep_until(time_point deadline) {
  std::lock_guard lock(mutex_);
  if (deadline > now_)
    now_ = deadline;
}

void FakeClock::advance(duration by) {
  std::lock_guard lock(mutex_);
  now_ += by;
}

}  // namespace atsm::net
