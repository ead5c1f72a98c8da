// The JSON the sink protocol exchanges: the config, prepare's options, write items and their
// results.
#include "ashby_sink.hpp"

#include <functional>
#include <initializer_list>
#include <set>

#include <atsmigrate/model/codec.hpp>
#include "sink_support.hpp"

namespace atsm::ashby {

namespace {

// The migration options (the mapping file's "options", sdk/docs/sink-protocol.md §1): the host
// reads them and hands them to prepare; as config keys they are refused, saying where they went.
const std::set<std::string, std::less<>> kMigrationOptions{
    "dedup",        "jobless",      "scorecards", "private_notes", "interviews",
    "offers",       "confidential", "prospects",  "feedback_form", "default_interview_plan",
    "fallback_user"};

// Refuses `got` unless it is one of `allowed`, naming `key` and where it was read (`where`).
void check_choice(const std::string& where, const std::string& key, const std::string& got,
                  std::initializer_list<const char*> allowed) {
  for (const char* choice : allowed)
    if (got == choice)
      return;
  std::string list;
  for (const char* choice : allowed)
    list += (list.empty() ? "" : " | ") + std::string(choice);
  invalid(where + ": '" + key + "' must be " + list + ", not '" + got + "'");
}

}  // namespace

SinkConfig parse_sink_config(std::string_view config_json) {
  SinkConfig config;
  boost::system::error_code ec;
  value parsed = json::parse(config_json, ec);
  if (ec || !parsed.is_object())
    invalid("ashby config: expected a JSON object, got '" + std::string(config_json.substr(0, 80)) +
            "'");
  std::map<std::string, std::string*, std::less<>> strings{
      {"base_url", &config.base_url},
      {"default_archive_reason", &config.default_archive_reason},
      {"legacy_candidate_field", &config.legacy_candidate_field},
      {"legacy_application_field", &config.legacy_application_field},
      {"jobless_job", &config.jobless_job},
      {"uploads", &config.uploads},
      {"confidential_jobs", &config.confidential_jobs}};
  std::vector<std::string> unknown;
  for (const auto& [key, member] : parsed.as_object()) {
    if (kMigrationOptions.count(std::string_view(key)) > 0)
      invalid("ashby config: '" + std::string(key) +
              "' is a migration option, no longer an Ashby config key: set it in the mapping "
              "file's \"options\" (\"" +
              std::string(key) + "\": ...), which the plan hands to the sink; drop --set ashby." +
              std::string(key));
    if (key == "rate_limit_per_minute") {
      if (!member.is_number() || member.to_number<double>() <= 0)
        invalid("ashby config: 'rate_limit_per_minute' must be a positive number");
      config.rate_limit_per_minute = member.to_number<double>();
      continue;
    }
    auto it = strings.find(std::string_view(key));
    if (it == strings.end()) {
      unknown.push_back(std::string(key));
      continue;
    }
    if (!member.is_string())
      invalid("ashby config: '" + std::string(key) + "' must be a string");
    *it->second = std::string(member.as_string());
  }
  if (!unknown.empty()) {
    std::string names;
    for (const std::string& name : unknown)
      names += (names.empty() ? "'" : ", '") + name + "'";
    invalid("ashby config: unknown key(s) " + names);
  }
  check_choice("ashby config", "uploads", config.uploads, {"handle", "multipart"});
  check_choice("ashby config", "confidential_jobs", config.confidential_jobs, {"hold", "proceed"});
  if (config.base_url.rfind("http://", 0) != 0 && config.base_url.rfind("https://", 0) != 0)
    invalid("ashby config: 'base_url' must be an http(s) URL, not '" + config.base_url + "'");
  return config;
}

PlanOptions parse_plan_options(const value* options) {
  PlanOptions plan;
  if (options == nullptr || options->is_null())
    return plan;
  if (!options->is_object())
    invalid("ashby prepare: the plan's 'options' is not a JSON object");
  const std::string where = "ashby prepare: options";
  for (auto [key, field] : std::initializer_list<std::pair<const char*, std::string*>>{
           {"jobless", &plan.jobless},
           {"scorecards", &plan.scorecards},
           {"feedback_form", &plan.feedback_form},
           {"default_interview_plan", &plan.default_interview_plan},
           {"fallback_user", &plan.fallback_user}}) {
    const value* member = options->as_object().if_contains(key);
    if (member == nullptr || member->is_null())
      continue;  // left out: the host's default
    if (!member->is_string())
      invalid(where + ": '" + key + "' must be a string");
    *field = std::string(member->as_string());
  }
  check_choice(where, "jobless", plan.jobless, {"candidate_only", "lead_application"});
  check_choice(where, "scorecards", plan.scorecards, {"feedback_and_note", "feedback", "note"});
  return plan;
}

WriteItem parse_write_item(const value& json_item, const std::string& kind) {
  if (!json_item.is_object())
    invalid("write item of kind " + kind + ": expected a JSON object");
  const object& raw = json_item.as_object();
  WriteItem item;
  item.key = text_of(raw, "key");
  if (item.key.empty())
    invalid("write item of kind " + kind + ": field 'key' is missing or not a string");
  const value* record = raw.if_contains("record");
  if (record == nullptr)
    invalid("write item " + item.key + ": field 'record' is missing");
  try {
    item.record = model::record_from_json(*record);
    if (const array* group = array_at(raw, "group"))
      for (const value& member : *group)
        item.group.push_back(model::record_from_json(member));
  } catch (const model::ModelError& error) {
    invalid("write item " + item.key + ": " + error.what());
  }
  std::string record_kind(model::to_string(model::kind_of(item.record)));
  if (record_kind != kind)
    invalid("write item " + item.key + ": field 'record': a " + record_kind +
            " record in a write of kind " + kind);
  if (const object* refs = object_at(raw, "refs")) {
    for (const auto& [key, target] : *refs) {
      if (!target.is_string())
        invalid("write item " + item.key + ": field 'refs." + std::string(key) +
                "' must be a string");
      item.refs[std::string(key)] = std::string(target.as_string());
    }
  }
  item.target_id = text_of(raw, "target_id");
  if (const value* lookup = raw.if_contains("lookup_first"); lookup && lookup->is_bool())
    item.lookup_first = lookup->as_bool();
  for (const auto& [key, member] : raw)
    if (key != "key" && key != "record" && key != "group" && key != "refs" && key != "target_id" &&
        key != "lookup_first" && key != "attempt")
      item.extra[key] = member;
  return item;
}

object ItemResult::to_json() const {
  array lossy_json;
  for (const std::string& line : lossy)
    lossy_json.emplace_back(line);
  object out{{"key", key},
             {"status", status},
             {"target_id", target_id},
             {"derived", derived},
             {"lossy", std::move(lossy_json)},
             {"message", message},
             {"vendor_code", vendor_code},
             {"vendor_request_id", vendor_request_id}};
  if (!skipped.empty())
    out["skipped"] = skipped;
  return out;
}

}  // namespace atsm::ashby
