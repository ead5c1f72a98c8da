#include <atsmigrate/kit/json_reader.hpp>

#include <cmath>
#include <functional>

#include <boost/json/serialize.hpp>

#include <atsmigrate/connector.hpp>

namespace atsm::kit {
namespace json = boost::json;

const char* json_type(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

std::optional<std::int64_t> whole_number(const json::value& value) {
  if (value.is_int64())
    return value.as_int64();
  if (value.is_uint64()) {
    if (value.as_uint64() > static_cast<std::uint64_t>(INT64_MAX))
      return std::nullopt;
    return static_cast<std::int64_t>(value.as_uint64());
  }
  if (value.is_double()) {
    double number = value.as_double();
    if (!std::isfinite(number) || std::floor(number) != number || std::fabs(number) > 9.0e15)
      return std::nullopt;
    return static_cast<std::int64_t>(number);
  }
  if (value.is_string()) {
    std::string_view text = value.as_string();
    std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
    if (digits.empty() || digits.size() > 18)
      return std::nullopt;
    for (char c : digits)
      if (c < '0' || c > '9')
        return std::nullopt;
    return std::stoll(std::string(text));
  }
  return std::nullopt;
}

std::optional<std::string> id_text(const json::value& value) {
  if (value.is_int64())
    return std::to_string(value.as_int64());
  if (value.is_uint64())
    return std::to_string(value.as_uint64());
  if (value.is_string() && !value.as_string().empty())
    return std::string(value.as_string());
  return std::nullopt;
}

std::optional<std::string> string_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string())
    return std::nullopt;
  return std::string(value->as_string());
}

std::string string_member_or(const json::object& object, std::string_view key,
                             std::string fallback) {
  std::optional<std::string> text = string_member(object, key);
  return text ? *text : std::move(fallback);
}

std::int64_t int_member(const json::object& object, std::string_view key, std::int64_t fallback) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr)
    return fallback;
  return whole_number(*value).value_or(fallback);
}

std::optional<bool> bool_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_bool())
    return std::nullopt;
  return value->as_bool();
}

const json::array* array_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_array() ? &value->as_array() : nullptr;
}

const json::object* object_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_object() ? &value->as_object() : nullptr;
}

namespace {

const json::value& required(const json::object& object, std::string_view key,
                            std::string_view record) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr)
    throw sdk::Error(ATSM_INVALID,
                     std::string(record) + ": field '" + std::string(key) + "' is missing");
  return *value;
}

[[noreturn]] void wrong_type(std::string_view key, std::string_view record, const char* expected,
                             const json::value& got) {
  throw sdk::Error(ATSM_INVALID, std::string(record) + ": field '" + std::string(key) +
                                     "': expected " + expected + ", got " + json_type(got));
}

}  // namespace

const json::object& require_object(const json::value& value, std::string_view record) {
  if (!value.is_object())
    throw sdk::Error(ATSM_INVALID,
                     std::string(record) + ": expected an object, got " + json_type(value));
  return value.as_object();
}

std::string require_string(const json::object& object, std::string_view key,
                           std::string_view record) {
  const json::value& value = required(object, key, record);
  if (!value.is_string())
    wrong_type(key, record, "a string", value);
  return std::string(value.as_string());
}

std::int64_t require_integer(const json::object& object, std::string_view key,
                             std::string_view record) {
  const json::value& value = required(object, key, record);
  if (value.is_string() || !whole_number(value))
    wrong_type(key, record, "an integer", value);
  return *whole_number(value);
}

std::string missing_id(const json::value& raw) {
  return "missing-id-" + std::to_string(std::hash<std::string>{}(json::serialize(raw)));
}

}  // namespace atsm::kit
