// The migration options (the mapping file's `options`, docs/mapping.md §10), defined once:
// migration_option_specs() is the host's single list of names, choices, defaults and
// descriptions; sdk/schema/migration-options.schema.json publishes the same list (a test holds
// the two equal). The host parses them once, applies the skip rules itself (pipeline/load.hpp,
// skip_reason), and hands a sink every option with its default filled in (prepare's `options`).
#pragma once

#include <boost/json/object.hpp>
#include <span>
#include <string>
#include <vector>

namespace atsm::pipeline {

struct MigrationOptions {
  MigrationOptions();  // every option at its default (migration_option_specs)

  std::string dedup;
  std::string jobless;
  std::string scorecards;
  std::string private_notes;
  std::string interviews;
  std::string offers;
  std::string confidential;
  std::string prospects;
  std::string feedback_form;
  std::string default_interview_plan;
  std::string fallback_user;

  // Every option, by name, defaults filled in: what plan.json and a sink's prepare receive.
  boost::json::object to_json() const;
  // The mapping file's `options` member (absent: every default); each problem names its option.
  static MigrationOptions from_json(const boost::json::value* given,
                                    std::vector<std::string>& problems);
};

struct MigrationOptionSpec {
  const char* name;
  std::vector<const char*> choices;  // empty: any string
  const char* default_value;
  const char* description;
  std::string MigrationOptions::*field;
};

// In the order the schema lists them.
std::span<const MigrationOptionSpec> migration_option_specs();

}  // namespace atsm::pipeline
