#include <atsmigrate/kit/config.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atsmigrate/connector.hpp>
#include <atsmigrate/kit/json_reader.hpp>
#include <atsmigrate/model/time.hpp>

namespace atsm::kit {
namespace json = boost::json;

namespace {

KeyType of(KeyType::Kind kind) {
  KeyType type;
  type.kind = kind;
  return type;
}

}  // namespace

KeyType text() {
  return of(KeyType::Kind::text);
}
KeyType http_url() {
  return of(KeyType::Kind::http_url);
}
KeyType integer(std::int64_t min, std::int64_t max) {
  KeyType type = of(KeyType::Kind::integer);
  type.min = min;
  type.max = max;
  return type;
}
KeyType positive_number() {
  return of(KeyType::Kind::positive_number);
}
KeyType choice(std::vector<std::string> choices) {
  KeyType type = of(KeyType::Kind::choice);
  type.choices = std::move(choices);
  return type;
}
KeyType timestamp() {
  return of(KeyType::Kind::timestamp);
}
KeyType string_list() {
  return of(KeyType::Kind::string_list);
}
KeyType boolean() {
  return of(KeyType::Kind::boolean);
}
KeyType numeric_id() {
  return of(KeyType::Kind::numeric_id);
}
KeyType json_object() {
  return of(KeyType::Kind::json_object);
}

KeyType KeyType::declared_as(std::string type) const {
  KeyType shown = *this;
  shown.declared = std::move(type);
  return shown;
}

const char* declared_type(const KeyType& type) {
  if (!type.declared.empty())
    return type.declared.c_str();
  switch (type.kind) {
    case KeyType::Kind::integer:
      return "integer";
    case KeyType::Kind::positive_number:
      return "number";
    case KeyType::Kind::string_list:
      return "array";
    case KeyType::Kind::boolean:
      return "boolean";
    case KeyType::Kind::json_object:
      return "object";
    case KeyType::Kind::text:
    case KeyType::Kind::http_url:
    case KeyType::Kind::choice:
    case KeyType::Kind::timestamp:
    case KeyType::Kind::numeric_id:
      break;
  }
  return "string";
}

namespace {

std::string joined(const std::vector<std::string>& names, const char* quote) {
  std::string out;
  for (const std::string& name : names)
    out += (out.empty() ? "" : ", ") + std::string(quote) + name + quote;
  return out;
}

// "a,b, c" as ["a","b","c"]: empty parts are dropped.
json::array split_list(std::string_view text) {
  json::array out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string_view part = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    std::size_t first = part.find_first_not_of(" \t");
    if (first != std::string_view::npos)
      out.emplace_back(part.substr(first, part.find_last_not_of(" \t") - first + 1));
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return out;
}

// `given` in the form the key's type names; throws ATSM_INVALID naming the key.
json::value checked(const std::string& connector, const ConfigKey& key, const json::value& given) {
  const std::string where = connector + " config key '" + key.name + "'";
  auto refuse = [&](const std::string& why) -> json::value {
    throw sdk::Error(ATSM_INVALID, where + " " + why);
  };
  auto require_text = [&]() -> std::string {
    if (!given.is_string())
      refuse("must be a string, not " + std::string(json_type(given)));
    return std::string(given.as_string());
  };
  switch (key.type.kind) {
    case KeyType::Kind::text:
      return json::string(require_text());
    case KeyType::Kind::http_url: {
      std::string url = require_text();
      if (!url.starts_with("http://") && !url.starts_with("https://"))
        refuse("must be an http(s) URL");
      return json::string(url);
    }
    case KeyType::Kind::integer: {
      std::optional<std::int64_t> number = whole_number(given);
      if (!number || *number < key.type.min || *number > key.type.max)
        refuse("must be an integer from " + std::to_string(key.type.min) + " to " +
               std::to_string(key.type.max));
      return *number;
    }
    case KeyType::Kind::positive_number:
      if (!given.is_number() || !(given.to_number<double>() > 0) ||
          !std::isfinite(given.to_number<double>()))
        refuse("must be a positive number");
      return given.to_number<double>();
    case KeyType::Kind::choice: {
      std::string text =
          given.is_string() ? std::string(given.as_string()) : json::serialize(given);
      if (given.is_string() && std::find(key.type.choices.begin(), key.type.choices.end(), text) !=
                                   key.type.choices.end())
        return json::string(text);
      return refuse("is " + (given.is_string() ? "\"" + text + "\"" : text) + "; expected " +
                    joined(key.type.choices, "\""));
    }
    case KeyType::Kind::timestamp: {
      std::string text = require_text();
      std::optional<std::string> normalised = model::normalize_timestamp(text);
      if (!normalised)
        refuse("is \"" + text +
               "\"; expected an ISO 8601 date-time with an offset, e.g. 2024-05-01T00:00:00Z");
      return json::string(*normalised);
    }
    case KeyType::Kind::string_list: {
      if (given.is_string())
        return split_list(given.as_string());
      if (!given.is_array())
        refuse("must be a JSON array of strings or a comma-separated string");
      for (const json::value& item : given.as_array())
        if (!item.is_string())
          refuse("must hold strings only, not " + std::string(json_type(item)));
      return given;
    }
    case KeyType::Kind::boolean:
      if (given.is_bool())
        return given;
      if (given.is_string() && (given.as_string() == "true" || given.as_string() == "false"))
        return given.as_string() == "true";
      return refuse("must be true or false");
    case KeyType::Kind::numeric_id: {
      std::optional<std::string> id = id_text(given);
      if (!id || id->empty() ||
          !std::all_of(id->begin(), id->end(), [](char c) { return c >= '0' && c <= '9'; }))
        refuse("must be a numeric id");
      return json::string(*id);
    }
    case KeyType::Kind::json_object:
      if (!given.is_object())
        refuse("must be a JSON object, not " + std::string(json_type(given)));
      return given;
  }
  return given;
}

}  // namespace

ConfigTable::ConfigTable(std::string connector, std::vector<ConfigKey> keys)
    : connector_(std::move(connector)), keys_(std::move(keys)) {
  json::array described;
  for (const ConfigKey& key : keys_) {
    json::object entry{
        {"name", key.name}, {"type", declared_type(key.type)}, {"description", key.description}};
    if (!key.fallback.is_null())
      entry["default"] = key.fallback;
    entry["required"] = key.required;
    described.push_back(std::move(entry));
  }
  keys_json_ = json::serialize(described);
}

Config ConfigTable::parse(std::string_view config_json) const {
  boost::system::error_code error;
  json::value parsed =
      config_json.empty() ? json::value(json::object()) : json::parse(config_json, error);
  if (error || !parsed.is_object())
    throw sdk::Error(ATSM_INVALID, connector_ + " config is not a JSON object");
  const json::object& given = parsed.as_object();

  std::vector<std::string> unknown;
  for (const auto& [name, value] : given)
    if (std::none_of(keys_.begin(), keys_.end(),
                     [&](const ConfigKey& key) { return key.name == std::string_view(name); }))
      unknown.emplace_back(name);
  if (!unknown.empty()) {
    std::vector<std::string> valid;
    for (const ConfigKey& key : keys_)
      valid.push_back(key.name);
    throw sdk::Error(ATSM_INVALID, connector_ + " config: unknown key" +
                                       (unknown.size() > 1 ? "s " : " ") + joined(unknown, "'") +
                                       "; valid keys: " + joined(valid, ""));
  }

  Config config;
  config.connector_ = connector_;
  for (const ConfigKey& key : keys_) {
    const json::value* value = given.if_contains(key.name);
    if (value == nullptr) {
      if (key.required)
        throw sdk::Error(ATSM_INVALID, connector_ + " config key '" + key.name +
                                           "' is required: " + key.description);
      config.values_[key.name] =
          key.fallback.is_null() ? json::value() : checked(connector_, key, key.fallback);
      continue;
    }
    config.values_[key.name] = checked(connector_, key, *value);
    config.given_.push_back(key.name);
  }
  return config;
}

const json::value& Config::declared(std::string_view name) const {
  const json::value* value = values_.if_contains(name);
  if (value == nullptr)
    throw sdk::Error(ATSM_INTERNAL,
                     connector_ + " config: no key '" + std::string(name) + "' is declared");
  return *value;
}

bool Config::given(std::string_view name) const {
  declared(name);
  return std::find(given_.begin(), given_.end(), name) != given_.end();
}

const json::value& Config::value(std::string_view name) const {
  return declared(name);
}

std::optional<std::string> Config::optional_text(std::string_view name) const {
  const json::value& value = declared(name);
  if (value.is_null())
    return std::nullopt;
  if (!value.is_string())
    throw sdk::Error(ATSM_INTERNAL,
                     connector_ + " config key '" + std::string(name) + "' is not text");
  return std::string(value.as_string());
}

std::string Config::text(std::string_view name) const {
  return optional_text(name).value_or("");
}

std::int64_t Config::integer(std::string_view name) const {
  const json::value& value = declared(name);
  if (!value.is_int64())
    throw sdk::Error(ATSM_INTERNAL, connector_ + " config key '" + std::string(name) +
                                        "' is not an integer with a default");
  return value.as_int64();
}

double Config::number(std::string_view name) const {
  const json::value& value = declared(name);
  if (!value.is_number())
    throw sdk::Error(ATSM_INTERNAL, connector_ + " config key '" + std::string(name) +
                                        "' is not a number with a default");
  return value.to_number<double>();
}

bool Config::flag(std::string_view name) const {
  const json::value& value = declared(name);
  if (!value.is_bool())
    throw sdk::Error(ATSM_INTERNAL, connector_ + " config key '" + std::string(name) +
                                        "' is not a boolean with a default");
  return value.as_bool();
}

std::vector<std::string> Config::list(std::string_view name) const {
  const json::value& value = declared(name);
  std::vector<std::string> out;
  if (value.is_array())
    for (const json::value& item : value.as_array())
      out.emplace_back(item.as_string());
  return out;
}

}  // namespace atsm::kit
