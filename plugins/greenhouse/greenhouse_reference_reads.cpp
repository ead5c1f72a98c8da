#include "greenhouse_source.hpp"

namespace atsm::greenhouse {

// A job with its hiring team: /v3/job_hiring_managers and /v3/job_owners (the responsible
// recruiter, else the first recruiter, is the owner), each read whole once.
model::Record GreenhouseSource::job_record(const json::value& item) {
  model::Record record = map_job(item, custom_field_index());
  model::Job& job = std::get<model::Job>(record);
  std::string id = id_of(item);
  const auto& managers = account_list("job_hiring_managers", "job_id");
  if (auto found = managers.find(id); found != managers.end())
    for (const json::value& row : found->second)
      if (std::optional<std::string> user = member_id(row, "user_id"))
        job.hiring_manager_user_keys.push_back(source_key("user", *user));
  const auto& owners = account_list("job_owners", "job_id");
  if (auto found = owners.find(id); found != owners.end())
    for (const json::value& row : found->second) {
      const json::value* type = row.is_object() ? row.as_object().if_contains("type") : nullptr;
      const json::value* responsible =
          row.is_object() ? row.as_object().if_contains("responsible") : nullptr;
      std::optional<std::string> user = member_id(row, "user_id");
      if (!user || type == nullptr || !type->is_string() || type->as_string() != "recruiter")
        continue;
      if (!job.owner_user_key || (responsible && responsible->is_bool() && responsible->as_bool()))
        job.owner_user_key = source_key("user", *user);
    }
  return record;
}

const CustomFieldIndex& GreenhouseSource::custom_field_index() {
  if (!custom_field_index_) {
    CustomFieldIndex index;
    for (const json::value& field : custom_fields())
      index.add(field);
    custom_field_index_ = std::move(index);
  }
  return *custom_field_index_;
}

const json::array& GreenhouseSource::custom_fields() {
  if (!custom_fields_)
    custom_fields_ = client_.list_all("custom_fields", {}, "list /v3/custom_fields");
  return *custom_fields_;
}

void GreenhouseSource::read_custom_fields(const Position& from, sdk::Emitter& emitter) {
  std::map<std::string, std::vector<json::value>> options;
  for (json::value& option :
       client_.list_all("custom_field_options", {}, "list /v3/custom_field_options"))
    if (std::optional<std::string> field = member_id(option, "custom_field_id"))
      options[*field].push_back(std::move(option));
  std::int64_t last = from.last_id;
  json::array seen;  // a read from the start sees every definition: jobs and persons reuse it
  walk("custom_fields", {}, from, "list /v3/custom_fields",
       [&](json::array& items, const std::optional<std::string>&,
           const std::optional<std::string>& next) {
         std::vector<model::Record> records;
         for (const json::value& item : items) {
           seen.push_back(item);
           std::optional<model::Record> record = map_custom_field(item, options[id_of(item)]);
           if (record)
             records.push_back(std::move(*record));
           else
             ++skipped_;
         }
         last = last_id_of(items, last);
         emit(emitter, "custom_field", records, next ? checkpoint_text(next, last) : "");
       });
  if (!from.page && from.last_id == 0 && !custom_fields_)
    custom_fields_ = std::move(seen);
}

}  // namespace atsm::greenhouse
