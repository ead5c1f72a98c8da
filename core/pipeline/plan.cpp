#include "pipeline/plan.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <fstream>
#include <numeric>
#include <set>

#include <atsmigrate/model/email.hpp>
#include <atsmigrate/model/kind.hpp>
#include "pipeline/extract.hpp"
#include "pipeline/forecast.hpp"
#include "pipeline/load.hpp"
#include "pipeline/references.hpp"

namespace atsm::pipeline {
namespace {

namespace json = boost::json;

std::string lower_trimmed(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  std::string out = begin == std::string_view::npos
                        ? std::string()
                        : std::string(text.substr(begin, end - begin + 1));
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string string_or(const json::object& object, const char* key, std::string fallback = {}) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : fallback;
}

std::optional<json::object> read_mapping_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json::error_code error;
  json::value value = json::parse(text, error);
  if (error)
    throw UsageError(
        fmt::format("mapping file {}: not valid JSON: {}", file.string(), error.message()));
  if (!value.is_object())
    throw UsageError(fmt::format("mapping file {}: expected a JSON object", file.string()));
  return value.as_object();
}

// The catalog entry (an object with "id") a target name designates, or nullptr.
const json::object* find_in_catalog(const json::object& catalog, const std::string& kind,
                                    const std::string& target, const std::string& plan_name) {
  const json::value* entries = catalog.if_contains(kind);
  if (entries == nullptr || !entries->is_array())
    return nullptr;
  std::string wanted = lower_trimmed(target);
  const json::object* fallback = nullptr;
  for (const json::value& entry : entries->as_array()) {
    if (!entry.is_object())
      continue;
    const json::object& object = entry.as_object();
    bool match = lower_trimmed(string_or(object, "name")) == wanted ||
                 (kind == "user" && lower_trimmed(string_or(object, "email")) == wanted);
    if (!match)
      continue;
    // Stages are per interview plan: prefer the job's own plan.
    if (plan_name.empty() || string_or(object, "plan") == plan_name)
      return &object;
    if (fallback == nullptr)
      fallback = &object;
  }
  return fallback;
}

// Starter mapping: the catalog entry that matches a source reference by name (users by email),
// then (stages and archive reasons) by type.
std::optional<std::string> starter_target(const json::object& catalog, const std::string& kind,
                                          const json::object& reference) {
  if (kind == "user") {
    std::string email = string_or(reference, "email");
    if (!email.empty() && find_in_catalog(catalog, kind, email, ""))
      return email;
    // The target account may carry one of the user's other addresses (user.alternate_emails).
    if (const json::value* others = reference.if_contains("alternate_emails");
        others && others->is_array())
      for (const json::value& other : others->as_array())
        if (other.is_string() && !other.as_string().empty() &&
            find_in_catalog(catalog, kind, std::string(other.as_string()), ""))
          return std::string(other.as_string());
  }
  std::string name = string_or(reference, "name");
  if (const json::object* entry = find_in_catalog(catalog, kind, name, "")) {
    return kind == "user" && !string_or(*entry, "email").empty() ? string_or(*entry, "email")
                                                                 : string_or(*entry, "name");
  }
  const char* type_field = kind == "stage"            ? "stage_type"
                           : kind == "archive_reason" ? "type"
                                                      : nullptr;
  if (type_field != nullptr && !string_or(reference, type_field).empty()) {
    const json::value* entries = catalog.if_contains(kind);
    if (entries && entries->is_array()) {
      for (const json::value& entry : entries->as_array()) {
        if (entry.is_object() &&
            string_or(entry.as_object(), type_field) == string_or(reference, type_field)) {
          return string_or(entry.as_object(), "name");
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

// Steps 3 and 4 of the plan for a sink that maps references: the starter mapping (written or
// extended for this source), then every used reference resolved to a target id.
static void resolve_through_mapping(Session& session, Plan& plan,
                                    std::optional<json::object>& mapping, json::object& references,
                                    std::map<std::string, std::set<std::string>>& used,
                                    const json::object& prepared) {
  store::StagingStore& staging = session.staging();
  const std::string source = session.options().source;
  // 3. A starter mapping when the user has none: matched by name where possible. A work-dir
  // mapping written for another source (consolidation into the same work dir) gains starter
  // entries for this source's references; entries already there are never changed. A mapping the
  // user keeps elsewhere (--mapping) is never written: what it lacks fails the plan by name.
  const bool own_file = !session.options().mapping_file;
  json::object starter = mapping.value_or(json::object{{"options", plan.options.to_json()}});
  json::array unmatched;
  if (const json::value* before = starter.if_contains("unmatched"); before && before->is_array())
    unmatched = before->as_array();
  size_t added = 0;
  for (const std::string& kind : kMappedKinds) {
    json::value& section = starter[kind];
    if (!section.is_object())
      section = json::object();
    json::object& entries = section.as_object();
    for (const json::value& value : references[kind].as_array()) {
      const json::object& reference = value.as_object();
      std::string key = string_or(reference, "source_key");
      if (entries.contains(key))
        continue;
      std::optional<std::string> target = starter_target(plan.catalog, kind, reference);
      json::object entry{{"name", string_or(reference, "name")}};
      if (kind == "user")
        entry["email"] = string_or(reference, "email");
      entry["target"] = target ? json::value(*target) : json::value(nullptr);
      bool hired = kind == "archive_reason" && string_or(reference, "type") == "hired";
      if (!target && used[kind].contains(key) && !hired) {
        unmatched.push_back(json::object{
            {"kind", kind}, {"source_key", key}, {"name", string_or(reference, "name")}});
      }
      entries[key] = std::move(entry);
      ++added;
    }
  }
  json::value& jobs = starter["jobs"];
  if (!jobs.is_object())
    jobs = json::object();
  staging.for_each({"job", source}, [&](const store::StagedRecord& staged) {
    if (jobs.as_object().contains(staged.source_key))
      return;
    json::object job = json::parse(staged.record_json).as_object();
    jobs.as_object()[staged.source_key] =
        json::object{{"title", string_or(job, "title")}, {"interview_plan", nullptr}};
    ++added;
  });
  starter["unmatched"] = std::move(unmatched);
  if (own_file && (!mapping || added > 0)) {
    write_private_file(session.work_dir().starter_mapping(), json::serialize(starter));
    if (mapping) {
      spdlog::info("added {} starter entr{} for the references of source '{}' to {}", added,
                   added == 1 ? "y" : "ies", source, session.work_dir().starter_mapping().string());
    } else {
      spdlog::info("wrote a starter mapping file: {} ({} reference(s) it could not match)",
                   session.work_dir().starter_mapping().string(),
                   starter["unmatched"].as_array().size());
    }
    mapping = std::move(starter);
  }

  // 4. Resolve every used reference to a target id.
  for (const json::value& value :
       prepared.if_contains("missing") && prepared.at("missing").is_array()
           ? prepared.at("missing").as_array()
           : json::array()) {
    if (!value.is_object())
      continue;
    plan.unmapped.push_back(fmt::format("{} '{}': {}", string_or(value.as_object(), "kind"),
                                        string_or(value.as_object(), "name"),
                                        string_or(value.as_object(), "reason")));
  }
  if (const json::value* jobs = mapping->if_contains("jobs"); jobs && jobs->is_object()) {
    for (const auto& [key, entry] : jobs->as_object()) {
      if (entry.is_object())
        plan.job_plan[std::string(key)] = string_or(entry.as_object(), "interview_plan");
    }
  }
  const json::object* fallback_user = nullptr;
  if (!plan.options.fallback_user.empty()) {
    fallback_user = find_in_catalog(plan.catalog, "user", plan.options.fallback_user, "");
    if (fallback_user == nullptr) {
      plan.unmapped.push_back(fmt::format("options.fallback_user '{}' is not a user of the target",
                                          plan.options.fallback_user));
    }
  }
  // Hired-type archive reasons become the Hired status, not an archive reason (docs/mapping.md §4).
  std::set<std::string> hired_reasons;
  for (const json::value& reason : references["archive_reason"].as_array()) {
    if (string_or(reason.as_object(), "type") == "hired")
      hired_reasons.insert(string_or(reason.as_object(), "source_key"));
  }
  for (const std::string& kind : kMappedKinds) {
    const json::value* section = mapping->if_contains(kind);
    for (const std::string& key : used[kind]) {
      if (kind == "archive_reason" && hired_reasons.contains(key))
        continue;
      const json::value* entry =
          section && section->is_object() ? section->as_object().if_contains(key) : nullptr;
      std::string name = entry && entry->is_object() ? string_or(entry->as_object(), "name") : "";
      std::string label = name.empty() ? key : fmt::format("{} ({})", key, name);
      const json::value* target =
          entry && entry->is_object() ? entry->as_object().if_contains("target") : nullptr;
      if (target && target->is_string() && target->as_string() == "skip" && kind == "custom_field")
        continue;
      if (target == nullptr || !target->is_string()) {
        if (kind == "user" && fallback_user) {
          plan.resolved[kind][key] = string_or(*fallback_user, "id");
          continue;
        }
        plan.unmapped.push_back(
            fmt::format("{} {}: not mapped{}", kind, label,
                        kind == "user" ? " (map it, or set options.fallback_user)" : ""));
        continue;
      }
      const json::object* found =
          find_in_catalog(plan.catalog, kind, std::string(target->as_string()),
                          plan.options.default_interview_plan);
      if (found == nullptr) {
        plan.unmapped.push_back(fmt::format("{} {}: mapped to '{}', which the target does not have",
                                            kind, label, std::string(target->as_string())));
        continue;
      }
      plan.resolved[kind][key] = string_or(*found, "id");
    }
  }
}

namespace {

// The source's reference records (kind -> array), and which of them the other records use.
struct StagedReferences {
  json::object records;
  std::map<std::string, std::set<std::string>> used;  // kind -> source keys
};

// Step 1: the source's reference records, and which of them the other records use; the tags a
// candidacy carries join the plan's carried tags.
StagedReferences gather_references(Session& session, Plan& plan,
                                   const std::map<std::string, int64_t>& counts) {
  const std::string source = session.options().source;
  store::StagingStore& staging = session.staging();
  StagedReferences references;
  for (const std::string& kind : kMappedKinds) {
    json::array list;
    staging.for_each({kind, source}, [&](const store::StagedRecord& staged) {
      json::value record = json::parse(staged.record_json);
      list.push_back(std::move(record));
    });
    references.records[kind] = std::move(list);
  }
  std::map<std::string, std::set<std::string>>& used = references.used;
  for (const auto& [kind, count] : counts) {
    if (std::find(kMappedKinds.begin(), kMappedKinds.end(), kind) != kMappedKinds.end())
      continue;
    if (!model::kind_from_string(kind))
      continue;  // rejected:* and other bookkeeping
    staging.for_each({kind, source}, [&](const store::StagedRecord& staged) {
      json::value record = json::parse(staged.record_json);
      for_each_reference(record, kind, [&](const std::string& ref_kind, const std::string& key) {
        used[ref_kind].insert(key);
      });
      // The sink adds a candidacy's tags to its candidate (persons' are gathered below).
      if (const json::value* tags = record.as_object().if_contains("tags");
          kind == "candidacy" && tags && tags->is_array()) {
        for (const json::value& tag : tags->as_array())
          if (tag.is_string())
            plan.carried_tags.emplace(tag.as_string());
      }
    });
  }

  // A migration plans before the kinds that hang off candidates (notes, feedback...) are all
  // staged: any user may be their author, so every user must resolve.
  for (const std::string& kind : session.source_plugin().source_kinds()) {
    if (!planned_kind(kind) && staging.checkpoint(source, kind) != kExtractComplete) {
      for (const json::value& user : references.records["user"].as_array())
        used["user"].insert(string_or(user.as_object(), "source_key"));
      break;
    }
  }
  return references;
}

// Step 2, first half: the mapping file (absent: none yet) and its options, checked.
std::optional<json::object> read_mapping_and_options(Session& session, Plan& plan,
                                                     const std::filesystem::path& mapping_path,
                                                     bool verbatim) {
  std::optional<json::object> mapping = read_mapping_file(mapping_path);
  if (!mapping && session.options().mapping_file) {
    throw UsageError(fmt::format("--mapping {}: cannot read the file", mapping_path.string()));
  }
  std::vector<std::string> problems;
  plan.options =
      MigrationOptions::from_json(mapping ? mapping->if_contains("options") : nullptr, problems);
  // A verbatim sink (an archive) keeps every person as its own record and needs no mapping.
  if (verbatim)
    plan.options.dedup = "none";
  if (!problems.empty())
    throw UsageError(
        fmt::format("mapping file {}:\n  {}", mapping_path.string(), fmt::join(problems, "\n  ")));
  return mapping;
}

// Step 2, second half: the sink's prepare (sink-protocol.md §1), with every option, and its
// catalog.
void prepare_sink(Session& session, Plan& plan, const std::map<std::string, int64_t>& counts,
                  const json::object& references, const std::optional<json::object>& mapping) {
  const std::string source = session.options().source;
  json::object counts_json;
  for (const auto& [kind, count] : counts)
    counts_json[kind] = count;
  // The jobs the load will write, so the sink can name before any write what its target's API
  // cannot do for them (e.g. Ashby cannot make a job confidential: sink-protocol.md §1).
  json::array staged_jobs;
  session.staging().for_each({"job", source}, [&](const store::StagedRecord& staged) {
    json::object job = json::parse(staged.record_json).as_object();
    const json::value* confidential = job.if_contains("confidential");
    bool is_confidential = confidential && confidential->is_bool() && confidential->as_bool();
    if (is_confidential && plan.options.confidential == "skip")
      return;
    staged_jobs.push_back(json::object{{"source_key", staged.source_key},
                                       {"title", string_or(job, "title")},
                                       {"status", string_or(job, "status")},
                                       {"confidential", is_confidential}});
  });
  json::object prepare_input{{"source", source},
                             {"source_display_names", session.source_display_names()},
                             {"options", plan.options.to_json()},
                             {"counts", counts_json},
                             {"references", references},
                             {"jobs", std::move(staged_jobs)},
                             {"mapping", mapping.value_or(json::object())}};
  plan.prepared = with_retries(
      "prepare", [&] { return session.sink().prepare(json::serialize(prepare_input)); });
  if (const json::value* catalog = plan.prepared.if_contains("catalog");
      catalog && catalog->is_object()) {
    plan.catalog = catalog->as_object();
  }
}

// Step 5: persons, one group per normalised email across every source in the work dir; the
// tags a migrated person carries join the plan's carried tags.
void group_staged_persons(Session& session, Plan& plan) {
  std::vector<PersonIdentity> persons;
  session.staging().for_each({"person", std::nullopt}, [&](const store::StagedRecord& staged) {
    json::object person = json::parse(staged.record_json).as_object();
    // docs/mapping.md §3: a candidate's tags are the union of its records' tags, created when
    // missing; a tag no migrated record carries is not created.
    if (const json::value* tags = person.if_contains("tags");
        tags && tags->is_array() && skip_reason("person", person, plan).empty()) {
      for (const json::value& tag : tags->as_array())
        if (tag.is_string())
          plan.carried_tags.emplace(tag.as_string());
    }
    PersonIdentity identity{
        staged.source_key, string_or(person, "updated_at", string_or(person, "created_at")), {}};
    if (const json::value* emails = person.if_contains("emails"); emails && emails->is_array()) {
      for (const json::value& email : emails->as_array())
        if (email.is_object())
          identity.emails.push_back(string_or(email.as_object(), "address"));
    }
    persons.push_back(std::move(identity));
  });
  plan.groups = group_persons(persons, plan.options.dedup == "email");
  for (size_t index = 0; index < plan.groups.size(); ++index)
    for (const std::string& key : plan.groups[index].members)
      plan.group_of[key] = index;
}

// Step 6: the summary plan.json carries.
json::object summarise(Session& session, const Plan& plan,
                       const std::map<std::string, int64_t>& counts) {
  json::object per_kind;
  for (const auto& [kind, count] : counts) {
    if (!model::kind_from_string(kind))
      continue;
    per_kind[kind] = json::object{{"staged", count}};
  }
  json::array merges;
  size_t merged_away = 0;
  for (const PersonGroup& group : plan.groups) {
    json::array member_keys, emails;
    for (const std::string& key : group.members)
      member_keys.emplace_back(key);
    for (const std::string& email : group.matched_emails)
      emails.emplace_back(email);
    merges.push_back(
        json::object{{"candidate", group.primary}, {"members", member_keys}, {"emails", emails}});
    merged_away += group.members.size() - 1;
  }
  json::array unmapped;
  for (const std::string& line : plan.unmapped)
    unmapped.emplace_back(line);
  json::object summary = {{"source", session.options().source},
                          {"sink", session.options().sink},
                          {"options", plan.options.to_json()},
                          {"kinds", per_kind},
                          {"persons_merged", merged_away},
                          {"merges", merges},
                          {"unmapped", unmapped}};
  // The sink's steps for the operator (what its API cannot do), in plan.json and the report.
  if (const json::value* steps = plan.prepared.if_contains("operator_steps");
      steps && steps->is_array() && !steps->as_array().empty())
    summary["operator_steps"] = *steps;
  return summary;
}

}  // namespace

Plan make_plan(Session& session) {
  Plan plan;
  std::map<std::string, int64_t> counts = session.staging().counts(session.options().source);
  // 1. The source's reference records, and which of them the other records use.
  StagedReferences references = gather_references(session, plan, counts);

  // 2. The mapping file, its options, and the sink's catalog.
  std::filesystem::path mapping_path =
      session.options().mapping_file.value_or(session.work_dir().starter_mapping());
  const bool verbatim = (session.sink_plugin().descriptor().capabilities & ATSM_CAP_VERBATIM) != 0;
  std::optional<json::object> mapping =
      read_mapping_and_options(session, plan, mapping_path, verbatim);
  prepare_sink(session, plan, counts, references.records, mapping);

  // 3 and 4. Every used reference resolved to a target id.
  if (verbatim) {
    // A verbatim sink keeps every reference as the source gave it: each one is its own target,
    // whatever its name, and no mapping file is involved.
    for (const std::string& kind : kMappedKinds)
      for (const std::string& key : references.used[kind])
        plan.resolved[kind][key] = key;
  } else {
    resolve_through_mapping(session, plan, mapping, references.records, references.used,
                            plan.prepared);
  }

  // 5. Persons: one group per normalised email across every source in the work dir.
  group_staged_persons(session, plan);

  // 6. The summary plan.json carries.
  plan.summary = summarise(session, plan, counts);
  if (plan.unmapped.empty())
    plan.summary["forecast"] = forecast(session, plan);
  write_private_file(session.work_dir().plan(), json::serialize(plan.summary));

  if (!plan.unmapped.empty()) {
    throw UsageError(
        fmt::format("the plan has {} unmapped reference(s); edit {} and run again:\n  {}",
                    plan.unmapped.size(), mapping_path.string(), fmt::join(plan.unmapped, "\n  ")));
  }
  return plan;
}

}  // namespace atsm::pipeline
