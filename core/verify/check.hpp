// One check of `atsmigrate plugin verify`: its outcome, and how a check ends early from inside
// its child process.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace atsm::verify {

enum class Outcome { pass, fail, skip };

struct CheckResult {
  Outcome outcome = Outcome::pass;
  std::string reason;  // one line; why it failed or was skipped
  std::string detail;  // one line; what was checked
  std::string signal;  // set when the child died of a signal
  std::vector<std::string> log_tail;
  double seconds = 0;
};

const char* outcome_name(Outcome outcome);

// Thrown inside a child to end its check with a failure (never crosses the plugin boundary).
struct CheckFailure {
  std::string reason;
};
struct CheckSkip {
  std::string reason;
};

[[noreturn]] void fail(std::string reason);

// Valid UTF-8: each byte of an invalid sequence becomes '?' (plugin output and garbage inputs
// reach the report, and --json must stay parseable).
std::string valid_utf8(std::string_view text);

// One line of at most `limit` bytes, "..." when cut.
std::string shorten(std::string_view text, std::size_t limit = 160);

}  // namespace atsm::verify
