// Duplicates the target holds, from a sink's census (extension atsm.sink.census/1): a source
// record that became two target objects, two migrated persons with one email, an object the
// ledger does not know. A ledger that was lost or damaged cannot see them; the target can.
#pragma once

#include <boost/json/array.hpp>
#include <functional>
#include <optional>
#include <set>
#include <string>

namespace atsm::pipeline {

// What the ledger says `key` was written as (state done), nullopt when it knows none.
using LedgerTargetOf = std::function<std::optional<std::string>(const std::string& key)>;

// The problems in `census` (entries {"target_id", "keys", "emails"}) of `kind`, each
// {"kind", "key", "problem"} as the reconciliation lists its unexplained differences. Only keys
// of `sources` count: another migration's objects are not this one's to judge. Emails are
// compared normalised (model/email.hpp) and never printed (the report is forwarded).
boost::json::array duplicates_in_census(const std::string& kind, const boost::json::array& census,
                                        const std::set<std::string>& sources,
                                        const LedgerTargetOf& ledger_target_of);

}  // namespace atsm::pipeline
