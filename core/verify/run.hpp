// `plugin verify` as a whole, for the command line: which checks, which plugin, its
// configuration, and one check run in its own child process. The CLI parses and prints.
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "verify/check.hpp"
#include "verify/registry.hpp"

namespace atsm::verify {

// What the user asked for cannot be done: an unknown check, no such plugin, a bad --config.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The checks `only` selects (names or group names such as "source", comma-separated), in the
// kit's order; every check when `only` is empty. Throws UsageError naming an unknown one.
std::vector<std::string> select_checks(const std::vector<std::string>& only);

// The plugin file `target` names: a path, or a plugin name looked up on `plugin_paths` (in a
// child: a plugin there may crash when loaded). Throws UsageError.
std::filesystem::path resolve_plugin(const std::string& target,
                                     const std::vector<std::string>& plugin_paths,
                                     unsigned timeout_s);

// The --config file's JSON object. Throws UsageError.
boost::json::object read_config(const std::string& file);

// Runs `check` in a forked child with a fresh temporary blob store (made and removed here, so a
// crash leaves nothing behind). Throws std::runtime_error when no temporary directory can be made.
CheckResult run_check(const std::string& check, ChildContext& context, unsigned timeout_s);

}  // namespace atsm::verify
