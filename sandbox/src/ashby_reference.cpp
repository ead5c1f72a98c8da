// The emulated Ashby's reference lists (sources, archive reasons, users, feedback forms) and its
// custom fields.
#include <algorithm>
#include <map>
#include <set>

#include "ashby_rpc.hpp"
#include "ashby_state.hpp"
#include "sandbox/dataset.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace json = boost::json;
using namespace ashby_rpc;

json::object AshbyState::source_list(const Rpc& rpc) {
  refuse_limit(rpc.body, rpc.method);
  const json::object& body = rpc.body;
  auto out = list(body, "source");
  out.erase("syncToken");
  return out;
}

json::object AshbyState::archive_reason_list(const Rpc& rpc) {
  refuse_limit(rpc.body, rpc.method);
  const json::object& body = rpc.body;
  auto out = list(body, "archive_reason");
  out.erase("syncToken");
  return out;
}

json::object AshbyState::user_list(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const json::value* deactivated = field(body, "includeDeactivated");
  bool include = deactivated && deactivated->is_bool() && deactivated->as_bool();
  return list(body, "user",
              [&](const Object& user) { return include || user.at("isEnabled").as_bool(); });
}

json::object AshbyState::user_search(const Rpc& rpc) {
  const json::object& body = rpc.body;
  std::string email = normalise_email(required_string(body, "email"));
  json::array matches;
  for (const auto& [id, user] : collections_["user"].by_id)
    if (normalise_email(std::string(user.at("email").as_string())) == email)
      matches.push_back(render(user));
  return results(std::move(matches));
}

json::object AshbyState::feedback_form_definition_list(const Rpc& rpc) {
  return list(rpc.body, "feedback_form");
}

json::object AshbyState::feedback_form_definition_info(const Rpc& rpc) {
  const json::object& body = rpc.body;
  std::string id = required_string(body, "feedbackFormDefinitionId");
  Object* form = find("feedback_form", id);
  if (!form)
    fail("feedback_form_not_found", "Feedback form " + id + " not found");
  return results(render(*form));
}

json::object AshbyState::custom_field_create(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& method = rpc.method;
  static const std::set<std::string> kTypes{
      "Boolean", "CompensationRange", "Currency", "Date",        "LongText", "MultiValueSelect",
      "Number",  "NumberRange",       "String",   "ValueSelect", "Url",      "UUID"};
  static const std::set<std::string> kObjects{"Application",  "Candidate",      "Job",
                                              "Employee",     "Talent_Project", "Opening_Version",
                                              "Offer_Version"};
  std::string type = required_string(body, "fieldType"),
              object_type = required_string(body, "objectType");
  if (!kTypes.count(type))
    fail("invalid_input", "Unknown fieldType " + type);
  if (!kObjects.count(object_type))
    fail("invalid_input", "Unknown objectType " + object_type);
  Object custom{{"id", new_id("custom_field")},
                {"isPrivate", false},
                {"title", required_string(body, "title")},
                {"objectType", object_type},
                {"isArchived", false},
                {"fieldType", type},
                {"isRequired", false}};
  if (type == "ValueSelect" || type == "MultiValueSelect") {
    const json::value* values = field(body, "selectableValues");
    if (!values)
      fail("invalid_input", "selectableValues are required for " + type);
    custom["selectableValues"] = *values;
  }
  count_created(method, custom);
  return results(render(put("custom_field", std::move(custom))));
}

json::object AshbyState::custom_field_list(const Rpc& rpc) {
  return list(rpc.body, "custom_field");
}

