// What a run was doing when it died: the calls into plugins in flight, and a step guard that
// leaves a record in the work dir when a plugin crashes the process (a signal) or ends it
// (exit(), quick_exit()) in the middle of a step, so that the next run can say which plugin
// failed in which call and step.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace atsm::host {

// Marks one call into a plugin as in flight for its lifetime. `plugin`, `call` and `kind` must
// outlive the scope (a plugin's name, a literal, the caller's kind).
class PluginCallScope {
 public:
  PluginCallScope(const std::string& plugin, const char* call, const std::string* kind = nullptr);
  ~PluginCallScope();
  PluginCallScope(const PluginCallScope&) = delete;
  PluginCallScope& operator=(const PluginCallScope&) = delete;

 private:
  int slot_;
};

// While alive, `record` (0600) says a step is in progress: `header` (lines of key=value) at
// first; a fatal signal appends `ended=signal N` and the calls in flight, then the signal takes
// its course; exit() or quick_exit() appends `ended=exit` and the calls in flight, and the
// process exits with `exit_status_if_ended_early` instead of the plugin's status. The destructor
// (the step ended, well or with an error the host reported) removes the record. One at a time.
class StepGuard {
 public:
  StepGuard(std::filesystem::path record, const std::string& header,
            int exit_status_if_ended_early);
  ~StepGuard();
  StepGuard(const StepGuard&) = delete;
  StepGuard& operator=(const StepGuard&) = delete;

 private:
  std::filesystem::path record_;
};

// The record an earlier process left, as a sentence for the user; nullopt when there is none.
std::optional<std::string> describe_unfinished_step(const std::filesystem::path& record);

}  // namespace atsm::host
