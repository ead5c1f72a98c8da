// Plan: what each staged record becomes in the target (docs/mapping.md), decided before any write.
// Deduplicates persons by normalised email across every source staged in the work dir, resolves
// every reference the records use through the mapping file and the sink's catalog, and fails
// with the complete list of what is unmapped.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pipeline/migration_options.hpp"
#include "pipeline/person_groups.hpp"
#include "pipeline/session.hpp"

namespace atsm::pipeline {

// The reference kinds a target already holds and the mapping file maps (never created).
inline const std::vector<std::string> kMappedKinds = {"user", "stage", "archive_reason", "source",
                                                      "custom_field"};

struct Plan {
  MigrationOptions options;
  boost::json::object prepared;  // the sink's prepare answer
  boost::json::object catalog;   // its catalog
  // kind -> source key -> target id, for the mapped kinds.
  std::map<std::string, std::map<std::string, std::string>> resolved;
  std::vector<PersonGroup> groups;              // only groups of two or more
  std::map<std::string, size_t> group_of;       // person source key -> index in groups
  std::map<std::string, std::string> job_plan;  // job source key -> interview plan name
  std::vector<std::string> unmapped;            // fails the plan when not empty
  std::set<std::string> carried_tags;           // tag names a migrated person or candidacy carries
  boost::json::object summary;                  // written to plan.json
};

// Reads the mapping file (--mapping, else the work dir's mapping.json when present); writes a
// starter mapping.json into the work dir when there is none. Throws UsageError listing every
// unmapped reference, or every problem of the mapping file.
Plan make_plan(Session& session);

}  // namespace atsm::pipeline
