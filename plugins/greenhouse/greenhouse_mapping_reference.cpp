#include "greenhouse_mapping.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <atsmigrate/model/email.hpp>

#include "greenhouse_mapping_fields.hpp"

namespace atsm::greenhouse {
namespace json = boost::json;

// ---- reference data ---------------------------------------------------------------------------

model::Record map_user(const json::value& raw) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto user = start<model::User>("user", raw, fields, problems);
  std::string first = fields.words("first_name").value_or("");
  std::string last = fields.words("last_name").value_or("");
  std::string joined = first + (first.empty() || last.empty() ? "" : " ") + last;
  user.name = fields.words("name").value_or(joined);
  std::optional<std::string> email = fields.words("primary_email");
  if (!email)
    email = fields.words("primary_email_address");  // v1 spelling
  if (email && !model::normalize_email(*email))
    problems.add("primary_email", "\"" + *email + "\" is not an email address");
  user.email = email;
  // users.json `emails`: every address of the account, the primary one included.
  if (const json::array* emails = fields.array("emails")) {
    std::set<std::string> seen;
    if (email)
      seen.insert(model::normalize_email(*email).value_or(*email));
    for (std::size_t i = 0; i < emails->size(); ++i) {
      const json::value& other = (*emails)[i];
      if (!other.is_string() || other.as_string().empty())
        continue;
      std::string address(other.as_string());
      std::optional<std::string> normalized = model::normalize_email(address);
      if (!normalized)
        problems.add("emails[" + std::to_string(i) + "]",
                     "\"" + address + "\" is not an email address");
      else if (seen.insert(*normalized).second)
        user.alternate_emails.push_back(address);
    }
  }
  if (user.name.empty())
    user.name = email.value_or(user.source_key);
  std::optional<bool> deactivated = fields.flag("deactivated");
  if (!deactivated)
    deactivated = fields.flag("disabled");
  user.active = !deactivated.value_or(false);
  if (fields.flag("site_admin").value_or(false))
    user.access_role = "site_admin";
  return finish(std::move(user), problems);
}

template <class T>
static model::Record map_org_unit(const char* object, const json::value& raw) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto unit = start<T>(object, raw, fields, problems);
  std::optional<std::string> name = fields.words("name");
  if (!name)
    problems.add("name", "required name is missing");
  unit.name = name.value_or(unit.source_key);
  unit.parent_key = key_of(object, fields.id("parent_id"));
  if (const json::value* location = fields.member("location")) {
    // v3 offices: a string; v1: {"name": ...}.
    if (location->is_string() && !location->as_string().empty())
      unit.location = std::string(location->as_string());
    else if (location->is_object())
      unit.location = Fields(*location, problems, "location").words("name");
  }
  return finish(std::move(unit), problems);
}

model::Record map_department(const json::value& raw) {
  return map_org_unit<model::Department>("department", raw);
}

model::Record map_office(const json::value& raw) {
  return map_org_unit<model::Office>("office", raw);
}

std::optional<model::Record> map_custom_field(const json::value& raw,
                                              const std::vector<json::value>& options) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  std::string field_type = fields.text("field_type").value_or("");
  model::CustomFieldObject object;
  if (field_type == "candidate")
    object = model::CustomFieldObject::person;
  else if (field_type == "application")
    object = model::CustomFieldObject::candidacy;
  else if (field_type == "job")
    object = model::CustomFieldObject::job;
  else
    return std::nullopt;
  auto field = start<model::CustomField>("custom_field", raw, fields, problems);
  field.object = object;
  std::optional<std::string> name = fields.words("name");
  if (!name)
    problems.add("name", "required name is missing");
  field.name = name.value_or(field.source_key);
  std::string value_type = fields.text("value_type").value_or("short_text");
  static const std::map<std::string, model::CustomFieldType> kTypes{
      {"short_text", model::CustomFieldType::text},
      {"long_text", model::CustomFieldType::long_text},
      {"rich_text", model::CustomFieldType::long_text},
      {"yes_no", model::CustomFieldType::boolean},
      {"single_select", model::CustomFieldType::single_select},
      {"multi_select", model::CustomFieldType::multi_select},
      {"currency", model::CustomFieldType::currency},
      {"currency_range", model::CustomFieldType::currency},
      {"number", model::CustomFieldType::number},
      {"number_range", model::CustomFieldType::number},
      {"date", model::CustomFieldType::date},
      {"url", model::CustomFieldType::url},
      {"user", model::CustomFieldType::user}};
  auto type = kTypes.find(value_type);
  if (type != kTypes.end()) {
    field.field_type = type->second;
  } else {
    // attachment, *_hris and newer types: kept as text, the vendor's type in extra.
    field.field_type = model::CustomFieldType::text;
    problems.add("value_type", "\"" + value_type + "\" has no canonical type; treated as text");
  }
  field.extra["greenhouse_value_type"] = value_type;
  if (std::optional<std::string> name_key = fields.text("name_key"))
    field.extra["name_key"] = *name_key;
  if (std::optional<bool> active = fields.flag("active"); active && !*active)
    field.extra["active"] = false;
  // Options in their sort order, inactive ones kept (old values may use them).
  std::vector<std::pair<std::int64_t, model::CustomFieldOption>> sorted;
  for (std::size_t i = 0; i < options.size(); ++i) {
    Fields option(options[i], problems, "options[" + std::to_string(i) + "]");
    std::optional<std::string> option_name = option.words("name");
    if (!option_name) {
      problems.add("options[" + std::to_string(i) + "].name", "missing");
      continue;
    }
    model::CustomFieldOption mapped;
    mapped.name = *option_name;
    mapped.key = option.id("id");
    if (std::optional<bool> active = option.flag("active"); active && !*active)
      mapped.extra["active"] = false;
    sorted.emplace_back(option.integer("sort_order").value_or(static_cast<std::int64_t>(i)),
                        std::move(mapped));
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, option] : sorted)
    field.options.push_back(std::move(option));
  field.raw = json::object{{"custom_field", raw},
                           {"custom_field_options", json::array(options.begin(), options.end())}};
  return finish(std::move(field), problems);
}

