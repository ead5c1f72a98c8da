// The plan's forecast (what `--dry-run` shows): per kind, what the load will create, update,
// leave unchanged, merge, skip (with the reason) and encode lossily (with what is lost), and the
// calls it will make in the target with the time they take at the target's rate limit.
#pragma once

#include <boost/json/object.hpp>

#include "pipeline/plan.hpp"
#include "pipeline/session.hpp"

namespace atsm::pipeline {

// {"kinds": {kind: {create, update, unchanged, merged, skipped: {reason: n}, lossy: {what: n},
//  calls, incomplete?}}, "calls": {"total", "limit_per_second", "seconds"}}
boost::json::object forecast(Session& session, const Plan& plan);

// Prints the forecast as a table on stderr.
void print_forecast(const boost::json::object& forecast);

}  // namespace atsm::pipeline
