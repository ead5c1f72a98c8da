#include "lever_source.hpp"

#include <algorithm>
#include <array>

namespace atsm::lever {

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

std::string require_string(const json::value& value, const std::string& key) {
  if (!value.is_string())
    throw sdk::Error(ATSM_INVALID, "lever config key '" + key + "' must be a string");
  return std::string(value.as_string());
}

std::string require_choice(const json::value& value, const std::string& key,
                           std::initializer_list<const char*> choices) {
  std::string text = require_string(value, key);
  std::string allowed;
  for (const char* choice : choices) {
    if (text == choice)
      return text;
    allowed += (allowed.empty() ? "" : ", ") + std::string("\"") + choice + "\"";
  }
  throw sdk::Error(ATSM_INVALID,
                   "lever config key '" + key + "' is \"" + text + "\"; expected " + allowed);
}

}  // namespace

Settings parse_settings(std::string_view config_json) {
  boost::system::error_code error;
  json::value config = json::parse(config_json, error);
  if (error || !config.is_object())
    throw sdk::Error(ATSM_INVALID, "lever config is not a JSON object");
  Settings settings;
  std::vector<std::string> unknown;
  for (const auto& [key_view, value] : config.as_object()) {
    std::string key(key_view);
    if (key == "base_url") {
      settings.client.base_url = require_string(value, key);
      if (settings.client.base_url.rfind("http://", 0) != 0 &&
          settings.client.base_url.rfind("https://", 0) != 0)
        throw sdk::Error(ATSM_INVALID, "lever config key 'base_url' must be an http(s) URL");
    } else if (key == "page_size") {
      std::optional<std::int64_t> size = parse_millis(value);
      if (!size || value.is_string() || *size < 1 || *size > 100)
        throw sdk::Error(ATSM_INVALID,
                         "lever config key 'page_size' must be an integer from 1 to 100");
      settings.client.page_size = static_cast<int>(*size);
    } else if (key == "since") {
      std::string text = require_string(value, key);
      settings.since = model::timestamp_to_epoch_millis(text);
      if (!settings.since || *settings.since < 0)
        throw sdk::Error(ATSM_INVALID, "lever config key 'since' is \"" + text +
                                           "\"; expected an ISO 8601 date-time with an offset, "
                                           "e.g. 2024-05-01T00:00:00Z");
    } else if (key == "confidential") {
      settings.include_confidential = require_choice(value, key, {"include", "skip"}) == "include";
    } else if (key == "rate_scale") {
      if (!value.is_number() || !(value.to_number<double>() > 0))
        throw sdk::Error(ATSM_INVALID, "lever config key 'rate_scale' must be a positive number");
      settings.rate_scale = value.to_number<double>();
    } else if (key == "auth") {
      settings.client.auth = require_choice(value, key, {"api_key", "oauth"}) == "oauth"
                                 ? AuthMode::oauth
                                 : AuthMode::api_key;
    } else if (key == "oauth_token_url") {
      settings.client.oauth_token_url = require_string(value, key);
    } else if (key == "delta_children") {
      settings.delta_children_recent = require_choice(value, key, {"sweep", "recent"}) == "recent";
    } else if (key == "concurrency") {
      std::optional<std::int64_t> width = parse_millis(value);
      if (!width || value.is_string() || *width < 0 || *width > 32)
        throw sdk::Error(ATSM_INVALID,
                         "lever config key 'concurrency' must be an integer from 0 to 32");
      settings.concurrency = static_cast<int>(*width);
    } else if (key == "profile_forms") {
      settings.profile_forms = require_choice(value, key, {"include", "skip"}) == "include";
    } else {
      unknown.push_back(key);
    }
  }
  if (!unknown.empty()) {
    std::string names;
    for (const std::string& name : unknown)
      names += (names.empty() ? "" : ", ") + name;
    throw sdk::Error(ATSM_INVALID, "unknown lever config key(s): " + names);
  }
  return settings;
}

json::object parse_checkpoint(const std::string& kind, const std::string& checkpoint) {
  if (checkpoint.empty())
    return {};
  boost::system::error_code error;
  json::value value = json::parse(checkpoint, error);
  if (error || !value.is_object())
    throw sdk::Error(ATSM_INVALID, "lever checkpoint for " + kind + " is not a JSON object");
  // A checkpoint holding none of the members this connector writes is another's (sdk/README.md:
  // a foreign checkpoint is ATSM_INVALID, never a silent restart from the beginning).
  static constexpr std::array kMembers = {"after",  "after_contact", "count",  "from",  "last",
                                          "offset", "owed",          "phase",  "retry", "snapshot",
                                          "width",  "window_end",    "refetch"};
  const json::object& object = value.as_object();
  if (!object.empty() && std::none_of(kMembers.begin(), kMembers.end(),
                                      [&](const char* member) { return object.contains(member); }))
    throw sdk::Error(ATSM_INVALID,
                     "lever checkpoint for " + kind +
                         " is not one this connector wrote: " + checkpoint.substr(0, 80));
  return std::move(value.as_object());
}

std::optional<std::string> string_member(const json::object& object, const char* key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string())
    return std::nullopt;
  return std::string(value->as_string());
}

std::int64_t int_member(const json::object& object, const char* key, std::int64_t fallback) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr)
    return fallback;
  return parse_millis(*value).value_or(fallback);
}

// The identity of a list item: its id, or its text for /sources and /tags.
std::string item_id(const json::value& item) {
  if (!item.is_object())
    return {};
  for (const char* key : {"id", "text"})
    if (const json::value* value = item.as_object().if_contains(key); value && value->is_string())
      return std::string(value->as_string());
  return {};
}

}  // namespace atsm::lever
