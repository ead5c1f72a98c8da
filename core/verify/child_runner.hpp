// Runs one check in a forked child process, so a plugin that crashes, aborts, exits or hangs
// costs that child only.
#pragma once

#include <functional>

#include "verify/check.hpp"

namespace atsm::verify {

// Runs `body` in a forked child (host::run_in_child); the child answers one JSON object. A
// signal, a silent exit or the timeout is a failed check.
CheckResult run_in_child(const std::function<CheckResult()>& body, unsigned timeout_s);

}  // namespace atsm::verify
