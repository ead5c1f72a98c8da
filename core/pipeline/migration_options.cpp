#include "pipeline/migration_options.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

namespace atsm::pipeline {
namespace {

namespace json = boost::json;

// Published as sdk/schema/migration-options.schema.json (tests/pipeline holds them equal).
// Built on first use, so a MigrationOptions made during static initialisation finds it.
const std::vector<MigrationOptionSpec>& specs() {
  static const std::vector<MigrationOptionSpec> kSpecs = {
      {"dedup",
       {"email", "none"},
       "email",
       "Persons sharing a normalised email (across every source of the work dir) become one "
       "candidate; none keeps every person its own. A verbatim sink always gets none.",
       &MigrationOptions::dedup},
      {"jobless",
       {"candidate_only", "lead_application"},
       "candidate_only",
       "A candidacy without a job: the candidate only (its notes, feedback and files attach to the "
       "candidate), or a lead application on the sink's holding job.",
       &MigrationOptions::jobless},
      {"scorecards",
       {"feedback_and_note", "feedback", "note"},
       "feedback_and_note",
       "What a scorecard or feedback form becomes: submitted feedback and a structured note, the "
       "feedback only, or the note only.",
       &MigrationOptions::scorecards},
      {"private_notes",
       {"private", "skip"},
       "private",
       "Private notes: written private, or skipped by the host (never sent to the sink).",
       &MigrationOptions::private_notes},
      {"interviews",
       {"note", "skip"},
       "note",
       "Interviews: one note per candidacy holding all of them, or skipped by the host.",
       &MigrationOptions::interviews},
      {"offers",
       {"note", "skip"},
       "note",
       "Offers: a note each, or skipped by the host.",
       &MigrationOptions::offers},
      {"confidential",
       {"migrate", "skip"},
       "migrate",
       "Records the source marks confidential: migrated, or skipped by the host (a confidential "
       "job is then not handed to prepare either).",
       &MigrationOptions::confidential},
      {"prospects",
       {"migrate", "skip"},
       "migrate",
       "Prospect candidacies: migrated, or skipped by the host.",
       &MigrationOptions::prospects},
      {"feedback_form",
       {},
       "Migrated feedback",
       "Name of the target's feedback form that migrated feedback is submitted on.",
       &MigrationOptions::feedback_form},
      {"default_interview_plan",
       {},
       "",
       "Interview plan a new job gets when the mapping file names none for it (jobs.<key>."
       "interview_plan); empty: the sink's own default.",
       &MigrationOptions::default_interview_plan},
      {"fallback_user",
       {},
       "",
       "Email of the target user every unmapped or deactivated source user maps to; empty: every "
       "used user must be mapped.",
       &MigrationOptions::fallback_user},
  };
  return kSpecs;
}

}  // namespace

std::span<const MigrationOptionSpec> migration_option_specs() {
  return specs();
}

MigrationOptions::MigrationOptions() {
  for (const MigrationOptionSpec& spec : specs())
    this->*spec.field = spec.default_value;
}

json::object MigrationOptions::to_json() const {
  json::object out;
  for (const MigrationOptionSpec& spec : specs())
    out[spec.name] = this->*spec.field;
  return out;
}

MigrationOptions MigrationOptions::from_json(const json::value* given,
                                             std::vector<std::string>& problems) {
  MigrationOptions options;
  if (given == nullptr)
    return options;
  if (!given->is_object()) {
    problems.emplace_back("mapping field 'options' must be an object");
    return options;
  }
  const json::object& o = given->as_object();
  for (const auto& [key, value] : o) {
    bool known = false;
    for (const MigrationOptionSpec& spec : specs())
      known = known || key == spec.name;
    if (!known)
      problems.push_back(fmt::format("mapping option '{}' is unknown", std::string(key)));
  }
  for (const MigrationOptionSpec& spec : specs()) {
    const json::value* value = o.if_contains(spec.name);
    if (value == nullptr)
      continue;
    if (spec.choices.size() == 0) {
      if (value->is_string())
        options.*spec.field = value->as_string();
      else
        problems.push_back(fmt::format("mapping option '{}': expected a string, got {}", spec.name,
                                       json::serialize(*value)));
      continue;
    }
    std::string text =
        value->is_string() ? std::string(value->as_string()) : json::serialize(*value);
    bool allowed = false;
    for (const char* choice : spec.choices)
      allowed = allowed || text == choice;
    if (allowed) {
      options.*spec.field = text;
    } else {
      problems.push_back(fmt::format("mapping option '{}': expected {}, got {}", spec.name,
                                     fmt::join(spec.choices, " | "), text));
    }
  }
  return options;
}

}  // namespace atsm::pipeline
