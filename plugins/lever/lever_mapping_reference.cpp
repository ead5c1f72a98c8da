#include "lever_mapping.hpp"

#include <algorithm>
#include <map>

#include <atsmigrate/model/email.hpp>

#include "lever_mapping_fields.hpp"

namespace atsm::lever {
namespace json = boost::json;

// ---- reference data ---------------------------------------------------------------------------

model::Record map_user(const json::value& raw) {
  ValidationErrors problems;
  Fields f(raw, problems);
  auto user = start_record<model::User>(raw, "user", f.required_id("id"));
  user.name = f.text("name").value_or("");
  if (user.name.empty())
    problems.add("name", "user has no name");
  user.email = f.text("email");
  if (user.email && !model::normalize_email(*user.email))
    problems.add("email", "\"" + *user.email + "\" is not an email address");
  // deactivatedAt null = active.
  f.millis("deactivatedAt");
  user.active = f.get("deactivatedAt") == nullptr;
  user.access_role = f.text("accessRole");
  return finish(std::move(user), problems);
}

bool is_lead_stage(const std::string& id, const std::string& title) {
  std::string lower = title;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return id.rfind("lead-", 0) == 0 || lower == "new lead" || lower == "lead";
}

model::Record map_stage(const json::value& raw, std::int64_t order) {
  ValidationErrors problems;
  Fields f(raw, problems);
  std::string id = f.required_id("id");
  auto stage = start_record<model::Stage>(raw, "stage", id);
  stage.name = f.text("text").value_or("");
  stage.order = order;
  std::string lower = stage.name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Lever's built-in stage ids name their role, but accounts also show them with UUID ids
  // ("New applicant", "New lead": tests/lever/docs/lever_docs_examples.json "stages_list"), so the
  // title types them as well.
  if (is_lead_stage(id, stage.name))
    stage.stage_type = model::StageType::lead;
  else if (id == "applicant-new" || lower == "new applicant" || lower == "applicant")
    stage.stage_type = model::StageType::applied;
  else if (id == "offer" || lower.find("offer") != std::string::npos)
    stage.stage_type = model::StageType::offer;
  else if (lower.find("screen") != std::string::npos)
    stage.stage_type = model::StageType::screen;
  else if (lower.find("interview") != std::string::npos ||
           lower.find("on-site") != std::string::npos || lower.find("onsite") != std::string::npos)
    stage.stage_type = model::StageType::interview;
  else if (lower.find("hired") != std::string::npos)
    stage.stage_type = model::StageType::hired;
  else
    stage.stage_type = model::StageType::other;
  return finish(std::move(stage), problems);
}

model::Record map_archive_reason(const json::value& raw) {
  ValidationErrors problems;
  Fields f(raw, problems);
  auto reason = start_record<model::ArchiveReason>(raw, "archive_reason", f.required_id("id"));
  reason.name = f.text("text").value_or("");
  std::optional<std::string> type = f.one_of("type", {"hired", "non-hired"});
  if (!type)
    problems.add("type", "archive reason has no type");
  reason.type =
      type == "hired" ? model::ArchiveReasonType::hired : model::ArchiveReasonType::non_hired;
  if (std::optional<std::string> status = f.one_of("status", {"active", "inactive"}))
    reason.extra["status"] = *status;
  return finish(std::move(reason), problems);
}

model::Record map_source(const json::value& raw) {
  ValidationErrors problems;
  Fields f(raw, problems);
  std::string text = f.required_id("text");
  auto source = start_record<model::Source>(raw, "source", text);
  source.name = text;
  return finish(std::move(source), problems);
}

model::Record map_tag(const json::value& raw) {
  ValidationErrors problems;
  Fields f(raw, problems);
  std::string text = f.required_id("text");
  auto tag = start_record<model::Tag>(raw, "tag", text);
  tag.name = text;
  return finish(std::move(tag), problems);
}

namespace {

// A posting's locations: allLocations when present, else its single location.
std::vector<std::string> posting_locations(const json::object* categories) {
  std::vector<std::string> out;
  if (categories == nullptr)
    return out;
  if (const json::value* all = categories->if_contains("allLocations"); all && all->is_array())
    for (const json::value& location : all->as_array())
      if (location.is_string() && !location.as_string().empty())
        out.emplace_back(location.as_string());
  if (out.empty())
    if (const json::value* one = categories->if_contains("location");
        one && one->is_string() && !one->as_string().empty())
      out.emplace_back(one->as_string());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::string> category(const json::object* categories, const char* name) {
  if (categories == nullptr)
    return std::nullopt;
  const json::value* value = categories->if_contains(name);
  if (value == nullptr || !value->is_string() || value->as_string().empty())
    return std::nullopt;
  return std::string(value->as_string());
}

template <class T>
std::vector<model::Record> named_from_postings(const std::vector<json::value>& postings,
                                               const char* object, bool locations) {
  std::map<std::string, json::array> names;  // name -> posting ids
  for (const json::value& posting : postings) {
    if (!posting.is_object())
      continue;
    const json::object& fields = posting.as_object();
    const json::value* categories_value = fields.if_contains("categories");
    const json::object* categories = categories_value && categories_value->is_object()
                                         ? &categories_value->as_object()
                                         : nullptr;
    std::vector<std::string> found;
    if (locations) {
      found = posting_locations(categories);
    } else if (std::optional<std::string> department = category(categories, "department")) {
      found.push_back(*department);
    }
    const json::value* id = fields.if_contains("id");
    for (const std::string& name : found) {
      json::array& ids = names[name];
      if (id != nullptr && id->is_string())
        ids.push_back(*id);
    }
  }
  std::vector<model::Record> out;
  for (auto& [name, ids] : names) {
    json::value raw = json::object{{"name", name}, {"postings", ids}};
    T record = start_record<T>(raw, object, name);
    record.name = name;
    out.emplace_back(std::move(record));
  }
  return out;
}

}  // namespace

std::vector<model::Record> departments_from_postings(const std::vector<json::value>& postings) {
  return named_from_postings<model::Department>(postings, "department", false);
}

std::vector<model::Record> offices_from_postings(const std::vector<json::value>& postings) {
  return named_from_postings<model::Office>(postings, "office", true);
}

model::Record map_posting(const json::value& raw) {
  ValidationErrors problems;
  Fields f(raw, problems);
  auto job = start_record<model::Job>(raw, "posting", f.required_id("id"));
  job.title = f.text("text").value_or("");
  if (job.title.empty())
    problems.add("text", "posting has no title");
  std::optional<std::string> state =
      f.one_of("state", {"published", "internal", "closed", "draft", "pending", "rejected"});
  if (state == "published" || state == "internal")
    job.status = model::JobStatus::open;
  else if (state == "closed")
    job.status = model::JobStatus::closed;
  else if (state == "rejected")
    job.status = model::JobStatus::archived;
  else
    job.status = model::JobStatus::draft;  // draft, pending approval, or unknown
  if (state)
    job.extra["lever_state"] = *state;
  if (std::optional<std::string> confidentiality =
          f.one_of("confidentiality", {"confidential", "non-confidential"}))
    job.confidential = *confidentiality == "confidential";
  const json::object* categories = f.object("categories");
  if (std::optional<std::string> department = category(categories, "department"))
    job.department_keys.push_back(source_key("department", *department));
  for (const std::string& location : posting_locations(categories))
    job.office_keys.push_back(source_key("office", location));
  job.location = category(categories, "location");
  job.team = category(categories, "team");
  if (std::optional<std::string> commitment = category(categories, "commitment"))
    job.extra["commitment"] = *commitment;
  job.owner_user_key = user_key(f.ref_id("owner"));
  if (!job.owner_user_key)
    job.owner_user_key = user_key(f.ref_id("user"));
  if (std::optional<std::string> manager = f.ref_id("hiringManager"))
    job.hiring_manager_user_keys.push_back(source_key("user", *manager));
  std::vector<std::string> codes = f.strings("requisitionCodes");
  if (!codes.empty())
    job.requisition_code = codes.front();
  else
    job.requisition_code = f.text("reqCode");
  job.created_at = f.time("createdAt");
  job.updated_at = f.time("updatedAt");
  return finish(std::move(job), problems);
}

}  // namespace atsm::lever
