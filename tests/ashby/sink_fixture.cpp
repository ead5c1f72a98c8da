#include "sink_fixture.hpp"

namespace atsm::ashby::testing {

const std::set<std::string> kWriteMethods{"candidate.create",
                                          "candidate.update",
                                          "candidate.addTag",
                                          "candidate.createNote",
                                          "candidate.uploadResume",
                                          "candidate.uploadFile",
                                          "candidateTag.create",
                                          "application.create",
                                          "application.update",
                                          "application.changeStage",
                                          "applicationFeedback.submit",
                                          "customField.create",
                                          "customField.setValues",
                                          "customField.setValue",
                                          "file.createFileUploadHandle",
                                          "job.create",
                                          "job.update",
                                          "job.setStatus",
                                          "department.create",
                                          "location.create"};

json::object person(const std::string& id, const std::string& name,
                    const std::vector<std::string>& emails, json::object extra) {
  json::array email_json;
  for (const auto& email : emails)
    email_json.push_back(json::object{{"address", email}});
  json::object record{{"kind", "person"},
                      {"source", "lever"},
                      {"source_key", "lever:contact:" + id},
                      {"name", name},
                      {"created_at", "2019-03-04T10:00:00Z"}};
  if (!emails.empty())
    record["emails"] = std::move(email_json);
  for (const auto& [key, value] : extra)
    record[key] = value;
  return record;
}

const json::object* candidate_by_legacy(const json::object& state, const std::string& key) {
  for (const auto& candidate : state.at("candidates").as_array()) {
    const auto& custom = candidate.at("customFields").as_object();
    if (auto* legacy = custom.if_contains("Legacy IDs"))
      if (legacy->as_string().find(key) != json::string::npos)
        return &candidate.as_object();
  }
  return nullptr;
}

std::string stage_id(const json::object& catalog, const std::string& name) {
  for (const auto& stage : catalog.at("catalog").at("stage").as_array())
    if (stage.at("name").as_string() == name)
      return std::string(stage.at("id").as_string());
  ADD_FAILURE() << "no stage " << name;
  return {};
}

std::string catalog_id(const json::object& catalog, const std::string& kind,
                       const std::string& name) {
  for (const auto& entry : catalog.at("catalog").at(kind).as_array())
    if (entry.at("name").as_string() == name)
      return std::string(entry.at("id").as_string());
  ADD_FAILURE() << "no " << kind << " " << name;
  return {};
}

}  // namespace atsm::ashby::testing
