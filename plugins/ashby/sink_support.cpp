// Helpers shared by the parts of the Ashby sink (sink_support.hpp).
#include "sink_support.hpp"

#include <algorithm>
#include <cctype>

#include <atsmigrate/model/time.hpp>

namespace atsm::ashby {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Titles match the way an operator reads them: case and surrounding spaces do not matter.
std::string name_key(std::string_view name) {
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front())))
    name.remove_prefix(1);
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())))
    name.remove_suffix(1);
  return lower(name);
}

bool same_name(std::string_view a, std::string_view b) {
  return name_key(a) == name_key(b);
}

[[noreturn]] void invalid(const std::string& message) {
  throw sdk::Error(ATSM_INVALID, message);
}

bool transient(atsm_status status) {
  return status == ATSM_RETRY || status == ATSM_RATE_LIMITED || status == ATSM_AMBIGUOUS ||
         status == ATSM_CANCELLED;
}

std::optional<int64_t> epoch_ms(std::string_view timestamp) {
  return model::timestamp_to_epoch_millis(timestamp);
}

bool same_instant(const std::optional<std::string>& a, std::string_view b) {
  if (!a)
    return false;
  auto left = epoch_ms(*a), right = epoch_ms(b);
  return left && right && *left == *right;
}

const object* object_at(const object& parent, std::string_view key) {
  const value* member = parent.if_contains(key);
  return member != nullptr && member->is_object() ? &member->as_object() : nullptr;
}

const array* array_at(const object& parent, std::string_view key) {
  const value* member = parent.if_contains(key);
  return member != nullptr && member->is_array() ? &member->as_array() : nullptr;
}

object as_object(const value& results, const std::string& method) {
  if (!results.is_object())
    throw sdk::Error(ATSM_RETRY, "Ashby " + method + " answered a result that is not an object",
                     "malformed_response");
  return results.as_object();
}

// The value of the custom field titled `title` (case-insensitive) on an Ashby object.
std::string custom_value_by_title(const object& ashby_object, const std::string& title) {
  if (const array* fields = array_at(ashby_object, "customFields"))
    for (const value& field : *fields)
      if (field.is_object() && same_name(text_of(field.as_object(), "title"), title))
        if (const value* v = field.as_object().if_contains("value"); v && v->is_string())
          return std::string(v->as_string());
  return {};
}

std::set<std::string> split_keys(const std::string& text) {
  std::set<std::string> keys;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos)
      end = text.size();
    if (end > start)
      keys.insert(text.substr(start, end - start));
    start = end + 1;
  }
  return keys;
}

std::string join_keys(const std::set<std::string>& keys) {
  std::string text;
  for (const std::string& key : keys)
    text += (text.empty() ? "" : ";") + key;
  return text;
}

const char* ashby_object_type(model::CustomFieldObject object_type) {
  switch (object_type) {
    case model::CustomFieldObject::person:
      return "Candidate";
    case model::CustomFieldObject::candidacy:
      return "Application";
    case model::CustomFieldObject::job:
      return "Job";
  }
  return "Candidate";
}

bool is_true(const object& item, std::string_view key) {
  const value* member = item.if_contains(key);
  return member != nullptr && member->is_bool() && member->as_bool();
}

const object kEveryJobStatus{
    {"status", array{value("Draft"), value("Open"), value("Closed"), value("Archived")}}};

}  // namespace atsm::ashby
