#include "tables.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <stdexcept>

namespace atsm::archive {
namespace {

namespace json = boost::json;

TableSpec main_spec(std::string name, std::string kind, std::vector<std::string> fields) {
  std::vector<std::string> columns = {"source", "source_key"};
  columns.insert(columns.end(), fields.begin(), fields.end());
  std::vector<std::string> all = {"source", "source_key"};
  all.insert(all.end(), fields.begin(), fields.end());
  return TableSpec{std::move(name), std::move(kind), "", "", false, all, columns};
}

TableSpec child_spec(std::string name, std::string kind, std::string field, std::string parent_col,
                     std::vector<std::string> fields, std::vector<std::string> names = {},
                     bool with_parent_kind = false) {
  std::vector<std::string> columns;
  if (with_parent_kind)
    columns.push_back("parent_kind");
  columns.push_back(parent_col);
  columns.push_back("position");
  const std::vector<std::string>& labels = names.empty() ? fields : names;
  columns.insert(columns.end(), labels.begin(), labels.end());
  return TableSpec{std::move(name),  std::move(kind),   std::move(field),  std::move(parent_col),
                   with_parent_kind, std::move(fields), std::move(columns)};
}

std::vector<TableSpec> make_specs() {
  const std::vector<std::string> cf_fields = {"field_key", "name", "value"};
  return {
      main_spec("users", "user", {"name", "email", "active", "access_role"}),
      main_spec("departments", "department", {"name", "parent_key", "location"}),
      main_spec("offices", "office", {"name", "parent_key", "location"}),
      main_spec("custom_fields", "custom_field", {"name", "object", "field_type"}),
      child_spec("custom_field_options", "custom_field", "options", "custom_field_key",
                 {"name", "key"}),
      main_spec("jobs", "job",
                {"title", "status", "confidential", "department_keys", "office_keys", "location",
                 "team", "owner_user_key", "hiring_manager_user_keys", "requisition_code",
                 "created_at", "updated_at"}),
      child_spec("custom_field_values", "job", "custom_fields", "parent_key", cf_fields, {}, true),
      main_spec("stages", "stage", {"name", "job_key", "order", "stage_type"}),
      main_spec("archive_reasons", "archive_reason", {"name", "type"}),
      main_spec("sources", "source", {"name", "type"}),
      main_spec("tags", "tag", {"name"}),
      main_spec("persons", "person",
                {"name", "first_name", "last_name", "location", "headline", "company", "title",
                 "owner_user_key", "recruiter_user_key", "coordinator_user_key", "is_private",
                 "confidential", "anonymized", "created_at", "updated_at"}),
      child_spec("person_emails", "person", "emails", "person_key",
                 {"address", "normalized", "type"}),
      child_spec("person_phones", "person", "phones", "person_key", {"number", "type"}),
      child_spec("person_links", "person", "links", "person_key", {"url", "type"}),
      child_spec("person_addresses", "person", "addresses", "person_key", {"value", "type"}),
      child_spec("person_tags", "person", "tags", "person_key", {""}, {"tag"}),
      child_spec("custom_field_values", "person", "custom_fields", "parent_key", cf_fields, {},
                 true),
      main_spec("candidacies", "candidacy",
                {"person_key", "job_key", "status", "stage_key", "archive_reason_key",
                 "archived_at", "credited_to_user_key", "owner_user_key", "created_at",
                 "updated_at", "applied_at", "is_prospect", "confidential"}),
      child_spec("stage_history", "candidacy", "stage_history", "candidacy_key",
                 {"stage_key", "entered_at", "by_user_key"}),
      child_spec("candidacy_sources", "candidacy", "sources", "candidacy_key",
                 {"source_key", "name"}),
      child_spec("candidacy_tags", "candidacy", "tags", "candidacy_key", {""}, {"tag"}),
      child_spec("custom_field_values", "candidacy", "custom_fields", "parent_key", cf_fields, {},
                 true),
      main_spec("notes", "note",
                {"person_key", "candidacy_key", "author_user_key", "author_name", "body",
                 "body_format", "created_at", "is_private", "deleted"}),
      main_spec("feedback", "feedback",
                {"person_key", "candidacy_key", "author_user_key", "author_name", "interview_key",
                 "form_name", "submitted_at", "recommendation", "text"}),
      child_spec("feedback_fields", "feedback", "fields", "feedback_key",
                 {"label", "type", "value", "note", "category", "scale"}),
      main_spec("interviews", "interview",
                {"person_key", "candidacy_key", "title", "start_at", "end_at", "location", "status",
                 "feedback_keys"}),
      child_spec("interview_interviewers", "interview", "interviewers", "interview_key",
                 {"user_key", "name"}),
      main_spec("offers", "offer",
                {"person_key", "candidacy_key", "status", "created_at", "sent_at", "resolved_at",
                 "start_date", "creator_user_key"}),
      child_spec("offer_fields", "offer", "fields", "offer_key", {"label", "value"}),
      main_spec("files", "file",
                {"person_key", "candidacy_key", "file_name", "content_type", "size", "sha256",
                 "is_resume", "uploaded_at", "skipped_reason", "archive_path"}),
  };
}

Value member(const json::object& object, const std::string& name) {
  const json::value* value = object.if_contains(name);
  return value ? Value(*value) : Value();
}

}  // namespace

const std::vector<TableSpec>& table_specs() {
  static const std::vector<TableSpec> specs = make_specs();
  return specs;
}

const std::vector<std::string>& table_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const TableSpec& spec : table_specs()) {
      bool seen = false;
      for (const std::string& name : out)
        seen = seen || name == spec.name;
      if (!seen)
        out.push_back(spec.name);
    }
    return out;
  }();
  return names;
}

