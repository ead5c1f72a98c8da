#include "greenhouse_mapping.hpp"

#include <algorithm>
#include <cctype>
#include <functional>

#include <boost/json/serialize.hpp>

#include "greenhouse_mapping_fields.hpp"

namespace atsm::greenhouse {
namespace json = boost::json;

std::string record_id(const Fields& fields, const json::value& raw, ValidationErrors& problems) {
  if (std::optional<std::string> id = fields.id("id"))
    return *id;
  problems.add("id", "required id is missing");
  return kit::missing_id(raw);
}

std::optional<std::string> key_of(const std::string& object, const std::optional<std::string>& id) {
  if (!id)
    return std::nullopt;
  return source_key(object, *id);
}

std::string lower(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

// v3 `custom_fields`: {<name_key>: {name, type, value}} (or a bare value). Empty values are not
// values; a user-typed value becomes that user's source key.
std::vector<model::CustomFieldValue> custom_field_values(const Fields& fields,
                                                         const std::string& object_type,
                                                         const CustomFieldIndex& index,
                                                         ValidationErrors& problems) {
  std::vector<model::CustomFieldValue> out;
  const json::object* all = fields.object("custom_fields");
  if (all == nullptr)
    return out;
  for (const auto& [key_view, entry] : *all) {
    std::string name_key(key_view);
    std::string at = "custom_fields." + name_key;
    json::value value = entry;
    std::optional<std::string> label, type;
    if (entry.is_object() && entry.as_object().contains("value")) {
      Fields described(entry, problems, at);
      label = described.text("name");
      type = described.text("type");
      value = entry.as_object().at("value");
    }
    if (value.is_null() || (value.is_string() && value.as_string().empty()) ||
        (value.is_array() && value.as_array().empty()))
      continue;
    model::CustomFieldValue mapped;
    if (std::optional<std::string> key = index.key_for(object_type, name_key)) {
      mapped.field_key = *key;
    } else {
      mapped.field_key = source_key("custom_field", object_type + "." + name_key);
      problems.add(at, "no " + object_type + " custom field with key \"" + name_key +
                           "\" in /v3/custom_fields");
    }
    mapped.name = label;
    if (type == "user") {
      std::optional<std::string> user;
      if (value.is_object())
        if (const json::value* id = value.as_object().if_contains("user_id"))
          user = id_text(*id);
      if (!user)
        user = id_text(value);
      if (user) {
        mapped.extra["user"] = value;
        value = json::string(source_key("user", *user));
      } else {
        problems.add(at + ".value", "a user field's value names no user id");
      }
    }
    mapped.value = std::move(value);
    if (type)
      mapped.extra["greenhouse_type"] = *type;
    out.push_back(std::move(mapped));
  }
  return out;
}

std::optional<model::Recommendation> recommendation(const std::string& rating) {
  if (rating == "definitely_not" || rating == "strong_no")
    return model::Recommendation::strong_no;
  return model::enum_from_string<model::Recommendation>(rating);
}

// "2024-05-01" -> "2024-05-01T00:00:00Z": a day the model's timestamp fields can hold.
std::optional<std::string> day_start(const std::optional<std::string>& date) {
  if (!date)
    return std::nullopt;
  return *date + "T00:00:00Z";
}

// Child rows in creation order (ascending id): lists arrive id-descending.
std::vector<json::value> oldest_first(const std::vector<json::value>& rows) {
  std::vector<json::value> sorted = rows;
  auto numeric = [](const json::value& row) -> std::uint64_t {
    std::string id = id_of(row);
    return id.empty() || id.size() > 19 ? 0 : std::stoull(id);
  };
  std::stable_sort(sorted.begin(), sorted.end(), [&](const json::value& a, const json::value& b) {
    return numeric(a) < numeric(b);
  });
  return sorted;
}

std::string source_key(const std::string& object, const std::string& id) {
  return std::string(kSourceName) + ":" + object + ":" + id;
}

std::optional<std::string> id_text(const json::value& value) {
  if (value.is_int64())
    return std::to_string(value.as_int64());
  if (value.is_uint64())
    return std::to_string(value.as_uint64());
  if (value.is_string()) {
    const json::string& text = value.as_string();
    if (text.empty() || text.size() > 20 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    return std::string(text);
  }
  return std::nullopt;
}

std::string id_of(const json::value& object) {
  if (!object.is_object())
    return {};
  const json::value* id = object.as_object().if_contains("id");
  return id == nullptr ? std::string() : id_text(*id).value_or("");
}

void CustomFieldIndex::add(const json::value& field) {
  if (!field.is_object())
    return;
  const json::object& object = field.as_object();
  std::string id = id_of(field);
  const json::value* type = object.if_contains("field_type");
  const json::value* name_key = object.if_contains("name_key");
  if (id.empty() || type == nullptr || !type->is_string() || name_key == nullptr ||
      !name_key->is_string())
    return;
  keys_[{std::string(type->as_string()), std::string(name_key->as_string())}] =
      source_key("custom_field", id);
}

std::optional<std::string> CustomFieldIndex::key_for(const std::string& object_type,
                                                     const std::string& name_key) const {
  auto it = keys_.find({object_type, name_key});
  if (it == keys_.end())
    return std::nullopt;
  return it->second;
}

}  // namespace atsm::greenhouse
