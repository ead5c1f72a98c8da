#include "cli/migrate_command.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include "cli/exit_codes.hpp"
#include "model/kind.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/load.hpp"
#include "pipeline/plan.hpp"

namespace atsm::cli {
namespace {

namespace json = boost::json;
using pipeline::Session;

pipeline::SessionOptions session_options(const MigrationOptions& options,
                                         const GlobalOptions& global) {
  pipeline::SessionOptions session;
  session.source = options.source;
  session.sink = options.sink;
  session.work_dir = options.work_dir;
  if (!options.config_file.empty())
    session.config_file = options.config_file;
  session.settings = options.settings;
  if (!options.credentials_file.empty())
    session.credentials_file = options.credentials_file;
  if (!options.mapping_file.empty())
    session.mapping_file = options.mapping_file;
  session.plugin_paths = global.plugin_paths;
  return session;
}

void print_extract(const pipeline::ExtractStats& stats) {
  for (const auto& [kind, count] : stats.staged) {
    std::cerr << fmt::format(
        "  extracted {:<15} {:>8}{}\n", kind, count,
        stats.changed.count(kind) && stats.changed.at(kind) > 0
            ? fmt::format(" ({} changed since the last run)", stats.changed.at(kind))
            : "");
  }
  for (const std::string& kind : stats.skipped_kinds) {
    std::cerr << fmt::format("  extracted {:<15} (complete from an earlier run)\n", kind);
  }
  for (const auto& rejected : stats.rejected) {
    std::cerr << fmt::format("  rejected {} {}: {}\n", rejected.kind, rejected.source_key,
                             rejected.reason);
  }
}

void print_plan(const pipeline::Plan& plan, const std::filesystem::path& plan_file) {
  std::cerr << fmt::format(
      "plan: {} person(s) merged into other candidates by email; written to {}\n",
      plan.summary.at("persons_merged").to_number<int64_t>(), plan_file.string());
  size_t shown = 0;
  for (const pipeline::PersonGroup& group : plan.groups) {
    if (shown++ == 10) {
      std::cerr << fmt::format("  ... and {} more merges (plan.json lists them all)\n",
                               plan.groups.size() - 10);
      break;
    }
    std::string members;
    for (const std::string& member : group.members)
      members += (members.empty() ? "" : ", ") + member;
    std::string emails;
    for (const std::string& email : group.matched_emails)
      emails += (emails.empty() ? "" : ", ") + email;
    std::cerr << fmt::format("  merge {} (matched on {})\n", members, emails);
  }
}

// What extraction found wrong with the source's data, kept in the staging store so that a resumed
// run reports it too: records that could not be staged at all (rejected) and records staged with
// named field errors (the bad field left out, the rest migrated).
struct DataProblems {
  json::array rejected;         // {kind, key, reason}
  json::object fields_by_kind;  // kind -> records with field errors
  json::array fields;           // {kind, key, field, message}, the first kMaxListed
  static constexpr size_t kMaxListed = 500;
};

DataProblems data_problems(Session& session) {
  DataProblems problems;
  const std::string& source = session.options().source;
  int64_t listed = 0;
  for (model::Kind kind : model::kKindsInDependencyOrder) {
    std::string name(model::to_string(kind));
    session.staging().for_each(
        {pipeline::rejected_kind(name), source}, [&](const store::StagedRecord& staged) {
          json::value kept = json::parse(staged.record_json);
          const json::value* error = kept.as_object().if_contains("error");
          problems.rejected.push_back(
              json::object{{"kind", name},
                           {"key", staged.source_key},
                           {"reason", error ? *error : json::value("unreadable")}});
        });
    int64_t with_errors = 0;
    session.staging().for_each({name, source}, [&](const store::StagedRecord& staged) {
      if (staged.record_json.find("\"validation_errors\"") == std::string::npos)
        return;  // cheap test first: most records have none
      json::value record = json::parse(staged.record_json);
      const json::value* errors = record.as_object().if_contains("validation_errors");
      if (!errors || !errors->is_array() || errors->as_array().empty())
        return;
      ++with_errors;
      for (const json::value& error : errors->as_array()) {
        if (listed++ >= static_cast<int64_t>(DataProblems::kMaxListed) || !error.is_object())
          continue;
        json::object entry{{"kind", name}, {"key", staged.source_key}};
        for (const char* member : {"field", "message"})
          if (const json::value* text = error.as_object().if_contains(member))
            entry[member] = *text;
        problems.fields.push_back(std::move(entry));
      }
    });
    if (with_errors > 0)
      problems.fields_by_kind[name] = with_errors;
  }
  return problems;
}

// Per rate-limit bucket (one per vendor key) and per API host: what this run asked of the vendors.
json::object calls_json(Session& session) {
  json::object buckets;
  for (const auto& [name, metrics] : session.limiter().all_metrics()) {
    buckets[name] = json::object{{"requests", metrics.permits_granted},
                                 {"rate_limited_responses", metrics.rate_limited_responses},
                                 {"pauses", metrics.pauses},
                                 {"seconds_waiting_for_the_limit",
                                  std::chrono::duration<double>(metrics.time_waiting).count()},
                                 {"achieved_per_second", metrics.achieved_rate_per_second()},
                                 {"limit_per_second", metrics.limit_per_second},
                                 {"peak_in_flight", metrics.peak_in_flight}};
  }
  json::object hosts;
  for (const auto& [endpoint, metrics] : session.http().endpoint_metrics()) {
    json::value& slot = hosts[endpoint.host];
    if (!slot.is_object())
      slot = json::object{{"requests", 0}, {"retries", 0}, {"transport_errors", 0}};
    json::object& host = slot.as_object();
    host["requests"] = host["requests"].to_number<uint64_t>() + metrics.requests;
    host["retries"] = host["retries"].to_number<uint64_t>() + (metrics.attempts - metrics.requests);
    host["transport_errors"] =
        host["transport_errors"].to_number<uint64_t>() + metrics.transport_errors;
  }
  return {{"buckets", buckets}, {"hosts", hosts}};
}

json::object report_json(Session& session, const pipeline::LoadStats& stats,
                         const std::map<std::string, int64_t>& staged,
                         const DataProblems& problems) {
  json::object kinds;
  for (const auto& [kind, counts] : stats.kinds) {
    json::object skipped;
    for (const auto& [reason, count] : counts.skipped)
      skipped[reason] = count;
    kinds[kind] = json::object{{"staged", staged.count(kind) ? staged.at(kind) : 0},
                               {"created", counts.created},
                               {"updated", counts.updated},
                               {"unchanged", counts.unchanged},
                               {"merged", counts.merged},
                               {"failed", counts.failed},
                               {"skipped", skipped}};
  }
  json::array failures;
  for (const pipeline::LoadFailure& failure : stats.failures) {
    failures.push_back(json::object{{"kind", failure.kind},
                                    {"key", failure.key},
                                    {"status", failure.status},
                                    {"message", failure.message},
                                    {"vendor_code", failure.vendor_code},
                                    {"vendor_request_id", failure.vendor_request_id}});
  }
  json::array lossy;
  for (const std::string& line : stats.lossy)
    lossy.emplace_back(line);
  json::array notices;
  for (const auto& [plugin, message] : session.notices())
    notices.push_back(json::object{{"plugin", plugin}, {"message", message}});
  return {{"source", session.options().source},
          {"sink", session.options().sink},
          {"kinds", kinds},
          {"failures", failures},
          {"rejected", problems.rejected},
          {"field_errors_by_kind", problems.fields_by_kind},
          {"field_errors", problems.fields},
          {"notices", notices},
          {"lossy", lossy},
          {"adopted", stats.adopted},
          {"calls", calls_json(session)}};
}

int print_summary(const pipeline::LoadStats& stats, const std::map<std::string, int64_t>& staged,
                  const DataProblems& problems, size_t notices,
                  const std::filesystem::path& report) {
  std::cout << fmt::format("\n{:<12} {:>8} {:>8} {:>8} {:>9} {:>7} {:>8} {:>7}\n", "KIND", "STAGED",
                           "CREATED", "UPDATED", "UNCHANGED", "MERGED", "SKIPPED", "FAILED");
  for (model::Kind kind : model::kKindsInDependencyOrder) {
    std::string name(model::to_string(kind));
    auto found = stats.kinds.find(name);
    if (found == stats.kinds.end())
      continue;
    const pipeline::KindCounts& counts = found->second;
    int64_t skipped = 0;
    for (const auto& [reason, count] : counts.skipped)
      skipped += count;
    std::cout << fmt::format("{:<12} {:>8} {:>8} {:>8} {:>9} {:>7} {:>8} {:>7}\n", name,
                             staged.count(name) ? staged.at(name) : 0, counts.created,
                             counts.updated, counts.unchanged, counts.merged, skipped,
                             counts.failed);
  }
  if (stats.adopted > 0) {
    std::cout << fmt::format(
        "{} write(s) whose response was lost were found in the target and adopted (no "
        "duplicate).\n",
        stats.adopted);
  }
  if (!problems.fields_by_kind.empty()) {
    std::string kinds;
    for (const auto& [kind, count] : problems.fields_by_kind)
      kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", count.to_number<int64_t>(),
                           std::string(kind));
    std::cout << fmt::format(
        "Source records with a bad field (left out, the rest migrated): {}; listed in {}.\n", kinds,
        report.string());
  }
  if (notices > 0)
    std::cout << fmt::format("The connectors raised {} warning(s); listed in {} (notices).\n",
                             notices, report.string());
  if (!problems.rejected.empty()) {
    std::cout << fmt::format(
        "\n{} source record(s) could not be read into the canonical model and were not "
        "migrated:\n",
        problems.rejected.size());
    size_t shown = 0;
    for (const json::value& rejected : problems.rejected) {
      if (shown++ == 20)
        break;
      const json::object& entry = rejected.as_object();
      const json::value& reason = entry.at("reason");
      std::cout << fmt::format(
          "  {} {}: {}\n", std::string(entry.at("kind").as_string()),
          std::string(entry.at("key").as_string()),
          reason.is_string() ? std::string(reason.as_string()) : json::serialize(reason));
    }
  }
  if (!stats.failures.empty()) {
    std::cout << fmt::format("\n{} record(s) failed (all listed in {}):\n", stats.failures.size(),
                             report.string());
    size_t shown = 0;
    for (const pipeline::LoadFailure& failure : stats.failures) {
      if (shown++ == 20)
        break;
      std::cout << fmt::format(
          "  {} {}: {} [{}{}{}]\n", failure.kind, failure.key, failure.message, failure.status,
          failure.vendor_code.empty() ? "" : ", code " + failure.vendor_code,
          failure.vendor_request_id.empty() ? "" : ", request " + failure.vendor_request_id);
    }
    std::cout << "Re-run the same command to retry them once the cause is fixed.\n";
    return kExitPartial;
  }
  if (!problems.rejected.empty()) {
    std::cout << fmt::format("\nPartial: fix the source records above (report: {}).\n",
                             report.string());
    return kExitPartial;
  }
  std::cout << fmt::format("\nDone. Report: {}\n", report.string());
  return kExitOk;
}

// `status`: staged records and ledger states per kind, the audit trail's outcomes, and with
// --failed every record that needs a person (failed, or left at intent by an interrupted run).
int print_status(Session& session, bool list_failed) {
  std::cout << fmt::format("work dir {}\n{:<14} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
                           session.work_dir().root.string(), "KIND", "STAGED", "DONE", "FAILED",
                           "SKIPPED", "PENDING");
  std::map<std::string, store::StateCounts> ledger =
      session.ledger().counts(session.ledger_scope());
  std::map<std::string, int64_t> staged = session.staging().counts();
  std::set<std::string> kinds;
  for (const auto& [kind, count] : staged)
    kinds.insert(kind);
  for (const auto& [kind, count] : ledger)
    kinds.insert(kind);
  for (const std::string& kind : kinds) {
    store::StateCounts state = ledger.count(kind) ? ledger.at(kind) : store::StateCounts{};
    std::cout << fmt::format("{:<14} {:>8} {:>8} {:>8} {:>8} {:>8}\n", kind,
                             staged.count(kind) ? staged.at(kind) : 0, state.done, state.failed,
                             state.skipped, state.intent);
  }
  auto trail = pipeline::AuditTrail::summarise(session.work_dir().audit()).methods;
  if (!trail.empty()) {
    std::map<std::string, int64_t> by_method;
    int64_t total = 0;
    for (const auto& [kind, methods] : trail)
      for (const auto& [method, count] : methods) {
        by_method[method] += count;
        total += count;
      }
    std::string parts;
    for (const auto& [method, count] : by_method)
      parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", method, count);
    std::cout << fmt::format("\naudit trail {}: {} outcome(s): {}\n",
                             session.work_dir().audit().string(), total, parts);
  }
  if (!list_failed)
    return kExitOk;
  int64_t listed = 0;
  for (const std::string& kind : kinds) {
    for (store::LedgerState state : {store::LedgerState::failed, store::LedgerState::intent}) {
      session.ledger().for_each(
          session.ledger_scope(), kind, state, [&](const store::LedgerEntry& entry) {
            if (listed++ == 0)
              std::cout << fmt::format("\n{:<10} {:<8} {:<44} {}\n", "KIND", "STATE", "RECORD",
                                       "ERROR");
            std::cout << fmt::format(
                "{:<10} {:<8} {:<44} {}{}{}\n", kind, store::to_string(entry.state),
                entry.key.source_key,
                entry.last_error.value_or(state == store::LedgerState::intent
                                              ? "interrupted: the next run looks it up first"
                                              : ""),
                entry.vendor_code ? " [code " + *entry.vendor_code + "]" : "",
                entry.request_id ? " [request " + *entry.request_id + "]" : "");
          });
    }
  }
  if (listed == 0)
    std::cout << "\nNothing failed and nothing is pending.\n";
  return kExitOk;
}

// Runs a command body, turning the pipeline's errors into the documented exit codes.
template <class Body>
int guarded(Body&& body) {
  try {
    return body();
  } catch (const pipeline::UsageError& error) {
    std::cerr << "error: " << error.what() << '\n';
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "fatal: " << error.what() << '\n';
    return kExitFatal;
  }
}

std::map<std::string, int64_t> staged_counts(Session& session) {
  std::map<std::string, int64_t> counts;
  for (const auto& [kind, count] : session.staging().counts(session.options().source)) {
    if (model::kind_from_string(kind))
      counts[kind] = count;
  }
  return counts;
}

int run_step(const std::string& step, const MigrationOptions& options,
             const GlobalOptions& global) {
  return guarded([&]() -> int {
    Session session(session_options(options, global));
    if (step == "status")
      return print_status(session, options.list_failed);
    // A migration extracts beside the load: the plan waits only for the kinds it needs
    // (references, persons, candidacies), then notes, feedback, files... are written as they are
    // staged, so the run takes about the longer of reading and writing, not their sum.
    // `extract` and `plan` read everything first; extraction resumes and skips finished kinds.
    std::unique_ptr<pipeline::BackgroundExtraction> extraction;
    if (step == "migrate") {
      extraction = std::make_unique<pipeline::BackgroundExtraction>(session);
      for (model::Kind kind : model::kKindsInDependencyOrder) {
        std::string name(model::to_string(kind));
        if (pipeline::planned_kind(name))
          extraction->wait_complete(name);
      }
    } else if (step == "extract" || step == "plan") {
      print_extract(pipeline::extract(session));
      if (step == "extract")
        return kExitOk;
    }
    if (staged_counts(session).empty()) {
      throw pipeline::UsageError(
          fmt::format("nothing from '{}' is staged in {}: run `atsmigrate extract` first",
                      options.source, session.work_dir().root.string()));
    }
    pipeline::Plan plan = pipeline::make_plan(session);
    print_plan(plan, session.work_dir().plan());
    if (step == "plan")
      return kExitOk;

    pipeline::LoadOptions load_options;
    load_options.workers = options.workers;
    load_options.extraction = extraction.get();
    pipeline::LoadStats stats = pipeline::load(session, plan, load_options);
    if (extraction)
      print_extract(extraction->finish());
    std::map<std::string, int64_t> staged = staged_counts(session);
    DataProblems problems = data_problems(session);
    json::object report = report_json(session, stats, staged, problems);
    pipeline::write_private_file(session.work_dir().report_json(), json::serialize(report));
    return print_summary(stats, staged, problems, report.at("notices").as_array().size(),
                         session.work_dir().report_json());
  });
}

int export_staged(const MigrationOptions& options, const GlobalOptions& global,
                  const std::string& format, const std::string& output) {
  return guarded([&]() -> int {
    Session session(session_options(options, global));
    std::ofstream file;
    if (!output.empty()) {
      pipeline::write_private_file(output, "");  // created 0600 before any data goes in
      file.open(output, std::ios::binary | std::ios::trunc);
      if (!file)
        throw pipeline::UsageError(fmt::format("--output {}: cannot write the file", output));
    }
    std::ostream& out = output.empty() ? std::cout : file;
    if (format == "csv")
      out << "kind,source,source_key,record_json\n";
    auto csv_field = [](const std::string& text) {
      std::string quoted = "\"";
      for (char c : text)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      return quoted + "\"";
    };
    for (model::Kind kind : model::kKindsInDependencyOrder) {
      std::string name(model::to_string(kind));
      std::optional<std::string> source;
      if (!options.source.empty())
        source = options.source;
      session.staging().for_each({name, source}, [&](const store::StagedRecord& staged) {
        if (format == "jsonl") {
          out << staged.record_json << '\n';
        } else {
          out << name << ',' << csv_field(staged.source) << ',' << csv_field(staged.source_key)
              << ',' << csv_field(staged.record_json) << '\n';
        }
      });
    }
    return kExitOk;
  });
}

}  // namespace

