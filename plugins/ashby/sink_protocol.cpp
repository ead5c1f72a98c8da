// The JSON the sink protocol exchanges: the config, write items and their results.
#include "ashby_sink.hpp"

#include <functional>

#include "model/codec.hpp"
#include "sink_support.hpp"

namespace atsm::ashby {

namespace {

using json::array;
using json::object;
using json::value;

}  // namespace

SinkOptions parse_sink_options(std::string_view config_json) {
  SinkOptions options;
  boost::system::error_code ec;
  value parsed = json::parse(config_json, ec);
  if (ec || !parsed.is_object())
    invalid("ashby config: expected a JSON object, got '" + std::string(config_json.substr(0, 80)) +
            "'");
  std::map<std::string, std::string*, std::less<>> strings{
      {"base_url", &options.base_url},
      {"feedback_form", &options.feedback_form},
      {"default_interview_plan", &options.default_interview_plan},
      {"default_archive_reason", &options.default_archive_reason},
      {"legacy_candidate_field", &options.legacy_candidate_field},
      {"legacy_application_field", &options.legacy_application_field},
      {"jobless", &options.jobless},
      {"jobless_job", &options.jobless_job},
      {"scorecards", &options.scorecards},
      {"private_notes", &options.private_notes},
      {"interviews", &options.interviews},
      {"offers", &options.offers},
      {"uploads", &options.uploads},
      {"fallback_user", &options.fallback_user},
      {"confidential_jobs", &options.confidential_jobs}};
  std::vector<std::string> unknown;
  for (const auto& [key, member] : parsed.as_object()) {
    if (key == "rate_limit_per_minute") {
      if (!member.is_number() || member.to_number<double>() <= 0)
        invalid("ashby config: 'rate_limit_per_minute' must be a positive number");
      options.rate_limit_per_minute = member.to_number<double>();
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
  auto check = [](const std::string& key, const std::string& got,
                  std::initializer_list<const char*> allowed) {
    for (const char* choice : allowed)
      if (got == choice)
        return;
    std::string list;
    for (const char* choice : allowed)
      list += (list.empty() ? "" : " | ") + std::string(choice);
    invalid("ashby config: '" + key + "' must be " + list + ", not '" + got + "'");
  };
  check("jobless", options.jobless, {"candidate_only", "lead_application"});
  check("scorecards", options.scorecards, {"feedback_and_note", "feedback", "note"});
  check("private_notes", options.private_notes, {"private", "skip"});
  check("interviews", options.interviews, {"note", "skip"});
  check("offers", options.offers, {"note", "skip"});
  check("uploads", options.uploads, {"handle", "multipart"});
  check("confidential_jobs", options.confidential_jobs, {"hold", "proceed"});
  if (options.base_url.rfind("http://", 0) != 0 && options.base_url.rfind("https://", 0) != 0)
    invalid("ashby config: 'base_url' must be an http(s) URL, not '" + options.base_url + "'");
  return options;
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
