// atsmigrate: the command line. Subcommands live in their own files; this one wires them up and
// maps failures to the documented exit codes (cli/exit_codes.hpp).
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/exit_codes.hpp"
#include "cli/plugins_command.hpp"

#ifndef ATSM_VERSION
#error "ATSM_VERSION must be defined by the build"
#endif

int main(int argc, char** argv) {
  using namespace atsm::cli;
  CLI::App app{"atsmigrate: migrate a hiring history between applicant tracking systems"};
  app.set_version_flag("--version", std::string("atsmigrate ") + ATSM_VERSION);
  app.require_subcommand(1);
  // Global options may come after the subcommand too (`plugins list --plugin-path DIR`).
  app.fallthrough();

  GlobalOptions global;
  app.add_option("--plugin-path", global.plugin_paths,
                 "Extra directory to load connector plugins from (repeatable; also "
                 "ATSMIGRATE_PLUGIN_PATH, colon-separated)")
      ->type_name("DIR");

  int exit_code = kExitOk;
  add_plugins_command(app, global, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& success) {
    return app.exit(success);  // --help, --version
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << '\n';
    return kExitFatal;
  }
  return exit_code;
}