void add_migration_options(CLI::App& app, MigrationOptions& options) {
  app.add_option("--source", options.source, "Source connector plugin (e.g. lever, greenhouse)")
      ->type_name("NAME");
  app.add_option("--sink", options.sink, "Sink connector plugin (e.g. ashby)")->type_name("NAME");
  app.add_option("--workdir", options.work_dir,
                 "Work dir: staging, ledger, blobs, plan, report (0700)")
      ->default_val("atsmigrate-work")
      ->type_name("DIR");
  app.add_option("--config", options.config_file,
                 "JSON object keyed by plugin name: {\"ashby\": {\"base_url\": ...}}")
      ->type_name("FILE");
  app.add_option("--set", options.settings, "One plugin setting, PLUGIN.KEY=VALUE (repeatable)")
      ->type_name("PLUGIN.KEY=VALUE");
  app.add_option(
         "--credentials", options.credentials_file,
         "File of NAME=value secrets (mode 0600); secrets are never taken on the command line")
      ->type_name("FILE");
  app.add_option("--mapping", options.mapping_file,
                 "Mapping file (default: WORKDIR/mapping.json, written by plan)")
      ->type_name("FILE");
  app.add_option("--workers", options.workers,
                 "Writes in flight against the sink (default: the sink's rate limit times its "
                 "measured latency)")
      ->check(CLI::Range(1, 64));
}

