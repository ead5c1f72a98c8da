// `atsmigrate plugin verify`: checks that a connector plugin keeps the contract of connector.h
// and sink-protocol.md. The parent process only forks, waits and prints; every check loads the
// plugin afresh in its own child process (anchors: clap-validator, Airbyte's acceptance tests).
// The checks live in core/verify; this command parses its arguments and prints the results.
#include "cli/verify_command.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "verify/run.hpp"

namespace atsm::cli {
namespace {

namespace json = boost::json;
using verify::CheckResult;
using verify::Outcome;

struct VerifyOptions {
  std::string target;
  std::string config_file;
  std::string credentials_file;
  std::vector<std::string> only;
  std::uint64_t seed = 0;
  bool seed_given = false;
  bool as_json = false;
  unsigned timeout_s = 120;
  unsigned fuzz_cases = 60;
};

int verify_plugin(const GlobalOptions& global, const VerifyOptions& options) {
  std::vector<std::string> selected;
  verify::ChildContext context;
  try {
    selected = verify::select_checks(options.only);
    for (const std::string* file : {&options.config_file, &options.credentials_file}) {
      if (!file->empty() && !std::filesystem::exists(*file))
        throw verify::UsageError(fmt::format("{} does not exist", *file));
    }
    context.path = verify::resolve_plugin(options.target, global.plugin_paths, options.timeout_s);
    if (!options.config_file.empty())
      context.config = verify::read_config(options.config_file);
  } catch (const verify::UsageError& error) {
    std::cerr << "error: " << error.what() << '\n';
    return kExitUsage;
  }
  if (!options.credentials_file.empty())
    context.credentials = std::filesystem::absolute(options.credentials_file);
  context.seed = options.seed_given
                     ? options.seed
                     : static_cast<std::uint64_t>(
                           std::chrono::system_clock::now().time_since_epoch().count()) %
                           1000000000u;
  context.fuzz_cases = options.fuzz_cases;

  if (!options.as_json)
    std::cout << fmt::format("verifying {} (seed {})\n", context.path.string(), context.seed);
  std::vector<std::pair<std::string, CheckResult>> results;
  bool all_passed = true;
  for (const std::string& check : selected) {
    CheckResult result;
    try {
      result = verify::run_check(check, context, options.timeout_s);
    } catch (const std::exception& error) {
      std::cerr << "error: " << error.what() << '\n';
      return kExitFatal;
    }
    all_passed = all_passed && result.outcome != Outcome::fail;
    if (!options.as_json) {
      std::cout << fmt::format("{:<22} {:<4} {:>6.1f}s  {}\n", check,
                               verify::outcome_name(result.outcome), result.seconds,
                               result.outcome == Outcome::pass ? result.detail : result.reason);
      for (const std::string& line : result.log_tail)
        std::cout << "    | " << line << '\n';
      std::cout.flush();
    }
    results.emplace_back(check, std::move(result));
  }
  if (options.as_json) {
    json::array checks;
    for (const auto& [name, result] : results) {
      json::array tail;
      for (const std::string& line : result.log_tail)
        tail.emplace_back(line);
      checks.push_back(json::object{{"name", name},
                                    {"result", verify::outcome_name(result.outcome)},
                                    {"reason", result.reason},
                                    {"detail", result.detail},
                                    {"signal", result.signal},
                                    {"seconds", result.seconds},
                                    {"log_tail", tail}});
    }
    std::cout << json::serialize(json::object{{"plugin", context.path.string()},
                                              {"seed", context.seed},
                                              {"passed", all_passed},
                                              {"checks", checks}})
              << '\n';
  } else {
    std::size_t failed = 0, skipped = 0;
    for (const auto& [name, result] : results) {
      failed += result.outcome == Outcome::fail;
      skipped += result.outcome == Outcome::skip;
    }
    std::cout << fmt::format(
        "{}: {} checks, {} failed, {} skipped (seed {}; --seed {} "
        "reproduces)\n",
        all_passed ? "PASS" : "FAIL", results.size(), failed, skipped, context.seed, context.seed);
  }
  return all_passed ? kExitOk : kExitPartial;
}

}  // namespace

void add_verify_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  CLI::App* plugin = app.add_subcommand("plugin", "Check a connector plugin");
  plugin->require_subcommand(1);
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* verify_command = plugin->add_subcommand(
      "verify",
      "Run the conformance checks on a plugin (each in its own process); exit 0 only when "
      "every check passes");
  verify_command->add_option("plugin", options->target, "Plugin file (.so) or name")->required();
  verify_command
      ->add_option("--config", options->config_file,
                   "JSON object for the plugin's open: {\"NAME\": {...}} or the "
                   "plugin's own keys")
      ->type_name("FILE");
  verify_command
      ->add_option("--credentials", options->credentials_file,
                   "NAME=value lines of the secrets the plugin reads (mode 0600)")
      ->type_name("FILE");
  std::string check_names;
  for (const verify::CheckSpec& spec : verify::all_checks())
    check_names += std::string(check_names.empty() ? "" : ", ") + spec.name;
  verify_command
      ->add_option("--only", options->only,
                   "Run only these checks or groups (repeatable, comma-separated): " + check_names)
      ->type_name("CHECK")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  verify_command
      ->add_option_function<std::uint64_t>(
          "--seed",
          [options](const std::uint64_t& seed) {
            options->seed = seed;
            options->seed_given = true;
          },
          "Seed of robust.fuzz (printed with every run; reproduces a failure)")
      ->type_name("N");
  verify_command->add_option("--timeout", options->timeout_s, "Seconds each check may take")
      ->capture_default_str();
  verify_command->add_option("--fuzz-cases", options->fuzz_cases, "Garbage calls in robust.fuzz")
      ->capture_default_str();
  verify_command->add_flag("--json", options->as_json, "Print one JSON object instead of a table");
  verify_command->callback(
      [&global, &exit_code, options] { exit_code = verify_plugin(global, *options); });
}

}  // namespace atsm::cli
