// `atsmigrate plugin verify`: the conformance kit for connector plugins. Every check runs in a
// child process with a timeout, so a crash, an abort or a hang of the plugin is a failed check
// (with its signal and the last log lines), never a crash of the verifier.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/plugins_command.hpp"

namespace atsm::cli {

// Adds `plugin verify PATH_OR_NAME ...` to `app`; it sets `exit_code` when it runs: 0 when
// every check passed, 2 when one failed, 1 for a usage error (no such plugin, unknown check).
void add_verify_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace atsm::cli
