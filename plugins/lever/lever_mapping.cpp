#include "lever_mapping.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <boost/json/serialize.hpp>

#include <atsmigrate/kit/json_reader.hpp>
#include <atsmigrate/model/time.hpp>
#include "lever_mapping_fields.hpp"

namespace atsm::lever {
namespace json = boost::json;

std::optional<std::string> user_key(const std::optional<std::string>& id) {
  if (!id)
    return std::nullopt;
  return source_key("user", *id);
}

std::optional<std::string> date_of_local_midnight(std::int64_t ms) {
  constexpr std::int64_t kQuarterHour = 15 * 60'000;
  constexpr std::int64_t kHalfDay = 12 * 3600'000;
  std::int64_t at = ms % kQuarterHour == 0 ? ms + kHalfDay : ms;
  try {
    return model::format_epoch_millis(at).substr(0, 10);
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
}

std::string child_key_person(const OpportunityRef& opportunity) {
  return source_key("contact", opportunity.contact_id);
}

std::string source_key(const std::string& object, const std::string& id) {
  return std::string(kSourceName) + ":" + object + ":" + id;
}

// Lever's epoch milliseconds: a whole number as the kit reads one (digits as text included).
std::optional<std::int64_t> parse_millis(const json::value& value) {
  return kit::whole_number(value);
}

std::string contact_id_of(const json::object& opportunity) {
  const json::value* contact = opportunity.if_contains("contact");
  if (contact == nullptr)
    return {};
  if (contact->is_string())
    return std::string(contact->as_string());
  if (contact->is_object()) {
    const json::value* id = contact->as_object().if_contains("id");
    if (id != nullptr && id->is_string())
      return std::string(id->as_string());
  }
  return {};
}

std::optional<std::int64_t> child_touched_at(const json::value& raw) {
  if (!raw.is_object())
    return std::nullopt;
  std::optional<std::int64_t> latest;
  auto consider = [&](const json::object& object, const char* key) {
    if (const json::value* value = object.if_contains(key))
      if (std::optional<std::int64_t> ms = parse_millis(*value))
        latest = latest ? std::max(*latest, *ms) : *ms;
  };
  const json::object& object = raw.as_object();
  for (const char* key : {"createdAt", "updatedAt", "completedAt", "uploadedAt", "sentAt",
                          "approvedAt", "canceledAt"})
    consider(object, key);
  if (const json::value* nested = object.if_contains("file"); nested && nested->is_object())
    consider(nested->as_object(), "uploadedAt");
  // Note threads grow by comments.
  if (const json::value* fields = object.if_contains("fields"); fields && fields->is_array())
    for (const json::value& field : fields->as_array())
      if (field.is_object())
        consider(field.as_object(), "createdAt");
  return latest;
}

bool is_soft_deleted(const json::value& raw) {
  if (!raw.is_object())
    return false;
  const json::value* deleted = raw.as_object().if_contains("deletedAt");
  return deleted != nullptr && !deleted->is_null();
}

}  // namespace atsm::lever
