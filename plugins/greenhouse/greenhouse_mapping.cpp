#include "greenhouse_mapping.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>
#include <tuple>

#include <boost/json/serialize.hpp>

#include "model/email.hpp"
#include "model/time.hpp"

namespace atsm::greenhouse {
namespace json = boost::json;
namespace {

class Problems {
 public:
  void add(std::string field, std::string message) {
    entries_.emplace_back(std::move(field), std::move(message));
  }
  void write_to(json::object& extra) const {
    if (entries_.empty())
      return;
    json::array errors;
    for (const auto& [field, message] : entries_)
      errors.push_back(json::object{{"field", field}, {"message", message}});
    extra["validation_errors"] = std::move(errors);
  }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

std::string describe_type(const json::value& value) {
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

const json::object kEmptyObject;

// Typed, forgiving access to one vendor object: absent and null members read as nullopt, a
// member of the wrong type also reads as nullopt and is recorded as a problem under `prefix`.
class Fields {
 public:
  Fields(const json::value& raw, Problems& problems, std::string prefix = {})
      : object_(raw.is_object() ? raw.as_object() : kEmptyObject),
        problems_(problems),
        prefix_(std::move(prefix)) {
    if (!raw.is_object())
      problems_.add(prefix_.empty() ? "record" : prefix_,
                    "expected an object, got " + describe_type(raw));
  }

  Fields(const json::object& object, Problems& problems, std::string prefix)
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
                        "expected an integer id, got " + describe_type((*items)[i]));
      }
    return out;
  }

 private:
  void wrong(const std::string& key, const char* expected, const json::value& got) const {
    problems_.add(path(key), std::string("expected ") + expected + ", got " + describe_type(got));
  }

