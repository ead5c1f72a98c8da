#include "cli/migrate_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include <atsmigrate/model/kind.hpp>
#include "cli/exit_codes.hpp"
#include "cli/report_command.hpp"
#include "host/plugin_calls.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/forecast.hpp"
#include "pipeline/load.hpp"
#include "pipeline/migration.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/work_dir_lock.hpp"
#include "services/net/log.hpp"

namespace atsm::cli {
namespace {

namespace json = boost::json;
using pipeline::Session;

pipeline::SessionOptions session_options(const RunArguments& arguments,
                                         const GlobalOptions& global) {
  pipeline::SessionOptions session;
  session.source = arguments.source;
  session.sink = arguments.sink;
  session.work_dir = arguments.work_dir;
  if (!arguments.config_file.empty())
    session.config_file = arguments.config_file;
  session.settings = arguments.settings;
  if (!arguments.credentials_file.empty())
    session.credentials_file = arguments.credentials_file;
  if (!arguments.mapping_file.empty())
    session.mapping_file = arguments.mapping_file;
  session.plugin_paths = global.plugin_paths;
  session.rebind_accounts = arguments.rebind_accounts;
  session.max_response_mb = arguments.max_response_mb;
  session.max_record_mb = arguments.max_record_mb;
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
  if (stats.read_nothing()) {
    std::cerr << "  nothing read: every kind of the source is complete in this work dir; to read "
                 "a new snapshot of it (a fresh export), run again with --reread\n";
  }
  for (const auto& [kind, count] : stats.unfetched) {
    std::cerr << fmt::format(
        "  extracted {:<15} {} record(s) the source could not fetch now: failed; a re-run "
        "fetches exactly them\n",
        kind, count);
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
  // What the target's API cannot do: the operator's steps, before any write.
  if (const boost::json::value* steps = plan.summary.if_contains("operator_steps")) {
    std::cerr << fmt::format("plan: {} step(s) for you in the target (plan.json lists them):\n",
                             steps->as_array().size());
    for (const boost::json::value& step : steps->as_array()) {
      if (!step.is_object())
        continue;
      const boost::json::object& entry = step.as_object();
      auto text = [&](const char* key) {
        const boost::json::value* member = entry.if_contains(key);
        return member && member->is_string() ? std::string(member->as_string()) : std::string();
      };
      std::cerr << fmt::format("  {} '{}' ({}): {}\n", text("kind"), text("name"),
                               text("source_key"), text("step"));
    }
  }
}

// This run's load, kind by kind (the reconciliation that follows covers every run).
void print_summary(const pipeline::LoadStats& stats, const std::map<std::string, int64_t>& staged,
                   const pipeline::Plan& plan) {
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
  if (!stats.adopting.empty()) {
    std::cout << fmt::format(
        "Adopting: {}; every record was looked up in the target before it was written, and what "
        "was found there was adopted, not created again.\n",
        stats.adopting);
  } else if (stats.adopted > 0) {
    std::cout << fmt::format(
        "{} write(s) whose response was lost were found in the target and adopted (no "
        "duplicate).\n",
        stats.adopted);
  }
  // Consolidation: candidates that hold records of more than one source.
  size_t across_sources = 0;
  std::set<std::string> sources;
  for (const pipeline::PersonGroup& group : plan.groups) {
    std::set<std::string> of_group;
    for (const std::string& member : group.members)
      of_group.insert(member.substr(0, member.find(':')));
    if (of_group.size() > 1) {
      ++across_sources;
      sources.insert(of_group.begin(), of_group.end());
    }
  }
  if (across_sources > 0) {
    std::cout << fmt::format(
        "{} candidate(s) consolidate persons from {} (same email): one candidate each, with the "
        "applications of every source.\n",
        across_sources, fmt::join(sources, " and "));
  }
}

// `status`: staged records and ledger states per kind, the audit trail's outcomes, and with
// --failed every record that needs a person (failed, or left at intent by an interrupted run).
int print_status(Session& session, bool list_failed) {
  std::cout << fmt::format("work dir {}\n{:<14} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
                           session.work_dir().root.string(), "KIND", "STAGED", "DONE", "FAILED",
                           "HELD", "SKIPPED", "PENDING");
  std::map<std::string, store::StateCounts> ledger =
      session.ledger().counts(session.ledger_scope());
  std::map<std::string, int64_t> staged = session.staging().counts();
  std::set<std::string> kinds;
  for (const auto& [kind, count] : staged)
    kinds.insert(kind);
  for (const auto& [kind, count] : ledger)
    kinds.insert(kind);
  // Held records are stored as failed (a rerun writes them) but wait for an operator, not a fix.
  auto is_held = [](const store::LedgerEntry& entry) {
    return entry.vendor_code.value_or("") == pipeline::kHeldVendorCode;
  };
  for (const std::string& kind : kinds) {
    store::StateCounts state = ledger.count(kind) ? ledger.at(kind) : store::StateCounts{};
    int64_t held = 0;
    if (state.failed > 0)
      session.ledger().for_each(session.ledger_scope(), kind, store::LedgerState::failed,
                                [&](const store::LedgerEntry& entry) { held += is_held(entry); });
    std::cout << fmt::format("{:<14} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n", kind,
                             staged.count(kind) ? staged.at(kind) : 0, state.done,
                             state.failed - held, held, state.skipped, state.intent);
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
                "{:<10} {:<8} {:<44} {}{}{}\n", kind,
                is_held(entry) ? "held" : store::to_string(entry.state), entry.key.source_key,
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

pipeline::ReconcileOptions reconcile_options(const RunArguments& arguments) {
  pipeline::ReconcileOptions reconcile;
  reconcile.sample_fraction = arguments.sample_percent / 100.0;
  reconcile.seed = arguments.sample_seed;
  return reconcile;
}

// Runs a command body, turning the pipeline's errors into the documented exit codes.
template <class Body>
int guarded(Body&& body) {
  try {
    return body();
  } catch (const pipeline::UsageError& error) {
    std::cerr << "error: " << net::redact(error.what()) << '\n';
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "fatal: " << net::redact(error.what()) << '\n';
    return kExitFatal;
  }
}

int run_step_in(Session& session, const std::string& step, const RunArguments& arguments);

int run_step(const std::string& step, const RunArguments& arguments, const GlobalOptions& global) {
  return guarded([&]() -> int {
    pipeline::SessionOptions session_setup = session_options(arguments, global);
    session_setup.step = step;
    session_setup.lock_work_dir = step != "status";
    Session session(session_setup);
    try {
      int code = run_step_in(session, step, arguments);
      session.throw_if_failed();
      return code;
    } catch (const std::exception&) {
      session.throw_if_failed();  // the reason the run stopped, not the cancellation it caused
      throw;
    }
  });
}

// Prints what a step tells as it goes, and logs each step's calls and time in the work dir.
class PrintingObserver : public pipeline::StepObserver {
 public:
  explicit PrintingObserver(Session& session) : session_(session) {}
  void unfinished_step(const std::string& description) override {
    std::cerr << "warning: " << description << '\n';
  }
  void reread_started(const std::string& source, const std::vector<std::string>& kinds) override {
    std::cerr << fmt::format(
        "reread: reading {} of {} again from the start\n",
        kinds.empty() ? std::string("every kind") : fmt::format("{}", fmt::join(kinds, ", ")),
        source);
  }
  void delta_started(const std::string& source, const std::string& since) override {
    std::cerr << fmt::format("delta: reading what changed in {} since {}\n", source, since);
  }
  void extracted(const pipeline::ExtractStats& stats) override { print_extract(stats); }
  void timed(const std::string& step, double wall_seconds) override {
    append_run_log(session_, step, wall_seconds);
  }
  void planned(const pipeline::Plan& plan) override {
    print_plan(plan, session_.work_dir().plan());
  }

 private:
  Session& session_;
};

pipeline::StepRequest step_request(const std::string& step, const RunArguments& arguments) {
  pipeline::StepRequest request;
  request.step = step;
  request.dry_run = arguments.dry_run;
  request.since = arguments.since;
  request.delta = arguments.delta;
  request.reread = arguments.reread;
  request.reread_kinds = arguments.reread_kinds;
  request.workers = arguments.workers;
  request.load_chunk = arguments.load_chunk;
  request.exit_status_if_ended_early = kExitFatal;
  return request;
}

// One step on an open session (run_step turns a stopped run into its reason).
int run_step_in(Session& session, const std::string& step, const RunArguments& arguments) {
  if (step == "status") {
    // A run under way has a step in progress too: it is not one that did not finish.
    if (std::optional<std::string> holder = pipeline::WorkDirLock::holder(session.work_dir().root))
      std::cout << "a run is in progress in this work dir (" << *holder
                << "); what follows is where it stands now\n\n";
    else if (std::optional<std::string> unfinished =
                 host::describe_unfinished_step(pipeline::step_record(session)))
      std::cout << "warning: " << *unfinished << "\n\n";
    return print_status(session, arguments.list_failed);
  }
  PrintingObserver observer(session);
  pipeline::StepResult result =
      pipeline::run_step(session, step_request(step, arguments), observer);
  switch (result.end) {
    case pipeline::StepResult::End::extracted:
      return result.unfetched ? kExitPartial : kExitOk;
    case pipeline::StepResult::End::planned:
      if (const boost::json::value* forecast = result.plan->summary.if_contains("forecast"))
        pipeline::print_forecast(forecast->as_object());
      return kExitOk;
    case pipeline::StepResult::End::loaded:
      print_summary(*result.load, pipeline::staged_counts(session), *result.plan);
      break;
    case pipeline::StepResult::End::reported:
      break;
  }
  json::object report = build_report(session, *result.plan, reconcile_options(arguments),
                                     result.load ? &*result.load : nullptr);
  write_report_files(session, report);
  return print_reconciliation(report, session.work_dir().report_json().string());
}

int export_staged(const RunArguments& arguments, const GlobalOptions& global,
                  const std::string& format, const std::string& output) {
  return guarded([&]() -> int {
    pipeline::SessionOptions session_setup = session_options(arguments, global);
    session_setup.step = "export";
    session_setup.lock_work_dir = false;  // reads only: may run beside a migration
    Session session(session_setup);
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
      if (!arguments.source.empty())
        source = arguments.source;
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

void add_migration_options(CLI::App& app, RunArguments& arguments) {
  app.add_option("--source", arguments.source, "Source connector plugin (e.g. lever, greenhouse)")
      ->type_name("NAME");
  app.add_option("--sink", arguments.sink, "Sink connector plugin (e.g. ashby)")->type_name("NAME");
  app.add_option("--workdir", arguments.work_dir,
                 "Work dir: staging, ledger, blobs, plan, report (0700)")
      ->default_val("atsmigrate-work")
      ->type_name("DIR");
  app.add_option("--config", arguments.config_file,
                 "JSON object keyed by plugin name: {\"ashby\": {\"base_url\": ...}}")
      ->type_name("FILE");
  app.add_option("--set", arguments.settings, "One plugin setting, PLUGIN.KEY=VALUE (repeatable)")
      ->type_name("PLUGIN.KEY=VALUE");
  app.add_option(
         "--credentials", arguments.credentials_file,
         "File of NAME=value secrets (mode 0600); secrets are never taken on the command line")
      ->type_name("FILE");
  app.add_option("--mapping", arguments.mapping_file,
                 "Mapping file (default: WORKDIR/mapping.json, written by plan)")
      ->type_name("FILE");
  app.add_option("--since", arguments.since,
                 "Delta run: read only what changed in the source since this ISO 8601 time")
      ->type_name("TIME");
  app.add_flag("--delta", arguments.delta,
               "Delta run from where the last complete read of the source started");
  app.add_flag("--reread", arguments.reread,
               "Read the whole source again from its start (a new snapshot, e.g. a fresh "
               "export, into the same work dir): unchanged records are skipped, changed ones "
               "updated, new ones created");
  app.add_option("--reread-kind", arguments.reread_kinds,
                 "Read this kind of the source again from its start (repeatable), as --reread "
                 "does for every kind")
      ->type_name("KIND");
  app.add_flag("--rebind-accounts", arguments.rebind_accounts,
               "The source or target account is the same under a new key or address: record "
               "it as the work dir's (a work dir refuses other accounts)");
  app.add_flag("--dry-run", arguments.dry_run,
               "Extract and plan, print what the load would create, update, merge, skip and "
               "encode lossily with the calls and time it takes, and write nothing to the target");
  app.add_option("--workers", arguments.workers,
                 "Writes in flight against the sink (default: the sink's rate limit times its "
                 "measured latency)")
      ->check(CLI::Range(1, 64));
  app.add_option("--max-response-mb", arguments.max_response_mb,
                 "Largest vendor response kept in memory, in MiB (default 32); a larger one "
                 "fails its request, naming the endpoint")
      ->check(CLI::Range(1, 4096));
  app.add_option("--max-record-mb", arguments.max_record_mb,
                 "Largest record a source may emit, in MiB (default 16); a larger one is listed "
                 "as rejected, not read")
      ->check(CLI::Range(1, 4096));
  app.add_option("--load-chunk", arguments.load_chunk,
                 "Records of a kind the load reads from staging at a time (default 2000); it "
                 "holds at most two such chunks, one queued for the writers while the next is "
                 "read, besides the records postponed until a write they point at ends")
      ->check(CLI::Range(1, 1000000));
}

void add_migration_commands(CLI::App& app, RunArguments& arguments, const GlobalOptions& global,
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
      {"report",
       "reconcile: counts per kind, every unexplained difference, a field-level read-back of a "
       "sample; writes report.json and report.html"},
  };
  // The arguments live on the top-level app (they may stand before or after the command), so a
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
        [&arguments, &global, &exit_code, name] { exit_code = run_step(name, arguments, global); });
  }
  if (CLI::App* report = app.get_subcommand("report")) {
    report
        ->add_option("--sample-percent", arguments.sample_percent,
                     "Share of each kind's written records read back (at least 50 each, plus "
                     "every edge-case cohort)")
        ->check(CLI::Range(0.0, 100.0));
    report->add_option("--seed", arguments.sample_seed, "Seed of the random sample (reproducible)");
  }
  // `status --failed`: what needs a person.
  if (CLI::App* status = app.get_subcommand("status"))
    status->add_flag("--failed", arguments.list_failed,
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
  exporter->callback([&arguments, &global, &exit_code, format, output] {
    exit_code = export_staged(arguments, global, *format, *output);
  });
}

int run_default_migration(const RunArguments& arguments, const GlobalOptions& global) {
  return run_step("migrate", arguments, global);
}

}  // namespace atsm::cli
