// Internal to the Greenhouse mapping (the greenhouse_mapping*.cpp files): typed, forgiving access
// to vendor objects and the helpers every mapper shares. Not part of the mapping's interface.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atsmigrate/kit/json_reader.hpp>
#include <atsmigrate/model/time.hpp>
#include "greenhouse_mapping.hpp"

namespace atsm::greenhouse {
namespace json = boost::json;

inline const json::object kEmptyObject;

// Typed, forgiving access to one vendor object: absent and null members read as nullopt, a
// member of the wrong type also reads as nullopt and is recorded as a problem under `prefix`.
class Fields {
 public:
  Fields(const json::value& raw, ValidationErrors& problems, std::string prefix = {})
      : object_(raw.is_object() ? raw.as_object() : kEmptyObject),
        problems_(problems),
        prefix_(std::move(prefix)) {
    if (!raw.is_object())
      problems_.add(prefix_.empty() ? "record" : prefix_,
                    std::string("expected an object, got ") + kit::json_type(raw));
  }

  Fields(const json::object& object, ValidationErrors& problems, std::string prefix)
      : object_(object), problems_(problems), prefix_(std::move(prefix)) {}

  std::string path(const std::string& key) const {
    return prefix_.empty() ? key : prefix_ + "." + key;
  }

  const json::value* member(const std::string& key) const {
    const json::value* value = object_.if_contains(key);
    return value == nullptr || value->is_null() ? nullptr : value;
  }

  std::optional<std::string> text(const std::string& key) const {
    const json::value* value = member(key);
    if (value == nullptr)
      return std::nullopt;
    if (!value->is_string()) {
      wrong(key, "a string", *value);
      return std::nullopt;
    }
    return std::string(value->as_string());
  }

  // Text that is also not blank.
  std::optional<std::string> words(const std::string& key) const {
    std::optional<std::string> value = text(key);
    if (!value || std::all_of(value->begin(), value->end(),
                              [](unsigned char c) { return std::isspace(c) != 0; }))
      return std::nullopt;
    return value;
  }

  std::optional<std::string> id(const std::string& key) const {
    const json::value* value = member(key);
    if (value == nullptr)
      return std::nullopt;
    std::optional<std::string> out = id_text(*value);
    if (!out)
      wrong(key, "an integer id", *value);
    return out;
  }

  std::optional<bool> flag(const std::string& key) const {
    const json::value* value = member(key);
    if (value == nullptr)
      return std::nullopt;
    if (!value->is_bool()) {
      wrong(key, "a boolean", *value);
      return std::nullopt;
    }
    return value->as_bool();
  }

  std::optional<std::int64_t> integer(const std::string& key) const {
    const json::value* value = member(key);
    if (value == nullptr)
      return std::nullopt;
    if (value->is_int64())
      return value->as_int64();
    if (value->is_uint64() && value->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
      return static_cast<std::int64_t>(value->as_uint64());
    wrong(key, "an integer", *value);
    return std::nullopt;
  }

  // An ISO 8601 date-time, normalised to UTC "Z".
  std::optional<std::string> time(const std::string& key) const {
    std::optional<std::string> value = text(key);
    if (!value)
      return std::nullopt;
    std::optional<std::string> normalized = model::normalize_timestamp(*value);
    if (!normalized)
      problems_.add(path(key), "\"" + *value + "\" is not an ISO 8601 date-time with an offset");
    return normalized;
  }

  // A "YYYY-MM-DD" date (the `_on` fields); a date-time keeps its date part.
  std::optional<std::string> date(const std::string& key) const {
    std::optional<std::string> value = text(key);
    if (!value)
      return std::nullopt;
    std::string day = value->substr(0, 10);
    if (!model::is_valid_date(day) || (value->size() > 10 && (*value)[10] != 'T')) {
      problems_.add(path(key), "\"" + *value + "\" is not a YYYY-MM-DD date");
      return std::nullopt;
    }
    return day;
  }

  const json::array* array(const std::string& key) const {
    const json::value* value = member(key);
    if (value == nullptr)
      return nullptr;
    if (!value->is_array()) {
      wrong(key, "an array", *value);
      return nullptr;
    }
    return &value->as_array();
  }

  const json::object* object(const std::string& key) const {
    const json::value* value = member(key);
    if (value == nullptr)
      return nullptr;
    if (!value->is_object()) {
      wrong(key, "an object", *value);
      return nullptr;
    }
    return &value->as_object();
  }

  std::vector<std::string> ids(const std::string& key) const {
    std::vector<std::string> out;
    if (const json::array* items = array(key))
      for (std::size_t i = 0; i < items->size(); ++i) {
        if (std::optional<std::string> id = id_text((*items)[i]))
          out.push_back(*id);
        else
          problems_.add(path(key) + "[" + std::to_string(i) + "]",
                        std::string("expected an integer id, got ") + kit::json_type((*items)[i]));
      }
    return out;
  }

 private:
  void wrong(const std::string& key, const char* expected, const json::value& got) const {
    problems_.add(path(key), std::string("expected ") + expected + ", got " + kit::json_type(got));
  }

  const json::object& object_;
  ValidationErrors& problems_;
  std::string prefix_;
};

std::string record_id(const Fields& fields, const json::value& raw, ValidationErrors& problems);

template <class T>
T start(const std::string& object, const json::value& raw, const Fields& fields,
        ValidationErrors& problems) {
  T record;
  record.source = kSourceName;
  record.source_key = source_key(object, record_id(fields, raw, problems));
  record.raw = raw;
  return record;
}

template <class T>
model::Record finish(T record, const ValidationErrors& problems) {
  problems.write_to(record.extra);
  return model::Record(std::move(record));
}

std::optional<std::string> key_of(const std::string& object, const std::optional<std::string>& id);
std::string lower(std::string text);
bool contains(const std::string& text, const char* part);

// v3 `custom_fields`: {<name_key>: {name, type, value}} (or a bare value). Empty values are not
// values; a user-typed value becomes that user's source key.
std::vector<model::CustomFieldValue> custom_field_values(const Fields& fields,
                                                         const std::string& object_type,
                                                         const CustomFieldIndex& index,
                                                         ValidationErrors& problems);
std::optional<model::Recommendation> recommendation(const std::string& rating);
// "2024-05-01" -> "2024-05-01T00:00:00Z": a day the model's timestamp fields can hold.
std::optional<std::string> day_start(const std::optional<std::string>& date);
// Child rows in creation order (ascending id): lists arrive id-descending.
std::vector<json::value> oldest_first(const std::vector<json::value>& rows);

}  // namespace atsm::greenhouse