  const json::object& object_;
  Problems& problems_;
  std::string prefix_;
};

// Stable stand-in for a record whose own id is missing, so it can still be staged and reported.
std::string missing_id(const json::value& raw) {
  return "missing-id-" + std::to_string(std::hash<std::string>{}(json::serialize(raw)));
}

std::string record_id(const Fields& fields, const json::value& raw, Problems& problems) {
  if (std::optional<std::string> id = fields.id("id"))
    return *id;
  problems.add("id", "required id is missing");
  return missing_id(raw);
}

template <class T>
T start(const std::string& object, const json::value& raw, const Fields& fields,
        Problems& problems) {
  T record;
  record.source = kSourceName;
  record.source_key = source_key(object, record_id(fields, raw, problems));
  record.raw = raw;
  return record;
}

template <class T>
model::Record finish(T record, const Problems& problems) {
  problems.write_to(record.extra);
  return model::Record(std::move(record));
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

// {value, type} items of the five contact arrays.
struct Contact {
  std::string value;
  std::optional<std::string> type;
};

std::vector<Contact> contacts(const Fields& fields, const std::string& key, Problems& problems) {
  std::vector<Contact> out;
  if (const json::array* items = fields.array(key))
    for (std::size_t i = 0; i < items->size(); ++i) {
      Fields item((*items)[i], problems, key + "[" + std::to_string(i) + "]");
      std::optional<std::string> value = item.words("value");
      if (!value) {
        problems.add(key + "[" + std::to_string(i) + "].value", "missing");
        continue;
      }
      std::optional<std::string> type = item.words("type");
      out.push_back({*value, type});
    }
  return out;
}

model::LinkType link_type(const std::string& url, bool social) {
  std::string text = lower(url);
  if (contains(text, "linkedin.com"))
    return model::LinkType::linkedin;
  if (contains(text, "github.com"))
    return model::LinkType::github;
  return social ? model::LinkType::social : model::LinkType::website;
}

// v3 `custom_fields`: {<name_key>: {name, type, value}} (or a bare value). Empty values are not
// values; a user-typed value becomes that user's source key.
std::vector<model::CustomFieldValue> custom_field_values(const Fields& fields,
                                                         const std::string& object_type,
                                                         const CustomFieldIndex& index,
                                                         Problems& problems) {
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

}  // namespace

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

std::size_t validation_error_count(const model::Record& record) {
  const json::value* errors = model::envelope(record).extra.if_contains("validation_errors");
  return errors != nullptr && errors->is_array() ? errors->as_array().size() : 0;
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

// ---- reference data ---------------------------------------------------------------------------

model::Record map_user(const json::value& raw) {
  Problems problems;
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
  Problems problems;
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
  Problems problems;
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
  Problems problems;
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
  Problems problems;
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
  Problems problems;
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
  Problems problems;
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
  Problems problems;
  Fields fields(raw, problems);
  auto tag = start<model::Tag>("tag", raw, fields, problems);
  std::optional<std::string> name = fields.words("name");
  if (!name)
    problems.add("name", "required name is missing");
  tag.name = name.value_or(tag.source_key);
  return finish(std::move(tag), problems);
}

// ---- persons ------------------------------------------------------------------------------------

void ApplicationStaff::keep(std::map<std::string, Pick>& picks, const std::string& candidate,
                            Pick pick) {
  auto [it, inserted] = picks.try_emplace(candidate, pick);
  if (!inserted && std::tie(pick.created_ms, pick.application) >
                       std::tie(it->second.created_ms, it->second.application))
    it->second = std::move(pick);
}

void ApplicationStaff::add(const json::value& application) {
  if (!application.is_object())
    return;
  const json::object& object = application.as_object();
  auto id = [&](const char* key) -> std::optional<std::string> {
    const json::value* value = object.if_contains(key);
    return value == nullptr ? std::nullopt : id_text(*value);
  };
  std::optional<std::string> candidate = id("candidate_id");
  if (!candidate)
    return;
  Pick pick;
  if (std::optional<std::string> own = id("id"); own && own->size() <= 18)
    pick.application = std::stoll(*own);
  if (const json::value* created = object.if_contains("created_at");
      created && created->is_string())
    pick.created_ms =
        model::timestamp_to_epoch_millis(std::string(created->as_string())).value_or(0);
  if (std::optional<std::string> recruiter = id("recruiter_id")) {
    pick.user = *recruiter;
    keep(recruiters_, *candidate, pick);
  }
  if (std::optional<std::string> coordinator = id("coordinator_id")) {
    pick.user = *coordinator;
    keep(coordinators_, *candidate, pick);
  }
}

std::optional<std::string> ApplicationStaff::recruiter(const std::string& candidate_id) const {
  auto it = recruiters_.find(candidate_id);
  return it == recruiters_.end() ? std::nullopt : std::optional<std::string>(it->second.user);
}

std::optional<std::string> ApplicationStaff::coordinator(const std::string& candidate_id) const {
  auto it = coordinators_.find(candidate_id);
  return it == coordinators_.end() ? std::nullopt : std::optional<std::string>(it->second.user);
}

model::Record map_candidate(const json::value& raw, const CustomFieldIndex& index,
                            const ApplicationStaff* staff) {
  Problems problems;
  Fields fields(raw, problems);
  auto person = start<model::Person>("candidate", raw, fields, problems);
  person.first_name = fields.words("first_name");
  person.last_name = fields.words("last_name");
  std::string joined = person.first_name.value_or("") +
                       (person.first_name && person.last_name ? " " : "") +
                       person.last_name.value_or("");
  if (!joined.empty())
    person.name = joined;
  if (std::optional<std::string> preferred = fields.words("preferred_name"))
    person.extra["preferred_name"] = *preferred;
  for (const Contact& email : contacts(fields, "email_addresses", problems)) {
    model::Email mapped;
    mapped.address = email.value;
    mapped.type = email.type;
    mapped.normalized = model::normalize_email(email.value);
    if (!mapped.normalized)
      problems.add("email_addresses", "\"" + email.value + "\" is not an email address");
    person.emails.push_back(std::move(mapped));
  }
  for (const Contact& phone : contacts(fields, "phone_numbers", problems))
    person.phones.push_back({phone.value, phone.type, {}});
  for (const Contact& address : contacts(fields, "addresses", problems))
    person.addresses.push_back({address.value, address.type, {}});
  for (const Contact& site : contacts(fields, "website_addresses", problems)) {
    model::Link link{site.value, link_type(site.value, false), {}};
    if (site.type)
      link.extra["greenhouse_type"] = *site.type;
    person.links.push_back(std::move(link));
  }
  for (const Contact& social : contacts(fields, "social_media_addresses", problems))
    person.links.push_back({social.value, link_type(social.value, true), {}});
  person.company = fields.words("company");
  person.title = fields.words("title");
  if (const json::array* tags = fields.array("tags"))
    for (std::size_t i = 0; i < tags->size(); ++i) {
      const json::value& tag = (*tags)[i];
      // v3 lists names; tolerate {id, name} objects too.
      if (tag.is_string() && !tag.as_string().empty())
        person.tags.emplace_back(tag.as_string());
      else if (std::optional<std::string> name =
                   Fields(tag, problems, "tags[" + std::to_string(i) + "]").words("name"))
        person.tags.push_back(*name);
    }
  std::optional<bool> is_private = fields.flag("private");
  if (!is_private)
    is_private = fields.flag("is_private");  // v1 spelling
  person.is_private = is_private;
  // v3 candidates no longer carry them (§6.1): they come from the applications.
  std::optional<std::string> recruiter = fields.id("recruiter_id");
  std::optional<std::string> coordinator = fields.id("coordinator_id");
  std::string own_id = id_of(raw);
  if (!recruiter && staff != nullptr && !own_id.empty())
    recruiter = staff->recruiter(own_id);
  if (!coordinator && staff != nullptr && !own_id.empty())
    coordinator = staff->coordinator(own_id);
  person.recruiter_user_key = key_of("user", recruiter);
  person.coordinator_user_key = key_of("user", coordinator);
  person.created_at = fields.time("created_at");
  person.updated_at = fields.time("updated_at");
  person.custom_fields = custom_field_values(fields, "candidate", index, problems);
  json::array linked;
  for (const std::string& user : fields.ids("linked_user_ids"))
    linked.emplace_back(source_key("user", user));
  if (!linked.empty())
    person.extra["linked_user_keys"] = std::move(linked);
  // The session's canonical-model extension (person.time_zone, person.can_email): members the
  // host keeps as they are.
  if (std::optional<std::string> zone = fields.words("time_zone"))
    person.extra["time_zone"] = *zone;
  if (std::optional<bool> consent = fields.flag("can_email"))
    person.extra["can_email"] = *consent;
  return finish(std::move(person), problems);
}

// ---- candidacies -------------------------------------------------------------------------------

// The text of a question_custom_fields value: text as is, lists joined, other values as JSON.
static std::string answer_text(const json::value& value) {
  if (value.is_string())
    return std::string(value.as_string());
  if (value.is_bool())
    return value.as_bool() ? "Yes" : "No";
  if (value.is_array()) {
    std::string out;
    for (const json::value& item : value.as_array())
      out += (out.empty() ? "" : ", ") + answer_text(item);
    return out;
  }
  return json::serialize(value);
}

// /v3/rejection_details (§6.6) onto a candidacy: archive details text, who rejected, and the
// reason and time when the application row lacks them.
static void apply_rejection_detail(model::Candidacy& candidacy, const ApplicationExtras& extras,
                                   Problems& problems) {
  Fields detail(*extras.rejection_detail, problems, "rejection_details");
  std::string text;
  if (std::optional<std::string> note_id = detail.id("rejection_note_id")) {
    std::optional<std::string> body;
    if (extras.rejection_note != nullptr)
      body = Fields(*extras.rejection_note, problems, "rejection_note").words("body");
    if (body)
      text = *body;
    else
      problems.add("rejection_details.rejection_note_id",
                   "the rejection note " + *note_id + " is not listed by /v3/notes");
  }
  if (const json::object* questions = detail.object("question_custom_fields"))
    for (const auto& [key, entry] : *questions) {
      std::string label(key);
      json::value value = entry;
      if (entry.is_object() && entry.as_object().contains("value")) {
        if (const json::value* name = entry.as_object().if_contains("name");
            name && name->is_string() && !name->as_string().empty())
          label = std::string(name->as_string());
        value = entry.as_object().at("value");
      }
      if (value.is_null() || (value.is_string() && value.as_string().empty()))
        continue;
      text += (text.empty() ? "" : "\n") + label + ": " + answer_text(value);
    }
  if (!text.empty())
    candidacy.extra["archive_details"] = text;
  if (std::optional<std::string> by = detail.id("rejected_by_id"))
    candidacy.extra["archived_by_user_key"] = source_key("user", *by);
  if (candidacy.status == model::CandidacyStatus::archived) {
    if (!candidacy.archive_reason_key)
      candidacy.archive_reason_key = key_of("rejection_reason", detail.id("rejection_reason_id"));
    if (!candidacy.archived_at)
      candidacy.archived_at = detail.time("rejected_at");
  }
}

model::Record map_application(const json::value& raw, const std::vector<json::value>& stages,
                              const CustomFieldIndex& index, const ApplicationExtras& extras) {
  Problems problems;
  Fields fields(raw, problems);
  auto candidacy = start<model::Candidacy>("application", raw, fields, problems);
  std::optional<std::string> candidate = fields.id("candidate_id");
  if (!candidate)
    problems.add("candidate_id", "required id is missing");
  candidacy.person_key = source_key("candidate", candidate.value_or("missing"));
  candidacy.job_key = key_of("job", fields.id("job_id"));
  bool prospect = fields.flag("prospect").value_or(false);
  candidacy.is_prospect = prospect;
  std::vector<std::string> prospective = fields.ids("prospective_job_ids");
  if (!prospective.empty()) {
    json::array keys;
    for (const std::string& id : prospective)
      keys.emplace_back(source_key("job", id));
    candidacy.extra["prospective_job_keys"] = std::move(keys);
  }

  std::string status = fields.text("status").value_or("in_process");
  if (status == "hired") {
    candidacy.status = model::CandidacyStatus::hired;
  } else if (status == "rejected" || status == "converted") {
    // A converted prospect lives on as the application it became; this one is closed.
    candidacy.status = model::CandidacyStatus::archived;
    candidacy.archive_reason_key = key_of("rejection_reason", fields.id("rejection_reason_id"));
    candidacy.archived_at = fields.time("rejected_at");
    if (status == "converted")
      candidacy.extra["converted"] = true;
  } else {
    if (status != "in_process" && status != "active")
      problems.add("status", "expected in_process|rejected|hired|converted, got \"" + status +
                                 "\"; treated as in_process");
    candidacy.status = prospect ? model::CandidacyStatus::lead : model::CandidacyStatus::active;
  }

  // Stage history: every stage entered, oldest first (ties by row id).
  struct Entry {
    std::string entered_at;
    std::int64_t row;
    std::string stage;
    bool current;
  };
  std::vector<Entry> entries;
  std::optional<std::string> current_stage;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    std::string at = "application_stages[" + std::to_string(i) + "]";
    Fields row(stages[i], problems, at);
    std::optional<std::string> stage = row.id("job_interview_stage_id");
    if (!stage)
      stage = row.id("stage_id");
    // entered_at is null for "backfilled or partially recorded history"
    // (application_stages.json): the stage was entered; when is the row's created_at.
    const json::value* raw_entered =
        stages[i].is_object() ? stages[i].as_object().if_contains("entered_at") : nullptr;
    std::optional<std::string> entered = raw_entered != nullptr && raw_entered->is_null()
                                             ? row.time("created_at")
                                             : row.time("entered_at");
    if (!stage || !entered) {
      problems.add(at, "a stage history row needs job_interview_stage_id and entered_at");
      continue;
    }
    bool current = row.flag("current").value_or(false);
    if (current)
      current_stage = *stage;
    std::int64_t row_id = 0;
    if (std::optional<std::string> id = row.id("id"))
      row_id = std::stoll(id->substr(0, 18));
    entries.push_back({*entered, row_id, *stage, current});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    std::int64_t left = model::timestamp_to_epoch_millis(a.entered_at).value_or(0);
    std::int64_t right = model::timestamp_to_epoch_millis(b.entered_at).value_or(0);
    return left != right ? left < right : a.row < b.row;
  });
  for (const Entry& entry : entries)
    candidacy.stage_history.push_back({source_key("stage", entry.stage), entry.entered_at, {}, {}});
  std::optional<std::string> stage = fields.id("stage_id");
  if (!stage)
    stage = fields.id("job_interview_stage_id");  // the other spelling seen (§6.2)
  if (!stage)
    stage = current_stage;
  if (!stage && !entries.empty())
    stage = entries.back().stage;
  candidacy.stage_key = key_of("stage", stage);
  if (std::optional<std::string> name = fields.words("stage_name"))
    candidacy.extra["stage_name"] = *name;

  if (std::optional<std::string> source = fields.id("source_id"))
    candidacy.sources.push_back({source_key("source", *source), std::nullopt, {}});
  // referrer_id names a /v3/referrers entry, not a user (§6.2): credited to the referrer's user
  // when it is one, else the referrer's name is kept.
  if (std::optional<std::string> referrer = fields.id("referrer_id")) {
    candidacy.extra["referrer_id"] = *referrer;
    if (extras.referrer == nullptr) {
      problems.add("referrer_id", "the referrer " + *referrer + " is not listed by /v3/referrers");
    } else {
      Fields row(*extras.referrer, problems, "referrer");
      if (std::optional<std::string> name = row.words("name"))
        candidacy.extra["referrer_name"] = *name;
      candidacy.credited_to_user_key = key_of("user", row.id("user_id"));
    }
  }
  candidacy.owner_user_key = key_of("user", fields.id("recruiter_id"));
  if (extras.prospect_detail != nullptr) {
    Fields detail(*extras.prospect_detail, problems, "prospect_detail");
    if (std::optional<std::string> owner = detail.id("prospect_owner_id")) {
      std::string owner_key = source_key("user", *owner);
      if (candidacy.owner_user_key && *candidacy.owner_user_key != owner_key)
        candidacy.extra["recruiter_user_key"] = *candidacy.owner_user_key;
      candidacy.owner_user_key = owner_key;
    }
    auto named = [&](const char* member, const std::optional<std::string>& name, const char* list,
                     std::optional<std::string>& as) {
      std::optional<std::string> id = detail.id(member);
      if (name)
        as = *name;
      else if (id)
        problems.add(std::string("prospect_detail.") + member,
                     *id + " is not listed by /v3/" + list);
    };
    named("pool_id", extras.prospect_pool, "prospect_pools", candidacy.prospect_pool);
    named("pool_stage_id", extras.prospect_pool_stage, "prospect_pool_stages",
          candidacy.prospect_pool_stage);
  }
  if (std::optional<std::string> coordinator = fields.id("coordinator_id"))
    candidacy.extra["coordinator_user_key"] = source_key("user", *coordinator);
  candidacy.created_at = fields.time("created_at");
  candidacy.applied_at = fields.time("applied_at");
  if (!candidacy.applied_at)
    candidacy.applied_at = candidacy.created_at;  // v3: created_at is v1's applied_at
  candidacy.updated_at = fields.time("updated_at");
  candidacy.custom_fields = custom_field_values(fields, "application", index, problems);
  // The application form's answers (applications.json `answers`): candidacy.form_answers.
  if (const json::value* answers =
          raw.is_object() ? raw.as_object().if_contains("answers") : nullptr;
      answers != nullptr && answers->is_array()) {
    json::array kept;
    for (const json::value& entry : answers->as_array()) {
      if (!entry.is_object())
        continue;
      const json::value* question = entry.as_object().if_contains("question");
      const json::value* answer = entry.as_object().if_contains("answer");
      if (question == nullptr || !question->is_string() || question->as_string().empty())
        continue;
      json::object item{{"question", *question}};
      if (answer != nullptr && !answer->is_null())
        item["answer"] = answer->is_string() ? *answer : json::value(answer_text(*answer));
      kept.push_back(std::move(item));
    }
    if (!kept.empty())
      candidacy.extra["form_answers"] = std::move(kept);
  }
  if (std::optional<std::string> post = fields.id("job_post_id"))
    candidacy.extra["job_post_id"] = *post;
  if (extras.rejection_detail != nullptr)
    apply_rejection_detail(candidacy, extras, problems);
  if (!stages.empty() || extras.rejection_detail != nullptr) {
    json::object kept{{"application", raw}};
    if (!stages.empty())
      kept["application_stages"] = json::array(stages.begin(), stages.end());
    if (extras.rejection_detail != nullptr)
      kept["rejection_details"] = *extras.rejection_detail;
    candidacy.raw = std::move(kept);
  }
  return finish(std::move(candidacy), problems);
}

// ---- activity ----------------------------------------------------------------------------------

bool is_note(const json::value& raw) {
  if (!raw.is_object())
    return true;  // mapped, so its problems are reported
  const json::value* type = raw.as_object().if_contains("type");
  return type == nullptr || type->is_null() ||
         (type->is_string() && lower(std::string(type->as_string())) == "note");
}

model::Record map_note(const json::value& raw) {
  Problems problems;
  Fields fields(raw, problems);
  auto note = start<model::Note>("note", raw, fields, problems);
  std::optional<std::string> candidate = fields.id("candidate_id");
  if (!candidate)
    problems.add("candidate_id", "required id is missing");
  note.person_key = source_key("candidate", candidate.value_or("missing"));
  note.candidacy_key = key_of("application", fields.id("application_id"));
  note.author_user_key = key_of("user", fields.id("user_id"));
  std::optional<std::string> body = fields.text("body");
  if (!body)
    problems.add("body", "a note without a body");
  std::optional<std::string> subject = fields.words("subject");
  if (subject)
    note.extra["subject"] = *subject;
  // A row that is not a plain note (a logged email, a LinkedIn message, ...) says what it was
  // in its first line.
  std::string type = fields.text("type").value_or("NOTE");
  note.body.clear();
  if (type != "NOTE") {
    note.extra["note_type"] = type;
    static const std::map<std::string, std::string> kLabels{
        {"EMAIL", "Logged email"},
        {"LINKEDIN_NOTE", "LinkedIn note"},
        {"LINKEDIN_INMAIL", "LinkedIn InMail"},
        {"FOLLOW_UP", "Follow-up reminder"},
        {"TAKE_HOME_TEST", "Take-home test"},
        {"ACTIVITY", "Activity"},
        {"INTERVIEW", "Interview"},
        {"FEEDBACK", "Feedback"},
        {"AVAILABILITY_REQUEST", "Availability request"},
        {"TOUCHPOINT", "Touchpoint"},
        {"FORM", "Form"},
        {"MIGRATION_ERROR", "Migration error"}};
    auto label = kLabels.find(type);
    note.body = "[Greenhouse " + (label == kLabels.end() ? type : label->second) + "]";
    if (subject)
      note.body += " " + *subject;
    for (const char* key : {"email_from", "email_to"})
      if (std::optional<std::string> address = fields.words(key))
        note.body += std::string("\n") + (key[6] == 'f' ? "From: " : "To: ") + *address;
    note.body += "\n";
  }
  note.body += body.value_or("");
  // v3 bodies are plain text: "Newline characters are stored verbatim and rendered as line
  // breaks" (specs/greenhouse-v3/schemas/notes.json `body`).
  note.body_format = model::BodyFormat::text;
  note.created_at = fields.time("created_at");
  std::string visibility = fields.text("visibility").value_or("publicly_visible");
  if (visibility != "publicly_visible" && visibility != "privately_visible" &&
      visibility != "admin_only_visible" && visibility != "public" && visibility != "private" &&
      visibility != "admin_only")
    problems.add("visibility", "unknown visibility \"" + visibility + "\"; treated as private");
  note.is_private = visibility != "publicly_visible" && visibility != "public";
  note.extra["visibility"] = visibility;
  return finish(std::move(note), problems);
}

bool is_submitted_scorecard(const json::value& raw) {
  if (!raw.is_object())
    return true;  // mapped, so its problems are reported
  const json::value* status = raw.as_object().if_contains("status");
  if (status != nullptr && status->is_string())
    return status->as_string() == "complete";
  const json::value* submitted = raw.as_object().if_contains("submitted_at");
  return submitted != nullptr && !submitted->is_null();
}

model::Record map_scorecard(const json::value& raw, const std::vector<json::value>& attribute_rows,
                            const std::vector<json::value>& answer_rows,
                            const std::string& candidate_id,
                            const std::map<std::string, std::string>& attribute_names,
                            const std::map<std::string, std::string>& question_texts,
                            const std::optional<std::string>& form_name) {
  std::vector<json::value> attributes = oldest_first(attribute_rows);
  std::vector<json::value> answers = oldest_first(answer_rows);
  Problems problems;
  Fields fields(raw, problems);
  auto feedback = start<model::Feedback>("scorecard", raw, fields, problems);
  if (candidate_id.empty())
    problems.add("application_id", "the scorecard's application was not found");
  feedback.person_key = source_key("candidate", candidate_id.empty() ? "missing" : candidate_id);
  feedback.candidacy_key = key_of("application", fields.id("application_id"));
  feedback.author_user_key = key_of("user", fields.id("interviewer_id"));
  if (std::optional<std::string> submitter = fields.id("submitter_id"))
    feedback.extra["submitted_by_user_key"] = source_key("user", *submitter);
  feedback.form_name = form_name;
  if (!feedback.form_name)
    feedback.form_name = fields.words("interview");
  if (!feedback.form_name)
    if (const json::object* step = fields.object("interview_step"))
      feedback.form_name = Fields(*step, problems, "interview_step").words("name");
  if (!feedback.form_name)
    feedback.form_name = "Scorecard";
  feedback.submitted_at = fields.time("submitted_at");
  if (std::optional<std::string> interviewed = fields.time("interviewed_at"))
    feedback.extra["interviewed_at"] = *interviewed;
  std::optional<std::string> rating = fields.text("candidate_rating");
  if (!rating)
    rating = fields.text("overall_recommendation");  // v1 spelling
  if (rating) {
    feedback.recommendation = recommendation(*rating);
    if (!feedback.recommendation)
      problems.add("candidate_rating",
                   "expected strong_no|no|yes|strong_yes|no_decision, got \"" + *rating + "\"");
  }

  model::RatingScale scale;
  for (const char* value : {"strong_no", "no", "mixed", "yes", "strong_yes"})
    scale.values.emplace_back(value);
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    std::string at = "scorecard_candidate_attributes[" + std::to_string(i) + "]";
    Fields row(attributes[i], problems, at);
    model::FeedbackField field;
    field.type = model::FeedbackFieldType::scorecard_attribute;
    std::optional<std::string> name = row.words("name");
    std::optional<std::string> attribute = row.id("job_candidate_attribute_id");
    if (!name && attribute) {
      auto known = attribute_names.find(*attribute);
      if (known != attribute_names.end())
        name = known->second;
    }
    if (!name) {
      problems.add(at + ".name", "the attribute's name is unknown");
      name = "Attribute " + attribute.value_or(std::to_string(i + 1));
    }
    field.label = *name;
    std::optional<std::string> value = row.text("candidate_attribute_rating");
    if (!value)
      value = row.text("rating");  // v1 spelling
    if (value) {
      // §6.5: definitely_not|no|yes|strong_yes|mixed|no_decision (v1 and v3 alike).
      static const std::set<std::string> kAttributeRatings{
          "definitely_not", "no", "yes", "strong_yes", "mixed", "no_decision"};
      std::optional<model::Recommendation> normalized =
          *value == "definitely_not"        ? std::optional(model::Recommendation::strong_no)
          : kAttributeRatings.count(*value) ? model::enum_from_string<model::Recommendation>(*value)
                                            : std::nullopt;
      field.value = json::string(normalized ? std::string(model::to_string(*normalized))
                                            : std::string(*value));
      if (!kAttributeRatings.count(*value))
        problems.add(
            at + ".candidate_attribute_rating",
            "expected definitely_not|no|yes|strong_yes|mixed|no_decision, got \"" + *value + "\"");
    }
    field.scale = scale;
    field.note = row.words("note");
    field.category = row.words("type");
    feedback.fields.push_back(std::move(field));
  }
  for (std::size_t i = 0; i < answers.size(); ++i) {
    std::string at = "scorecard_question_answers[" + std::to_string(i) + "]";
    Fields row(answers[i], problems, at);
    model::FeedbackField field;
    std::optional<std::string> question = row.words("question");  // v1 / inlined
    std::optional<std::string> question_id = row.id("scorecard_question_id");
    if (!question && question_id) {
      auto known = question_texts.find(*question_id);
      if (known != question_texts.end() && !known->second.empty())
        question = known->second;
      else
        problems.add(at + ".scorecard_question_id",
                     "the question " + *question_id + " is not listed by /v3/scorecard_questions");
    } else if (!question) {
      problems.add(at + ".scorecard_question_id", "the answer names no question");
    }
    if (!question)
      question = "Question " + question_id.value_or(std::to_string(i + 1));
    field.label = *question;
    if (std::optional<bool> yes_no = row.flag("boolean_value")) {
      field.type = model::FeedbackFieldType::yes_no;
      field.value = *yes_no;
    } else {
      field.type = model::FeedbackFieldType::textarea;
      if (std::optional<std::string> answer = row.text("answer"))
        field.value = json::string(*answer);
    }
    feedback.fields.push_back(std::move(field));
  }
  feedback.text = fields.words("notes");
  // The "note to other interviewers" (scorecards.json `public_notes`) is its own labelled field.
  if (std::optional<std::string> public_notes = fields.words("public_notes");
      public_notes && public_notes != feedback.text) {
    model::FeedbackField field;
    field.label = "Note to Other Interviewers";
    field.type = model::FeedbackFieldType::textarea;
    field.value = json::string(*public_notes);
    feedback.fields.push_back(std::move(field));
  }
  if (std::optional<std::string> private_notes = fields.words("private_notes")) {
    model::FeedbackField field;
    field.label = "Private Notes";
    field.type = model::FeedbackFieldType::textarea;
    field.value = json::string(*private_notes);
    feedback.fields.push_back(std::move(field));
  }
  feedback.raw = json::object{
      {"scorecard", raw},
      {"scorecard_candidate_attributes", json::array(attributes.begin(), attributes.end())},
      {"scorecard_question_answers", json::array(answers.begin(), answers.end())}};
  return finish(std::move(feedback), problems);
}