void add_migration_commands(CLI::App& app, MigrationOptions& options, const GlobalOptions& global,
                            int& exit_code) {
  struct Step {
    const char* name;
    const char* help;
  };
  static const Step steps[] = {
      {"migrate", "extract, plan and load (the same as `atsmigrate --source S --sink K`)"},
      {"extract", "read the source into the work dir's staging store (resumes)"},
      {"plan",
       "extract if needed, then decide what every record becomes; writes plan.json and a starter "
       "mapping.json"},
      {"load", "write the plan into the sink through the ledger (resumes)"},
      {"status", "staged records and ledger states per kind"},
  };
  // The options live on the top-level app (they may stand before or after the command), so a
  // command's own --help points there rather than showing an empty list.
  const std::string options_footer =
      "Options (--source, --sink, --workdir, --credentials, --config, --set, --mapping, --workers, "
      "--log-level, --plugin-path): see `atsmigrate --help`; they may come before or after the "
      "command.";
  for (const Step& step : steps) {
    CLI::App* command = app.add_subcommand(step.name, step.help);
    command->footer(options_footer);
    std::string name = step.name;
    command->callback(
        [&options, &global, &exit_code, name] { exit_code = run_step(name, options, global); });
  }
  // `status --failed`: what needs a person.
  if (CLI::App* status = app.get_subcommand("status"))
    status->add_flag("--failed", options.list_failed,
                     "Also list every failed record and every write an interrupted run left "
                     "pending, with the vendor's code and request id");
  CLI::App* exporter =
      app.add_subcommand("export", "write the staged canonical records as JSON Lines or CSV");
  exporter->footer(options_footer);
  auto format = std::make_shared<std::string>("jsonl");
  auto output = std::make_shared<std::string>();
  exporter->add_option("--format", *format, "jsonl or csv")->check(CLI::IsMember({"jsonl", "csv"}));
  exporter->add_option("--output", *output, "File to write (0600); standard output when absent")
      ->type_name("FILE");
  exporter->callback([&options, &global, &exit_code, format, output] {
    exit_code = export_staged(options, global, *format, *output);
  });
}

int run_default_migration(const MigrationOptions& options, const GlobalOptions& global) {
  return run_step("migrate", options, global);
}

}  // namespace atsm::cli
