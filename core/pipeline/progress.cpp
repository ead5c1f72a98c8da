#include "pipeline/progress.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>
#include <mutex>
#include <vector>

namespace atsm::pipeline {
namespace {

std::string duration_text(double seconds) {
  auto total = static_cast<long>(seconds + 0.5);
  if (total >= 3600)
    return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  if (total >= 60)
    return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

// Extraction and load run at once, each with its bars: on a terminal the live bars are redrawn
// together, one line each, below the lines of the bars that finished.
struct Screen {
  std::mutex mutex;
  std::vector<std::string> live;  // the last line of each live bar, by slot
  std::vector<const Progress*> owners;
  size_t lines_drawn = 0;

  void redraw(const std::string* final_line) {
    std::string out;
    if (lines_drawn > 0)
      out += fmt::format("\033[{}F", lines_drawn);  // back to the first live line
    if (final_line)
      out.append("\033[K").append(*final_line).append("\n");
    for (const std::string& line : live)
      out.append("\033[K").append(line).append("\n");
    out += "\033[J";  // clear whatever a longer earlier frame left below
    lines_drawn = live.size();
    std::fputs(out.c_str(), stderr);
    std::fflush(stderr);
  }
};

Screen& screen() {
  static Screen instance;
  return instance;
}

struct WaitNote {
  std::mutex mutex;
  std::string what;
  std::chrono::steady_clock::time_point until{};
};

WaitNote& wait_note() {
  static WaitNote instance;
  return instance;
}

// " | waiting 42s: <what>" while a wait is on, else empty.
std::string wait_suffix() {
  WaitNote& note = wait_note();
  std::lock_guard lock(note.mutex);
  const auto now = std::chrono::steady_clock::now();
  if (note.until <= now)
    return {};
  return fmt::format(" | waiting {}: {}",
                     duration_text(std::chrono::duration<double>(note.until - now).count()),
                     note.what);
}

}  // namespace

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)),
      total_(total),
      started_(std::chrono::steady_clock::now()),
      last_draw_(started_),
      terminal_(::isatty(STDERR_FILENO) == 1) {
  if (terminal_) {
    Screen& shared = screen();
    std::lock_guard lock(shared.mutex);
    shared.live.push_back(fmt::format("{:<24} ...", label_));
    shared.owners.push_back(this);
  }
}

void Progress::note_wait(const std::string& what, std::chrono::steady_clock::time_point until) {
  WaitNote& note = wait_note();
  {
    std::lock_guard lock(note.mutex);
    // Requests in flight meet the same pause together: one line for them all.
    if (until <= note.until + std::chrono::seconds(1))
      return;
    note.what = what;
    note.until = until;
  }
  const double seconds =
      std::chrono::duration<double>(until - std::chrono::steady_clock::now()).count();
  std::fprintf(stderr, "waiting %s: %s\n", duration_text(std::max(seconds, 0.0)).c_str(),
               what.c_str());
  std::fflush(stderr);
}

Progress::~Progress() {
  finish();
}

void Progress::set_total(uint64_t total) {
  total_ = total;
}

void Progress::advance(uint64_t count) {
  done_ += count;
  auto now = std::chrono::steady_clock::now();
  // A terminal is redrawn often; a log gets a line every 5 s so it stays readable.
  auto interval = terminal_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || now - last_draw_ < interval)
    return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_)
    return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  uint64_t done = done_.load();
  uint64_t total = total_.load();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  std::string counts = total > 0 ? fmt::format("{}/{}", done, total) : fmt::format("{}", done);
  std::string eta;
  if (!final && total > done && rate > 0)
    eta = fmt::format(" ETA {}", duration_text(static_cast<double>(total - done) / rate));
  std::string bar;
  if (terminal_ && total > 0) {
    size_t filled = static_cast<size_t>(20.0 * static_cast<double>(std::min(done, total)) /
                                        static_cast<double>(total));
    bar = fmt::format("[{}{}] ", std::string(filled, '#'), std::string(20 - filled, '.'));
  }
  std::string line = fmt::format("{:<24} {}{} {:.1f}/s{}{}", label_, bar, counts, rate,
                                 final ? fmt::format(" in {}", duration_text(elapsed)) : eta,
                                 final ? std::string() : wait_suffix());
  if (terminal_) {
    Screen& shared = screen();
    std::lock_guard lock(shared.mutex);
    auto slot = std::find(shared.owners.begin(), shared.owners.end(), this);
    if (slot == shared.owners.end())
      return;
    size_t index = static_cast<size_t>(slot - shared.owners.begin());
    if (final) {
      shared.live.erase(shared.live.begin() + static_cast<std::ptrdiff_t>(index));
      shared.owners.erase(slot);
      shared.redraw(&line);
    } else {
      shared.live[index] = line;
      shared.redraw(nullptr);
    }
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace atsm::pipeline