model::Record map_interview(const json::value& raw, const std::vector<json::value>& panel,
                            const std::string& candidate_id,
                            const std::optional<std::string>& job_interview_name) {
  std::vector<json::value> interviewers = oldest_first(panel);
  Problems problems;
  Fields fields(raw, problems);
  auto interview = start<model::Interview>("interview", raw, fields, problems);
  if (candidate_id.empty())
    problems.add("application_id", "the interview's application was not found");
  interview.person_key = source_key("candidate", candidate_id.empty() ? "missing" : candidate_id);
  interview.candidacy_key = key_of("application", fields.id("application_id"));
  interview.title = job_interview_name;
  if (!interview.title)
    interview.title = fields.words("name");
  if (!interview.title)
    if (const json::object* kind = fields.object("interview"))
      interview.title = Fields(*kind, problems, "interview").words("name");
  interview.start_at = fields.time("starts_at");
  if (!interview.start_at)
    interview.start_at = day_start(fields.date("all_day_start_on"));
  interview.end_at = fields.time("ends_at");
  if (!interview.end_at)
    interview.end_at = day_start(fields.date("all_day_end_on"));
  interview.location = fields.words("location");
  interview.status = fields.words("status");
  if (std::optional<std::string> video = fields.words("video_conferencing_url"))
    interview.extra["video_conferencing_url"] = *video;
  if (std::optional<std::string> organizer = fields.id("organizer_id"))
    interview.extra["organizer_user_key"] = source_key("user", *organizer);
  for (std::size_t i = 0; i < interviewers.size(); ++i) {
    Fields row(interviewers[i], problems, "interviewers[" + std::to_string(i) + "]");
    model::Interviewer mapped;
    mapped.user_key = key_of("user", row.id("user_id"));
    mapped.name = row.words("name");
    if (std::optional<std::string> email = row.words("email"))
      mapped.extra["email"] = *email;
    if (std::optional<std::string> response = row.words("response_status"))
      mapped.extra["response_status"] = *response;
    if (std::optional<std::string> scorecard = row.id("scorecard_id"))
      interview.feedback_keys.push_back(source_key("scorecard", *scorecard));
    interview.interviewers.push_back(std::move(mapped));
  }
  interview.raw = json::object{
      {"interview", raw}, {"interviewers", json::array(interviewers.begin(), interviewers.end())}};
  return finish(std::move(interview), problems);
}

