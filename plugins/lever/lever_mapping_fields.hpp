// Internal to the Lever mapping (the lever_mapping*.cpp files): typed, problem-recording access to
// vendor objects and the helpers every mapper shares. Not part of the mapping's interface.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>

#include <atsmigrate/kit/json_reader.hpp>
#include <atsmigrate/model/time.hpp>
#include "lever_mapping.hpp"

namespace atsm::lever {
namespace json = boost::json;

// Typed, problem-recording access to the members of one vendor object.
class Fields {
 public:
  Fields(const json::value& raw, ValidationErrors& problems, std::string prefix = "")
      : problems_(problems), prefix_(std::move(prefix)) {
    if (raw.is_object()) {
      object_ = &raw.as_object();
    } else {
      problems_.add(prefix_.empty() ? "(record)" : prefix_,
                    std::string("expected an object, got ") + kit::json_type(raw));
    }
  }

  const json::value* get(const char* key) const {
    if (object_ == nullptr)
      return nullptr;
    const json::value* value = object_->if_contains(key);
    return value == nullptr || value->is_null() ? nullptr : value;
  }

  std::optional<std::string> text(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return std::nullopt;
    if (value->is_string())
      return std::string(value->as_string());
    wrong_type(key, "a string", *value);
    return std::nullopt;
  }

  // A string that must be present and non-empty (ids).
  std::string required_id(const char* key) {
    std::optional<std::string> value = text(key);
    if (!value || value->empty()) {
      if (get(key) == nullptr)
        problems_.add(path(key), "required id is missing");
      return {};
    }
    return *value;
  }

  std::optional<std::int64_t> millis(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return std::nullopt;
    std::optional<std::int64_t> parsed = parse_millis(*value);
    if (!parsed)
      problems_.add(path(key), std::string("expected epoch milliseconds, got ") +
                                   kit::json_type(*value) + " " +
                                   json::serialize(*value).substr(0, 60));
    return parsed;
  }

  // The ISO 8601 form of an epoch-ms member.
  std::optional<std::string> time(const char* key) {
    std::optional<std::int64_t> ms = millis(key);
    if (!ms)
      return std::nullopt;
    try {
      return model::format_epoch_millis(*ms);
    } catch (const std::out_of_range&) {
      problems_.add(path(key), "timestamp " + std::to_string(*ms) + " is outside years 0000-9999");
      return std::nullopt;
    }
  }

  std::optional<bool> boolean(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return std::nullopt;
    if (value->is_bool())
      return value->as_bool();
    wrong_type(key, "a boolean", *value);
    return std::nullopt;
  }

  const json::array* array(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return nullptr;
    if (value->is_array())
      return &value->as_array();
    wrong_type(key, "an array", *value);
    return nullptr;
  }

  const json::object* object(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return nullptr;
    if (value->is_object())
      return &value->as_object();
    wrong_type(key, "an object", *value);
    return nullptr;
  }

  // Strings of an array member; non-strings are reported.
  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    if (const json::array* items = array(key)) {
      for (std::size_t i = 0; i < items->size(); ++i) {
        if ((*items)[i].is_string())
          out.emplace_back((*items)[i].as_string());
        else
          problems_.add(path(key) + "[" + std::to_string(i) + "]",
                        std::string("expected a string, got ") + kit::json_type((*items)[i]));
      }
    }
    return out;
  }

  // A reference that is either an id or an expanded object with an id (owner, user, ...).
  std::optional<std::string> ref_id(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return std::nullopt;
    if (value->is_string())
      return value->as_string().empty() ? std::nullopt
                                        : std::optional<std::string>(value->as_string());
    if (value->is_object()) {
      const json::value* id = value->as_object().if_contains("id");
      if (id != nullptr && id->is_string() && !id->as_string().empty())
        return std::string(id->as_string());
      problems_.add(path(key) + ".id", "expanded object has no id");
      return std::nullopt;
    }
    wrong_type(key, "an id or an object", *value);
    return std::nullopt;
  }

  // A member that must be one of `allowed`; an unknown value is reported and returned as is.
  std::optional<std::string> one_of(const char* key, std::initializer_list<const char*> allowed) {
    std::optional<std::string> value = text(key);
    if (value && std::none_of(allowed.begin(), allowed.end(),
                              [&](const char* name) { return *value == name; })) {
      std::string choices;
      for (const char* name : allowed)
        choices += (choices.empty() ? "" : "|") + std::string(name);
      problems_.add(path(key), "unknown value \"" + *value + "\" (expected " + choices + ")");
    }
    return value;
  }

  std::string path(const char* key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  ValidationErrors& problems() { return problems_; }

 private:
  void wrong_type(const char* key, const char* expected, const json::value& got) {
    problems_.add(path(key), std::string("expected ") + expected + ", got " + kit::json_type(got));
  }

  const json::object* object_ = nullptr;
  ValidationErrors& problems_;
  std::string prefix_;
};

template <class T>
T start_record(const json::value& raw, const std::string& object, const std::string& id) {
  T record;
  record.source = kSourceName;
  record.source_key = source_key(object, id.empty() ? kit::missing_id(raw) : id);
  record.raw = raw;
  return record;
}

template <class T>
model::Record finish(T&& record, const ValidationErrors& problems) {
  problems.write_to(record.extra);
  return model::Record(std::forward<T>(record));
}

std::optional<std::string> user_key(const std::optional<std::string>& id);

// Lever sends a date-only value (a date field, an anticipated start date) as the epoch ms of
// midnight in the account's time zone: the documented profile-form date 1418716800000 is
// 2014-12-16T08:00Z, midnight US Pacific ("profile_form_retrieve"). Local midnights fall on
// whole quarter hours; the calendar date is the UTC date twelve hours later, right for every
// zone from UTC-11:45 to UTC+12 (not for UTC+12:45..+14, where it lands a day late). A value
// that is not on a quarter hour is an instant, and its UTC date is taken.
std::optional<std::string> date_of_local_midnight(std::int64_t ms);

std::string child_key_person(const OpportunityRef& opportunity);

}  // namespace atsm::lever