model::Record map_job(const json::value& raw, const CustomFieldIndex& index) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto job = start<model::Job>("job", raw, fields, problems);
  std::optional<std::string> name = fields.words("name");
  if (!name)
    problems.add("name", "required name is missing");
  job.title = name.value_or(job.source_key);
  std::string status = fields.text("status").value_or("open");
  if (std::optional<model::JobStatus> mapped = model::enum_from_string<model::JobStatus>(status))
    job.status = *mapped;
  else
    problems.add("status", "expected open|closed|draft, got \"" + status + "\"");
  job.confidential = fields.flag("confidential");
  if (std::optional<std::string> department = fields.id("department_id"))
    job.department_keys.push_back(source_key("department", *department));
  for (const std::string& id : fields.ids("department_ids"))
    if (std::find(job.department_keys.begin(), job.department_keys.end(),
                  source_key("department", id)) == job.department_keys.end())
      job.department_keys.push_back(source_key("department", id));
  for (const std::string& id : fields.ids("office_ids"))
    job.office_keys.push_back(source_key("office", id));
  job.requisition_code = fields.words("requisition_id");
  job.created_at = fields.time("created_at");
  job.updated_at = fields.time("updated_at");
  job.custom_fields = custom_field_values(fields, "job", index, problems);
  if (std::optional<std::string> notes = fields.words("notes"))
    job.extra["notes_html"] = *notes;
  return finish(std::move(job), problems);
}

model::StageType stage_type_from_name(const std::string& name) {
  std::string text = lower(name);
  if (contains(text, "hired"))
    return model::StageType::hired;
  if (contains(text, "offer"))
    return model::StageType::offer;
  if (contains(text, "screen"))
    return model::StageType::screen;
  if (contains(text, "interview") || contains(text, "on-site") || contains(text, "onsite") ||
      contains(text, "assessment") || contains(text, "take home") || contains(text, "reference"))
    return model::StageType::interview;
  if (contains(text, "application review") || contains(text, "applied") ||
      contains(text, "new application"))
    return model::StageType::applied;
  if (contains(text, "lead") || contains(text, "prospect"))
    return model::StageType::lead;
  return model::StageType::other;
}

model::Record map_stage(const json::value& raw) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto stage = start<model::Stage>("stage", raw, fields, problems);
  std::optional<std::string> name = fields.words("name");
  if (!name)
    problems.add("name", "required name is missing");
  stage.name = name.value_or(stage.source_key);
  stage.job_key = key_of("job", fields.id("job_id"));
  if (!stage.job_key)
    problems.add("job_id", "a job interview stage names no job");
  stage.order = fields.integer("sort_order");
  if (!stage.order)
    stage.order = fields.integer("priority");  // v1 spelling
  stage.stage_type = stage_type_from_name(stage.name);
  if (std::optional<bool> active = fields.flag("active"); active && !*active)
    stage.extra["active"] = false;
  return finish(std::move(stage), problems);
}

model::Record map_rejection_reason(const json::value& raw) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto reason = start<model::ArchiveReason>("rejection_reason", raw, fields, problems);
  std::optional<std::string> name = fields.words("name");
  if (!name)
    problems.add("name", "required name is missing");
  reason.name = name.value_or(reason.source_key);
  // Rejection reasons are never hires; hiring is an application status in Greenhouse.
  reason.type = model::ArchiveReasonType::non_hired;
  if (const json::object* type = fields.object("type")) {
    Fields type_fields(*type, problems, "type");
    if (std::optional<std::string> key = type_fields.words("key"))
      reason.extra["rejection_type"] = *key;
    else if (std::optional<std::string> type_name = type_fields.words("name"))
      reason.extra["rejection_type"] = *type_name;
  }
  return finish(std::move(reason), problems);
}

model::Record map_source(const json::value& raw) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto source = start<model::Source>("source", raw, fields, problems);
  std::optional<std::string> name = fields.words("name");
  if (!name)
    name = fields.words("public_name");
  if (!name)
    problems.add("name", "required name is missing");
  source.name = name.value_or(source.source_key);
  if (const json::object* type = fields.object("type"))
    source.type = Fields(*type, problems, "type").words("name");
  return finish(std::move(source), problems);
}

model::Record map_tag(const json::value& raw) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto tag = start<model::Tag>("tag", raw, fields, problems);
  std::optional<std::string> name = fields.words("name");
  if (!name)
    problems.add("name", "required name is missing");
  tag.name = name.value_or(tag.source_key);
  return finish(std::move(tag), problems);
}

}  // namespace atsm::greenhouse