json::object AshbyState::set_custom_field_values(const Rpc& rpc, bool single) {
  const json::object& body = rpc.body;
  const std::string& now = rpc.now;
  std::string object_id = required_string(body, "objectId"),
              object_type = required_string(body, "objectType");
  static const std::map<std::string, std::string> kKinds{
      {"Candidate", "candidate"}, {"Application", "application"}, {"Job", "job"}};
  auto kind = kKinds.find(object_type);
  if (kind == kKinds.end())
    fail("invalid_input", "objectType must be Candidate, Application or Job");
  Object* target_ptr = find(kind->second, object_id);
  if (!target_ptr)
    fail(kind->second + "_not_found", object_type + " " + object_id + " not found");
  Object target = *target_ptr;
  json::array pairs;
  if (single) {
    pairs.push_back(json::object{
        {"fieldId", required_string(body, "fieldId")},
        {"fieldValue", body.contains("fieldValue") ? body.at("fieldValue") : json::value()}});
    if (!body.contains("fieldValue"))
      fail("invalid_input", "Missing required parameter: fieldValue");
  } else {
    const json::value* values = field(body, "values");
    if (!values || values->as_array().empty())
      fail("invalid_input", "values needs at least one item");
    pairs = values->as_array();
  }
  json::array out;
  auto& fields = target["customFields"].as_array();
  for (const auto& pair : pairs) {
    std::string field_id = required_string(pair.as_object(), "fieldId");
    Object* definition = find("custom_field", field_id);
    if (!definition || definition->at("objectType").as_string() != object_type)
      fail("custom_field_not_found", "Custom field " + field_id + " not found for " + object_type);
    const json::value& value = pair.at("fieldValue");
    std::string type(definition->at("fieldType").as_string());
    bool ok = value.is_null();
    if (!ok) {
      if (type == "String" || type == "LongText" || type == "UUID")
        ok = value.is_string();
      else if (type == "Url")
        ok = value.is_string() && (value.as_string().starts_with("http://") ||
                                   value.as_string().starts_with("https://"));
      else if (type == "Boolean")
        ok = value.is_bool();
      else if (type == "Number")
        ok = value.is_number();
      else if (type == "Date") {
        // A date-time, not a bare date (sandbox/validator/ashby-api-openapi.extract.json
        // customField.setValues, fieldValue's Date branch: format date-time).
        std::int64_t ms;
        ok = value.is_string() && value.as_string().size() > 10 &&
             parse_iso_time(std::string(value.as_string()), ms);
      } else if (type == "Currency") {
        // {value: number, currencyCode: ISO 4217} (sandbox/validator/ashby-api-openapi.extract.json
        // customField.setValues).
        const json::object* money = value.if_object();
        const json::value* amount = money ? money->if_contains("value") : nullptr;
        const json::value* code = money ? money->if_contains("currencyCode") : nullptr;
        ok = amount && amount->is_number() && code && code->is_string() &&
             code->as_string().size() == 3 &&
             std::all_of(code->as_string().begin(), code->as_string().end(),
                         [](char c) { return c >= 'A' && c <= 'Z'; });
      } else if (type == "ValueSelect" || type == "MultiValueSelect") {
        std::set<std::string> allowed;
        for (const auto& option : definition->at("selectableValues").as_array())
          allowed.insert(std::string(option.at("value").as_string()));
        if (type == "ValueSelect")
          ok = value.is_string() && allowed.count(std::string(value.as_string()));
        else {
          ok = value.is_array();
          for (const auto& v : ok ? value.as_array() : json::array{})
            ok = ok && v.is_string() && allowed.count(std::string(v.as_string()));
        }
      } else
        ok = value.is_object();
    }
    if (!ok)
      fail("invalid_input", "Invalid value for custom field '" +
                                std::string(definition->at("title").as_string()) + "' (" + type +
                                ")");
    json::object entry{{"id", field_id}, {"title", definition->at("title")}, {"value", value}};
    auto it = std::find_if(fields.begin(), fields.end(), [&](const json::value& f) {
      return f.at("id").as_string() == field_id;
    });
    if (it != fields.end())
      *it = entry;
    else
      fields.push_back(entry);
    out.push_back(entry);
  }
  target["updatedAt"] = now;
  put(kind->second, std::move(target));
  if (single)
    return results(out[0]);
  return results(std::move(out));
}

json::object AshbyState::custom_field_set_value(const Rpc& rpc) {
  return set_custom_field_values(rpc, true);
}

json::object AshbyState::custom_field_set_values(const Rpc& rpc) {
  return set_custom_field_values(rpc, false);
}

}  // namespace atsm::sandbox