Cell cell_text(const Value& value) {
  if (!value || value->is_null())
    return std::nullopt;
  if (value->is_string())
    return std::string(value->as_string());
  if (value->is_bool())
    return std::string(value->as_bool() ? "true" : "false");
  if (value->is_double()) {
    // The shortest text that reads back as the same number ("2.5"), not Boost's "2.5E0".
    char text[32];
    auto written = std::to_chars(text, text + sizeof text, value->as_double());
    return std::string(text, written.ptr);
  }
  return json::serialize(*value);
}

const TableSpec* table_spec(const std::string& kind, const std::string& table) {
  for (const TableSpec& spec : table_specs()) {
    if (spec.kind == kind && spec.name == table)
      return &spec;
  }
  return nullptr;
}

const std::vector<std::string>* table_columns(const std::string& table) {
  for (const TableSpec& spec : table_specs()) {
    if (spec.name == table)
      return &spec.columns;
  }
  return nullptr;
}

std::string main_table(const std::string& kind) {
  for (const TableSpec& spec : table_specs()) {
    if (spec.kind == kind && spec.field.empty())
      return spec.name;
  }
  return {};
}

std::vector<Row> flatten(const std::string& kind, const json::value& value) {
  if (!value.is_object())
    throw std::invalid_argument(kind + " record: field 'record' is not a JSON object");
  const json::object& record = value.as_object();
  const json::value* key = record.if_contains("source_key");
  if (key == nullptr || !key->is_string() || key->as_string().empty())
    throw std::invalid_argument(kind + " record: field 'source_key' is missing or not a string");
  std::string source_key(key->as_string());
  std::vector<Row> rows;
  for (const TableSpec& spec : table_specs()) {
    if (spec.kind != kind)
      continue;
    if (spec.field.empty()) {
      Row row{spec.name, source_key, {}};
      for (const std::string& field : spec.fields)
        row.values.push_back(member(record, field));
      rows.push_back(std::move(row));
      continue;
    }
    const json::value* list = record.if_contains(spec.field);
    if (list == nullptr || list->is_null())
      continue;
    if (!list->is_array()) {
      throw std::invalid_argument(kind + " " + source_key + ": field '" + spec.field +
                                  "' is not an array");
    }
    size_t position = 0;
    for (const json::value& element : list->as_array()) {
      ++position;
      Row row{spec.name, source_key + "#" + std::to_string(position), {}};
      if (spec.with_parent_kind)
        row.values.emplace_back(json::string(kind));
      row.values.emplace_back(json::string(source_key));
      row.values.emplace_back(json::string(std::to_string(position)));
      for (const std::string& field : spec.fields) {
        if (field.empty())
          row.values.emplace_back(element);
        else
          row.values.push_back(element.is_object() ? member(element.as_object(), field) : Value());
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

size_t repair_utf8(std::string& text) {
  size_t replaced = 0;
  std::string out;
  size_t i = 0;
  bool changed = false;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (valid && length > 1) {
      // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
      uint32_t cp = c & (0xFF >> (length + 1));
      for (size_t k = 1; k < length; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
      static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      valid = cp >= kMin[length] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (!valid) {
      if (!changed) {
        out.assign(text, 0, i);
        changed = true;
      }
      out += "\xEF\xBF\xBD";
      ++replaced;
      ++i;
      continue;
    }
    if (changed)
      out.append(text, i, length);
    i += length;
  }
  if (changed)
    text = std::move(out);
  return replaced;
}

size_t repair_utf8(json::value& value) {
  size_t replaced = 0;
  if (value.is_string()) {
    std::string text(value.as_string());
    if (size_t fixed = repair_utf8(text); fixed > 0) {
      value = json::string(text);
      replaced += fixed;
    }
  } else if (value.is_array()) {
    for (json::value& element : value.as_array())
      replaced += repair_utf8(element);
  } else if (value.is_object()) {
    json::object repaired;
    for (auto& [key, element] : value.as_object()) {
      std::string name(key);
      replaced += repair_utf8(name);
      replaced += repair_utf8(element);
      repaired[name] = std::move(element);
    }
    value = std::move(repaired);
  }
  return replaced;
}

}  // namespace atsm::archive
