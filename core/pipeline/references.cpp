#include "pipeline/references.hpp"

#include <boost/json.hpp>

#include <atsmigrate/model/kind.hpp>

namespace atsm::pipeline {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void walk(const boost::json::value& value, const std::string& owner_kind, const std::string& field,
          bool in_objects,
          const std::function<void(const std::string&, const std::string&)>& visit) {
  if (value.is_string()) {
    if (std::optional<std::string> kind = referenced_kind(field, owner_kind, in_objects)) {
      visit(*kind, std::string(value.as_string()));
    }
  } else if (value.is_array()) {
    for (const boost::json::value& item : value.as_array())
      walk(item, owner_kind, field, in_objects, visit);
  } else if (value.is_object()) {
    for (const auto& [key, member] : value.as_object()) {
      std::string name(key);
      if (name == "raw" || name == "extra")
        continue;  // vendor JSON, not the model's references
      walk(member, owner_kind, name, true, visit);
    }
  }
}

}  // namespace

std::optional<std::string> referenced_kind(const std::string& field, const std::string& owner_kind,
                                           bool inside_array_of_objects) {
  if (field == "source_key") {
    // At the top level it is the record's own identity; inside `sources` it names a source.
    return inside_array_of_objects ? std::optional<std::string>("source") : std::nullopt;
  }
  if (field == "parent_key")
    return owner_kind;
  if (field == "field_key")
    return std::string("custom_field");
  std::string stem;
  if (ends_with(field, "_keys")) {
    stem = field.substr(0, field.size() - 5);
  } else if (ends_with(field, "_key")) {
    stem = field.substr(0, field.size() - 4);
  } else {
    return std::nullopt;
  }
  // The longest suffix of the stem that names a kind: "credited_to_user" -> "user",
  // "archive_reason" -> "archive_reason".
  for (size_t start = 0; start != std::string::npos; start = stem.find('_', start + 1)) {
    std::string candidate = stem.substr(start == 0 ? 0 : start + 1);
    if (model::kind_from_string(candidate))
      return candidate;
  }
  return std::nullopt;
}

void for_each_reference(
    const boost::json::value& record, const std::string& record_kind,
    const std::function<void(const std::string& kind, const std::string& key)>& visit) {
  if (!record.is_object())
    return;
  for (const auto& [key, member] : record.as_object()) {
    std::string name(key);
    if (name == "source_key" || name == "raw" || name == "extra")
      continue;
    walk(member, record_kind, name, false, visit);
  }
}

}  // namespace atsm::pipeline
