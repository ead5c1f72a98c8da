// The reconciliation report: report.json (schema: sdk/schema/report.schema.json) and a
// self-contained report.html, written by `atsmigrate report` and at the end of every migration.
// Built here, below the CLI, which only prints it (cli/report_command.hpp).
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "pipeline/load.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/reconcile.hpp"
#include "pipeline/session.hpp"

namespace atsm::report {

// Appends this run's calls per vendor and its wall time to WORKDIR/runs.jsonl, which the report
// sums over every run of the work dir.
// `since`: the calls as calls_json gave them at the step's start, for a step that is not the
// process's first (only the difference is logged).
void append_run_log(pipeline::Session& session, const std::string& step, double wall_seconds,
                    const boost::json::object* since = nullptr);

// Reconciles, then assembles the report. `last_run`: the load this process just ran, if any.
boost::json::object build_report(pipeline::Session& session, const pipeline::Plan& plan,
                                 const pipeline::ReconcileOptions& options,
                                 const pipeline::LoadStats* last_run);

// report.json and report.html in the work dir (0600).
void write_report_files(pipeline::Session& session, const boost::json::object& report);

// The HTML page of a report: no network resources, readable on a phone.
std::string render_report_html(const boost::json::object& report);

}  // namespace atsm::report
