#include "pipeline/migration.hpp"

#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <fmt/format.h>
#include <chrono>

#include <atsmigrate/model/kind.hpp>
#include <atsmigrate/model/time.hpp>

namespace atsm::pipeline {
namespace {

// --since TIME or --delta (from the last complete read's start): the source reads only what
// changed, and the load writes only that.
void start_delta_if_asked(Session& session, const StepRequest& request, StepObserver& observer) {
  if (request.since.empty() && !request.delta)
    return;
  if (!request.since.empty() && request.delta)
    throw UsageError("--since and --delta: give one of them");
  std::string since;
  if (!request.since.empty()) {
    std::optional<std::string> normal = model::normalize_timestamp(request.since);
    if (!normal)
      throw UsageError(fmt::format("--since '{}': not an ISO 8601 time (e.g. 2026-11-30T00:00:00Z)",
                                   request.since));
    since = *normal;
  } else {
    std::optional<std::string> mark = high_water_mark(session);
    if (!mark)
      throw UsageError(
          fmt::format("--delta: {} holds no complete read of '{}' yet; run the migration in full "
                      "first",
                      session.work_dir().root.string(), session.options().source));
    since = *mark;
  }
  session.set_source_since(since);
  begin_delta(session, since);
  observer.delta_started(session.options().source, since);
}

// --reread: every kind of the source is read again from its start, without `since`, so a new
// snapshot (a fresh export into the same place) replaces the one the work dir read.
void start_reread_if_asked(Session& session, const StepRequest& request, StepObserver& observer) {
  if (!request.reread && request.reread_kinds.empty())
    return;
  if (request.reread && !request.reread_kinds.empty())
    throw UsageError("--reread reads every kind again, --reread-kind only those: give one of them");
  if (!request.since.empty() || request.delta)
    throw UsageError(
        "--reread reads the whole source again; --since/--delta read only what changed: give "
        "one of them");
  begin_reread(session, request.reread_kinds);
  observer.reread_started(session.options().source, request.reread_kinds);
}

// Says what an earlier run that did not finish was doing, and guards this run's step: a plugin
// that crashes this process or calls exit() leaves a record the next run reports, and exit()
// ends this run with the fatal status instead of the plugin's.
std::unique_ptr<host::StepGuard> guard_step(const Session& session, const StepRequest& request,
                                            StepObserver& observer) {
  std::filesystem::path record = step_record(session);
  if (std::optional<std::string> unfinished = host::describe_unfinished_step(record))
    observer.unfinished_step(*unfinished);
  std::string header = fmt::format("step={}\nsource={}\nsink={}\npid={}\nstarted={}\n",
                                   request.step, session.options().source, session.options().sink,
                                   ::getpid(), model::now_timestamp());
  return std::make_unique<host::StepGuard>(record, header, request.exit_status_if_ended_early);
}

double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

std::filesystem::path step_record(const Session& session) {
  return session.work_dir().root / "step-in-progress";
}

std::map<std::string, int64_t> staged_counts(Session& session) {
  std::map<std::string, int64_t> counts;
  for (const auto& [kind, count] : session.staging().counts(session.options().source)) {
    if (model::kind_from_string(kind))
      counts[kind] = count;
  }
  return counts;
}

StepResult run_step(Session& session, const StepRequest& request, StepObserver& observer) {
  const std::string& step = request.step;
  StepResult result;
  result.guard = guard_step(session, request, observer);
  if (step == "report") {
    result.end = StepResult::End::reported;
    result.plan = make_plan(session);
    return result;
  }
  if (step == "migrate" || step == "extract" || step == "plan") {
    start_reread_if_asked(session, request, observer);
    start_delta_if_asked(session, request, observer);
  }
  // Both plugins and their configuration are checked before anything is read (after the
  // delta's `since` joins the source's configuration): a typo in --sink or a bad value must
  // not wait for the whole source to be read.
  session.open_plugins(step != "load", step != "extract");
  // A migration extracts beside the load: the plan waits only for the kinds it needs
  // (references, persons, candidacies), then notes, feedback, files... are written as they are
  // staged, so the run takes about the longer of reading and writing, not their sum.
  // `extract` and `plan` read everything first; extraction resumes and skips finished kinds.
  std::unique_ptr<BackgroundExtraction> extraction;
  if (step == "migrate" && !request.dry_run) {
    extraction = std::make_unique<BackgroundExtraction>(session);
    for (model::Kind kind : model::kKindsInDependencyOrder) {
      std::string name(model::to_string(kind));
      if (planned_kind(name))
        extraction->wait_complete(name);
    }
  } else if (step == "extract" || step == "plan" || step == "migrate") {
    auto started = std::chrono::steady_clock::now();
    ExtractStats extracted = extract(session);
    observer.extracted(extracted);
    // The source's calls count in the report's calls per vendor, whichever step made them.
    observer.timed("extract", seconds_since(started));
    if (step == "extract") {
      result.end = StepResult::End::extracted;
      result.unfetched = !extracted.unfetched.empty();
      return result;
    }
  }
  if (staged_counts(session).empty()) {
    throw UsageError(
        fmt::format("nothing from '{}' is staged in {}: run `atsmigrate extract` first",
                    session.options().source, session.work_dir().root.string()));
  }
  result.plan = make_plan(session);
  observer.planned(*result.plan);
  if (step == "plan" || request.dry_run) {
    // A plan never writes to the target; the forecast says what the load would do.
    result.end = StepResult::End::planned;
    return result;
  }

  LoadOptions load_options;
  load_options.workers = request.workers;
  load_options.chunk_records = request.load_chunk;
  load_options.extraction = extraction.get();
  auto started = std::chrono::steady_clock::now();
  result.load = load(session, *result.plan, load_options);
#if defined(__GLIBC__)
  // What the load freed goes back to the system before the reconciliation reads back in this
  // process: glibc keeps freed memory in the arenas that held it, where the reconciliation's
  // threads need not reuse it. (At 100,000 persons the process still peaks ~35 MiB above the
  // load's end, within the budget; this call's share of that was not measured apart.)
  malloc_trim(0);
#endif
  if (extraction)
    observer.extracted(extraction->finish());
  observer.timed(step, seconds_since(started));
  session.throw_if_failed();
  result.end = StepResult::End::loaded;
  return result;
}

}  // namespace atsm::pipeline