model::Record map_offer(const json::value& raw, const std::string& candidate_id) {
  Problems problems;
  Fields fields(raw, problems);
  auto offer = start<model::Offer>("offer", raw, fields, problems);
  std::optional<std::string> own_candidate = fields.id("candidate_id");
  std::string candidate = own_candidate.value_or(candidate_id);
  if (candidate.empty())
    problems.add("application_id", "the offer's application was not found");
  offer.person_key = source_key("candidate", candidate.empty() ? "missing" : candidate);
  offer.candidacy_key = key_of("application", fields.id("application_id"));
  offer.status = fields.words("status");
  offer.created_at = fields.time("created_at");
  offer.sent_at = day_start(fields.date("sent_on"));
  if (!offer.sent_at)
    offer.sent_at = day_start(fields.date("sent_at"));  // v1: a date
  offer.resolved_at = fields.time("resolved_at");
  offer.start_date = fields.date("starts_on");
  if (!offer.start_date)
    offer.start_date = fields.date("starts_at");  // v1: a date
  if (std::optional<std::int64_t> version = fields.integer("version"))
    offer.fields.push_back({"Version", json::value(*version), {}});
  if (std::optional<std::string> opening = fields.id("opening_id"))
    offer.fields.push_back({"Opening", json::value(*opening), {}});
  if (const json::object* custom = fields.object("custom_fields"))
    for (const auto& [key, entry] : *custom) {
      std::string label(key);
      json::value value = entry;
      if (entry.is_object() && entry.as_object().contains("value")) {
        if (const json::value* name = entry.as_object().if_contains("name");
            name && name->is_string())
          label = std::string(name->as_string());
        value = entry.as_object().at("value");
      }
      if (!value.is_null())
        offer.fields.push_back({label, std::move(value), {}});
    }
  return finish(std::move(offer), problems);
}

