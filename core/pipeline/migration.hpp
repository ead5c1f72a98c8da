// The migration's step sequence: `migrate` (extract beside the load, plan, load), `extract`,
// `plan`, `load` and `report`, each on an open session. The command line parses its arguments
// into a StepRequest and prints what the StepObserver is told and what the step returns.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "host/plugin_calls.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/load.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/session.hpp"

namespace atsm::pipeline {

struct StepRequest {
  std::string step = "migrate";           // migrate | extract | plan | load | report
  bool dry_run = false;                   // migrate: plan and forecast, write nothing
  std::string since;                      // a delta read from this ISO 8601 time
  bool delta = false;                     // a delta read from the last complete read's start
  bool reread = false;                    // the source's whole snapshot read again (a fresh export)
  std::vector<std::string> reread_kinds;  // only these kinds read again
  unsigned workers = 0;                   // LoadOptions::workers
  std::int64_t load_chunk = 2000;
  // The exit status a plugin's exit() mid-step turns into (host::StepGuard).
  int exit_status_if_ended_early = 1;
};

// Told as the step goes, on the calling thread, in this order.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  // An earlier run did not finish (a plugin crashed it or called exit()).
  virtual void unfinished_step(const std::string& description) { (void)description; }
  virtual void delta_started(const std::string& source, const std::string& since) {
    (void)source;
    (void)since;
  }
  // --reread (`kinds` empty: every kind) or --reread-kind.
  virtual void reread_started(const std::string& source, const std::vector<std::string>& kinds) {
    (void)source;
    (void)kinds;
  }
  virtual void extracted(const ExtractStats& stats) { (void)stats; }
  // A step's calls and wall time, for the work dir's run log.
  virtual void timed(const std::string& step, double wall_seconds) {
    (void)step;
    (void)wall_seconds;
  }
  virtual void planned(const Plan& plan) { (void)plan; }
};

struct StepResult {
  enum class End {
    extracted,  // `extract`: everything staged (or `unfetched`)
    planned,    // `plan` or a dry run: plan.json written, nothing loaded
    loaded,     // the load ran: `load` holds its counts
    reported,   // `report`: the plan to reconcile against
  };
  End end = End::extracted;
  bool unfetched = false;  // extracted: records the source could not fetch now
  std::optional<Plan> plan;
  std::optional<LoadStats> load;
  // Guards the step until the caller has reported on it too (released when it goes).
  std::unique_ptr<host::StepGuard> guard;
};

// Runs one step on `session`; UsageError for what the user must change.
StepResult run_step(Session& session, const StepRequest& request, StepObserver& observer);

// The record of the step in progress, which a run that a plugin crashes or ends leaves behind.
std::filesystem::path step_record(const Session& session);

// The records staged from this session's source, per canonical kind.
std::map<std::string, int64_t> staged_counts(Session& session);

}  // namespace atsm::pipeline
