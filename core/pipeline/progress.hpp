// Progress of one step on stderr: a redrawn bar (done/total, rate, ETA) on a terminal, a plain
// line every few seconds otherwise (logs, CI). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace atsm::pipeline {

class Progress {
 public:
  Progress(std::string label, uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void set_total(uint64_t total);
  void advance(uint64_t count = 1);
  // Prints the final line once; further calls do nothing.
  void finish();
  uint64_t done() const { return done_.load(); }

  // The run waits for a vendor (its Retry-After) until `until`: said once now on stderr and on
  // every progress line meanwhile, so a long pause never looks like a hang.
  static void note_wait(const std::string& what, std::chrono::steady_clock::time_point until);

 private:
  void draw(bool final);

  std::string label_;
  std::atomic<uint64_t> total_;
  std::atomic<uint64_t> done_{0};
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
  bool terminal_;
  bool finished_ = false;
};

}  // namespace atsm::pipeline
