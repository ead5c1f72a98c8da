// How canonical records point at each other: every field that holds another record's source key,
// and which kind that record is. One place, used by the plan (what must be mapped) and the load
// (what must be resolved to target ids).
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>

namespace atsm::pipeline {

// The kind a reference field points at: "author_user_key" -> "user", "parent_key" -> the owner's
// kind, "field_key" -> "custom_field", "sources[].source_key" -> "source"; nullopt for fields that
// are not references.
std::optional<std::string> referenced_kind(const std::string& field, const std::string& owner_kind,
                                           bool inside_array_of_objects);

// Calls `visit(kind, source_key)` for every reference in a canonical record (JSON), nested ones
// included; the record's own source_key is not a reference.
void for_each_reference(
    const boost::json::value& record, const std::string& record_kind,
    const std::function<void(const std::string& kind, const std::string& key)>& visit);

}  // namespace atsm::pipeline
