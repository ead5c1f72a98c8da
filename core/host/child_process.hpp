// Runs a piece of code in a forked child process, so that a plugin that crashes, aborts, hangs or
// calls exit() there costs that child only. The one runner for `plugin verify`'s checks and the
// registry's probe of each plugin.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace atsm::host {

struct ChildOutcome {
  std::optional<std::string> answer;  // what the body returned, when the child got that far
  bool timed_out = false;             // killed (with its process group) at the deadline
  int signal = 0;                     // the signal that ended it, 0 when it exited
  int exit_status = -1;               // its exit status when it exited
  std::vector<std::string> log_tail;  // its last lines of stdout/stderr (at most 240 bytes each)
  double seconds = 0;

  // Why no answer came, in a few words ("died of SIGSEGV (11)"); empty when one did.
  std::string failure() const;
};

// Runs `body` in a forked child in its own process group, with stdout/stderr going to a
// temporary log file; its return value comes back through a pipe. After `timeout_s` seconds the
// child's process group is killed. `log_lines` of the log are kept.
ChildOutcome run_in_child(const std::function<std::string()>& body, unsigned timeout_s,
                          std::size_t log_lines = 8);

// "SIGSEGV (11)"
std::string signal_text(int signal);

}  // namespace atsm::host
