#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace atsm::cli {

struct GlobalOptions {
  std::vector<std::string> plugin_paths;
};

// Adds `plugins list` and `plugins info NAME` to `app`; they set `exit_code` when they run.
void add_plugins_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace atsm::cli
