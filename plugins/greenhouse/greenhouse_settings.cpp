#include "greenhouse_source.hpp"

#include <algorithm>
#include <array>

namespace atsm::greenhouse {

namespace {

std::string require_string(const json::value& value, const std::string& key) {
  if (!value.is_string())
    throw sdk::Error(ATSM_INVALID, "greenhouse config key '" + key + "' must be a string");
  return std::string(value.as_string());
}

// An integer setting: a JSON integer, an integral number or digits as text (--set gives text).
std::optional<std::int64_t> whole_number(const json::value& value) {
  if (value.is_int64())
    return value.as_int64();
  if (value.is_uint64() && value.as_uint64() < 1000000000ull)
    return static_cast<std::int64_t>(value.as_uint64());
  if (value.is_double()) {
    double number = value.as_double();
    if (number >= -1e9 && number <= 1e9 &&
        number == static_cast<double>(static_cast<std::int64_t>(number)))
      return static_cast<std::int64_t>(number);
  }
  if (value.is_string())
    if (std::optional<std::string> digits = id_text(value); digits && digits->size() <= 9)
      return std::stoll(*digits);
  return std::nullopt;
}

std::string require_url(const json::value& value, const std::string& key) {
  std::string url = require_string(value, key);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw sdk::Error(ATSM_INVALID, "greenhouse config key '" + key + "' must be an http(s) URL");
  return url;
}

}  // namespace

Settings parse_settings(std::string_view config_json) {
  boost::system::error_code error;
  json::value config = json::parse(config_json, error);
  if (error || !config.is_object())
    throw sdk::Error(ATSM_INVALID, "greenhouse config is not a JSON object");
  Settings settings;
  std::vector<std::string> unknown;
  for (const auto& [key_view, value] : config.as_object()) {
    std::string key(key_view);
    if (key == "base_url") {
      settings.client.base_url = require_url(value, key);
    } else if (key == "token_url") {
      settings.client.token_url = require_url(value, key);
    } else if (key == "per_page") {
      std::optional<std::int64_t> size = whole_number(value);
      if (!size || *size < 1 || *size > 500)
        throw sdk::Error(ATSM_INVALID,
                         "greenhouse config key 'per_page' must be an integer from 1 to 500");
      settings.client.per_page = static_cast<int>(*size);
    } else if (key == "since") {
      std::string text = require_string(value, key);
      settings.since = model::normalize_timestamp(text);
      if (!settings.since)
        throw sdk::Error(ATSM_INVALID, "greenhouse config key 'since' is \"" + text +
                                           "\"; expected an ISO 8601 date-time with an offset, "
                                           "e.g. 2024-05-01T00:00:00Z");
    } else if (key == "on_behalf_of") {
      std::optional<std::string> id = id_text(value);
      if (!id)
        throw sdk::Error(ATSM_INVALID,
                         "greenhouse config key 'on_behalf_of' must be a numeric Greenhouse "
                         "user id (the acting Site Admin)");
      settings.client.on_behalf_of = *id;
    } else if (key == "rate_limit") {
      std::optional<std::int64_t> limit = whole_number(value);
      if (!limit || *limit < 1 || *limit > 100000)
        throw sdk::Error(ATSM_INVALID,
                         "greenhouse config key 'rate_limit' must be a positive integer "
                         "(requests per 30-second window)");
      settings.window_limit = static_cast<std::uint32_t>(*limit);
    } else if (key == "rate_scale") {
      if (!value.is_number() || !(value.to_number<double>() > 0))
        throw sdk::Error(ATSM_INVALID,
                         "greenhouse config key 'rate_scale' must be a positive number");
      settings.rate_scale = value.to_number<double>();
    } else {
      unknown.push_back(key);
    }
  }
  if (!unknown.empty()) {
    std::string names;
    for (const std::string& name : unknown)
      names += (names.empty() ? "" : ", ") + name;
    throw sdk::Error(ATSM_INVALID, "unknown greenhouse config key(s): " + names);
  }
  return settings;
}

Position parse_checkpoint(const std::string& kind, const std::string& checkpoint) {
  Position position;
  if (checkpoint.empty())
    return position;
  boost::system::error_code error;
  json::value value = json::parse(checkpoint, error);
  if (error || !value.is_object())
    throw sdk::Error(ATSM_INVALID, "greenhouse checkpoint for " + kind + " is not a JSON object");
  const json::object& object = value.as_object();
  // A checkpoint holding none of the members this connector (or the host's re-fetch) writes is
  // another's: ATSM_INVALID (sdk/README.md), never a silent restart from the beginning.
  static constexpr std::array kMembers = {"page", "last_id", "owed", "retry", "refetch"};
  if (!object.empty() && std::none_of(kMembers.begin(), kMembers.end(),
                                      [&](const char* member) { return object.contains(member); }))
    throw sdk::Error(ATSM_INVALID,
                     "greenhouse checkpoint for " + kind +
                         " is not one this connector wrote: " + checkpoint.substr(0, 80));
  if (const json::value* page = object.if_contains("page"); page && page->is_string())
    position.page = std::string(page->as_string());
  if (const json::value* last = object.if_contains("last_id"); last && last->is_int64())
    position.last_id = last->as_int64();
  auto ids = [&](const char* key) {
    if (const json::value* list = object.if_contains(key); list && list->is_array())
      for (const json::value& id : list->as_array())
        if (id.is_string())
          position.owed.emplace_back(id.as_string());
  };
  ids("owed");
  if (object.contains("retry")) {
    position.retry_only = true;
    ids("retry");
  }
  // The host's re-fetch of staged attachments whose bytes the work dir lost
  // (sdk/docs/sink-protocol.md §5): fetched like the ones a read could not fetch, by id.
  if (const json::value* list = object.if_contains("refetch"); list && list->is_array()) {
    position.retry_only = true;
    const std::string prefix = source_key("attachment", "");
    for (const json::value& entry : list->as_array())
      if (const json::value* key =
              entry.is_object() ? entry.as_object().if_contains("source_key") : nullptr;
          key && key->is_string() && key->as_string().starts_with(prefix))
        position.owed.push_back(std::string(key->as_string()).substr(prefix.size()));
  }
  return position;
}

namespace {

json::array id_array(const std::vector<std::string>& ids) {
  json::array out;
  for (const std::string& id : ids)
    out.emplace_back(id);
  return out;
}

}  // namespace

std::string checkpoint_text(const std::optional<std::string>& page, std::int64_t last_id,
                            const std::vector<std::string>& owed) {
  json::object out{{"last_id", last_id}};
  if (page)
    out["page"] = *page;
  if (!owed.empty())
    out["owed"] = id_array(owed);
  return json::serialize(out);
}

// The walk is over and only `ids` are still to fetch; "" (the kind is complete) when none are.
std::string retry_checkpoint(const std::vector<std::string>& ids) {
  return ids.empty() ? std::string() : json::serialize(json::object{{"retry", id_array(ids)}});
}

}  // namespace atsm::greenhouse
