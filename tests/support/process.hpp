// Runs a program as a test's child and waits for it: the product's binary, python3, a browser.
// One harness for the suites that ran `atsmigrate` each with a runner of their own (issue 20).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace atsm::testing {

struct ProcessOptions {
  // Standard output goes to this file (0600), and standard error too unless `errors_file` is set.
  std::filesystem::path output_file;
  std::filesystem::path errors_file;
  bool search_path = false;  // look the program up in PATH
  bool stdin_null = false;   // standard input from /dev/null instead of the test's
  // The child's environment: the test's, less `unset_env`, plus `set_env`.
  std::map<std::string, std::string> set_env;
  std::vector<std::string> unset_env;
  // SIGKILL after this long, or as soon as `kill_when` holds (polled every 20 ms) unless the
  // child ended by itself first.
  std::optional<std::chrono::milliseconds> kill_after;
  std::function<bool()> kill_when;
};

struct ProcessOutcome {
  bool started = false;  // false: posix_spawn failed (no such program), exit_code 127
  int exit_code = -1;    // 128 + the signal for a child a signal ended
  std::string output;    // standard output (and standard error unless kept apart)
  std::string errors;    // standard error when kept apart
};

// Runs `argv` (argv[0] the program) as `options` say. Started with posix_spawn: nothing
// allocates between fork and exec, which a threaded test's child must not do.
ProcessOutcome run_process(const std::vector<std::string>& argv, const ProcessOptions& options);

}  // namespace atsm::testing
