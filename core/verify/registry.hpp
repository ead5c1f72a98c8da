// The checks of `plugin verify` by name, and the context each runs in.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "verify/check.hpp"

namespace atsm::verify {

class Harness;

struct ChildContext {
  std::filesystem::path path;
  std::optional<boost::json::object> config;  // --config, read once by the parent
  std::optional<std::filesystem::path> credentials;
  std::filesystem::path blob_dir;  // a fresh temporary blob store per check
  std::uint64_t seed = 0;
  unsigned fuzz_cases = 60;
};

struct CheckSpec {
  const char* name;
  const char* what;
  // Runs the check on an instance of the loaded plugin and answers what it checked; nullptr for
  // the load.* checks, which look at the file and the descriptor before any instance.
  std::string (*run)(Harness& h, const ChildContext& context) = nullptr;
};

// Every check, in the order they run: the registry.
const std::vector<CheckSpec>& all_checks();

// Runs `check` in this process (the caller's child): loads the plugin, runs the check, and turns
// its failure, skip or exception into the result.
CheckResult run_check_here(const std::string& check, const ChildContext& context);

}  // namespace atsm::verify
