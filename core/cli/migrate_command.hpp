// The migration commands: `atsmigrate --source S --sink K` (= `migrate`), and `extract`, `plan`,
// `load`, `status`, `export`, each one step on the same work dir.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/plugins_command.hpp"

namespace atsm::cli {

// What the command line says about a run of the migration commands. (The migration's own
// switches are the mapping file's options: pipeline::MigrationOptions.)
struct RunArguments {
  std::string source;
  std::string sink;
  std::string work_dir = "atsmigrate-work";
  std::string config_file;
  std::vector<std::string> settings;
  std::string credentials_file;
  std::string mapping_file;
  unsigned workers = 0;                   // 0: derived from the sink's limit and latency
  bool list_failed = false;               // status --failed
  bool dry_run = false;                   // --dry-run: plan and forecast, write nothing
  std::string since;                      // --since TIME
  bool delta = false;                     // --delta
  bool reread = false;                    // --reread
  std::vector<std::string> reread_kinds;  // --reread-kind KIND...
  bool rebind_accounts = false;           // --rebind-accounts: the same accounts under new keys
  std::int64_t load_chunk = 2000;         // --load-chunk: records read from staging at a time
  std::uint64_t max_response_mb = 32;     // --max-response-mb
  std::uint64_t max_record_mb = 16;       // --max-record-mb
  double sample_percent = 5;              // report --sample-percent
  std::uint64_t sample_seed = 1;          // report --seed
};

// Options shared by every migration command; defined on the top-level app so they may stand
// before or after the subcommand.
void add_migration_options(CLI::App& app, RunArguments& arguments);
void add_migration_commands(CLI::App& app, RunArguments& arguments, const GlobalOptions& global,
                            int& exit_code);
int run_default_migration(const RunArguments& arguments, const GlobalOptions& global);

}  // namespace atsm::cli
