// atsmigrate: the command line. Subcommands live in their own files; this one wires them up and
// maps failures to the documented exit codes (cli/exit_codes.hpp).
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/migrate_command.hpp"
#include "cli/plugins_command.hpp"
#include "cli/secret_arguments.hpp"
#include "cli/verify_command.hpp"
#include "services/net/log.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#ifndef ATSM_VERSION
#error "ATSM_VERSION must be defined by the build"
#endif

namespace {

// The run's threads (writers, readers, the rate limiter's) are many and mostly wait on the
// network; glibc would give up to 8 heap arenas per core to them, each holding freed memory of its
// own. Two arenas cost no measurable time and 17 % of the load's peak RSS (16,000 persons: 89.6 ->
// 74.0 MiB). MALLOC_ARENA_MAX, when set, decides.
void share_heap_arenas() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr)
    mallopt(M_ARENA_MAX, 2);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  using namespace atsm::cli;
  share_heap_arenas();
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (const std::optional<std::string> refusal = secret_on_command_line(args)) {
    std::cerr << "error: " << *refusal << '\n';
    return kExitUsage;
  }
  CLI::App app{"atsmigrate: migrate a hiring history between applicant tracking systems"};
  app.set_version_flag("--version", std::string("atsmigrate ") + ATSM_VERSION);
  // The exit statuses a script branches on (exit_codes.hpp, README "Exit codes").
  app.footer(fmt::format(
      "Exit status: {} clean; {} bad command line or input file (nothing changed); "
      "{} finished with failed records (see the report); {} stopped (auth, "
      "unreachable vendor, damaged work dir); {} records held for an operator's "
      "step in the target.",
      int(kExitOk), int(kExitUsage), int(kExitPartial), int(kExitFatal), int(kExitHeld)));
  // No subcommand with --source and --sink is the migration itself.
  app.require_subcommand(0, 1);
  // Global options may come after the subcommand too (`plugins list --plugin-path DIR`).
  app.fallthrough();

  GlobalOptions global;
  app.add_option("--plugin-path", global.plugin_paths,
                 "Extra directory to load connector plugins from (repeatable; also "
                 "ATSMIGRATE_PLUGIN_PATH, colon-separated)")
      ->type_name("DIR");

  atsm::net::LogOptions log_options;
  app.add_option("--log-level", log_options.level, "trace, debug, info, warn, error or off")
      ->default_val("info")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  std::string log_file;
  app.add_option("--log-file", log_file, "Also write the log as JSON Lines to FILE (created 0600)")
      ->type_name("FILE");
  // Logging is set up before any subcommand runs (parse_complete_callback fires first).
  app.parse_complete_callback([&] {
    if (!log_file.empty())
      log_options.json_file = log_file;
    atsm::net::setup_logging(log_options);
  });

  int exit_code = kExitOk;
  add_plugins_command(app, global, exit_code);
  add_verify_command(app, global, exit_code);
  RunArguments migration;
  add_migration_options(app, migration);
  add_migration_commands(app, migration, global, exit_code);
  app.callback([&] {
    if (!app.get_subcommands().empty())
      return;
    if (migration.source.empty() || migration.sink.empty()) {
      throw CLI::RequiredError("a command, or --source and --sink for the migration");
    }
    exit_code = run_default_migration(migration, global);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& success) {
    return app.exit(success);  // --help, --version
  } catch (const CLI::ParseError& error) {
    // Not app.exit(error): CLI11 quotes the arguments it did not expect, and one may be a key.
    std::cerr << safe_parse_error(error.what(), args)
              << "\nRun with --help for more information.\n";
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "error: " << atsm::net::redact(error.what()) << '\n';
    return kExitFatal;
  }
  return exit_code;
}