model::Record map_attachment(const json::value& raw, const FetchedFile& fetched,
                             const std::string& application_candidate) {
  Problems problems;
  Fields fields(raw, problems);
  json::value kept = raw;
  if (kept.is_object())
    if (json::value* url = kept.as_object().if_contains("url"); url && url->is_string()) {
      std::string text(url->as_string());
      *url = json::string(text.substr(0, text.find('?')));
    }
  auto file = start<model::File>("attachment", raw, fields, problems);
  file.raw = std::move(kept);
  // candidate_id may be null (attachments.json): the application's candidate then.
  std::optional<std::string> candidate = fields.id("candidate_id");
  if (!candidate && !application_candidate.empty())
    candidate = application_candidate;
  if (!candidate)
    problems.add("candidate_id", "required id is missing");
  file.person_key = source_key("candidate", candidate.value_or("missing"));
  file.candidacy_key = key_of("application", fields.id("application_id"));
  std::optional<std::string> name = fields.words("filename");
  if (!name)
    problems.add("filename", "an attachment without a file name");
  file.file_name = name.value_or("attachment-" + id_of(raw));
  std::optional<std::string> type = fields.words("type");
  file.is_resume = type == "resume";
  if (type)
    file.extra["attachment_type"] = *type;
  file.uploaded_at = fields.time("created_at");
  if (!fetched.sha256.empty())
    file.sha256 = fetched.sha256;
  file.size = fetched.size;
  file.content_type = fetched.content_type;
  file.skipped_reason = fetched.skipped_reason;
  file.fetch_failure = fetched.failure;
  return finish(std::move(file), problems);
}

}  // namespace atsm::greenhouse
