// The JSON the sink protocol exchanges: the config, prepare's options, write items and their
// results.
#include "ashby_sink.hpp"

#include <functional>
#include <initializer_list>
#include <set>

#include <atsmigrate/kit/config.hpp>
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

const kit::ConfigTable kConfig(
    "ashby",
    {
        {.name = "base_url",
         .type = kit::http_url(),
         .description = "Ashby API base URL",
         .fallback = "https://api.ashbyhq.com"},
        {.name = "rate_limit_per_minute",
         .type = kit::positive_number(),
         .description = "requests per minute for the API key (Ashby: 1,000)",
         .fallback = 1000},
        {.name = "default_archive_reason",
         .type = kit::text(),
         .description = "archive reason (title or id) of archived candidacies whose reason is "
                        "not mapped; empty: none, such a candidacy fails",
         .fallback = "Other"},
        {.name = "legacy_candidate_field",
         .type = kit::text(),
         .description = "candidate custom field holding the source ids (created when missing)",
         .fallback = "Legacy IDs"},
        {.name = "legacy_application_field",
         .type = kit::text(),
         .description = "application custom field holding the source id (created when missing)",
         .fallback = "Legacy ID"},
        {.name = "jobless_job",
         .type = kit::text(),
         .description = "Ashby job (title or id) of lead applications (options.jobless: "
                        "lead_application)",
         .fallback = ""},
        {.name = "uploads",
         .type = kit::choice({"handle", "multipart"}),
         .description = "handle (upload-handle flow, multipart fallback) | multipart",
         .fallback = "handle"},
        {.name = "confidential_jobs",
         .type = kit::choice({"hold", "proceed"}),
         .description = "hold (candidacies of a job confidential in the source wait until the "
                        "job is confidential in Ashby: the operator marks it in the web app, then "
                        "runs again) | proceed (write them at once)",
         .fallback = "hold"},
    });

SinkConfig parse_sink_config(std::string_view config_json) {
  // A migration option given as a config key is refused saying where it went, before the table
  // would call it merely unknown.
  boost::system::error_code ec;
  value parsed = json::parse(config_json, ec);
  if (!ec && parsed.is_object())
    for (const auto& [key, member] : parsed.as_object())
      if (kMigrationOptions.count(std::string_view(key)) > 0)
        invalid("ashby config: '" + std::string(key) +
                "' is a migration option, no longer an Ashby config key: set it in the mapping "
                "file's \"options\" (\"" +
                std::string(key) + "\": ...), which the plan hands to the sink; drop --set ashby." +
                std::string(key));
  const kit::Config config = kConfig.parse(config_json);
  SinkConfig sink;
  sink.base_url = config.text("base_url");
  sink.rate_limit_per_minute = config.number("rate_limit_per_minute");
  sink.default_archive_reason = config.text("default_archive_reason");
  sink.legacy_candidate_field = config.text("legacy_candidate_field");
  sink.legacy_application_field = config.text("legacy_application_field");
  sink.jobless_job = config.text("jobless_job");
  sink.uploads = config.text("uploads");
  sink.confidential_jobs = config.text("confidential_jobs");
  return sink;
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
