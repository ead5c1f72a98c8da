// One run at a time in a work dir: two runs of the same migration would both create what the
// ledger does not know yet (duplicates) and race on plan.json and the reports.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "services/store/private_fs.hpp"

namespace atsm::pipeline {

// Another process holds the work dir: the message names it, the step it runs and since when.
class WorkDirBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An advisory flock(2) on WORK_DIR/lock, held for the object's lifetime. The kernel releases it
// when the holder exits in any way (SIGKILL included), so a lock left by a dead run is simply
// taken over: no stale-pid heuristics. The file records who holds it, for the refusal message.
class WorkDirLock {
 public:
  // Throws WorkDirBusy when another open holds the lock (another process, or another Session of
  // this process), std::runtime_error when the lock file cannot be opened.
  WorkDirLock(const std::filesystem::path& work_dir, std::string_view step);

  // Who holds the work dir ("pid 1234, step migrate, since ...") while another open holds the
  // lock, nullopt when nobody does (or the work dir has no lock file). For readers such as
  // `status`, which run beside a migration: a shared lock taken and released at once.
  static std::optional<std::string> holder(const std::filesystem::path& work_dir);

  static std::filesystem::path file(const std::filesystem::path& work_dir) {
    return work_dir / "lock";
  }

 private:
  store::fs::UniqueFd fd_;
};

}  // namespace atsm::pipeline
