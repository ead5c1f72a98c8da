// Reconcile: proves what a migration did. Counts per kind from the staging store, the ledger and
// the audit trail (every staged record must end done, skipped or failed: anything else is an
// unexplained difference), then a field-level read-back through the sink's `read_back` of a
// random sample plus every edge-case cohort, each mismatch named by record and field.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>

#include "pipeline/plan.hpp"
#include "pipeline/reasons.hpp"
#include "pipeline/session.hpp"

namespace atsm::pipeline {

struct ReconcileOptions {
  double sample_fraction = 0.05;  // of each kind's written records, at least sample_minimum
  std::size_t sample_minimum = 50;
  std::uint64_t seed = 1;       // the sample is the same for the same seed and work dir
  std::size_t max_files = 500;  // files are read back (downloaded) up to this many
};

struct Reconciliation {
  boost::json::object counts;      // per kind
  boost::json::array unexplained;  // {kind, key, problem}
  boost::json::array failures;     // {kind, key, message, vendor_code, vendor_request_id}
  // Records the sink holds back until an operator's step in the target (kHeldVendorCode):
  // {kind, key, message}; the message names the step. A re-run after the step writes them.
  boost::json::array held;
  boost::json::array mismatches;  // {kind, key, target_id, field, expected, found}
  // Records chosen for the read-back that the target could not serve now (after retries):
  // {kind, key, target_id, message}. Not a mismatch, and not clean either.
  boost::json::array unread;
  boost::json::object read_back;  // per kind: {checked, mismatched, unread, cohorts: {name: n}}
  bool read_back_available = true;
};

// Skipped records go to `reasons` (when given) by reason class; counts.<kind>.skipped counts by
// class either way.
Reconciliation reconcile(Session& session, const Plan& plan, const ReconcileOptions& options,
                         RecordsByReason* reasons = nullptr);

}  // namespace atsm::pipeline
