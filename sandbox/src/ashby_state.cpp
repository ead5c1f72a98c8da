// The emulated Ashby's store (docs/vendors/ashby.md): the operator's configuration, the objects
// written through the API (journalled under --state), the method table that answers each RPC
// (the handlers: ashby_candidates.cpp, ashby_notes_feedback.cpp, ashby_files.cpp, ashby_jobs.cpp,
// ashby_applications.cpp, ashby_reference.cpp), list paging and sync tokens, and business errors
// as success:false with errorInfo {code, message, requestId}.
#include "ashby_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <random>
#include <set>
#include <stdexcept>

#include "ashby_rpc.hpp"
#include "sandbox/dataset.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace json = boost::json;
namespace ashby_rpc {

[[noreturn]] void fail(const std::string& code, const std::string& message) {
  throw AshbyError{code, message};
}

const json::value* field(const json::object& body, const char* key) {
  const json::value* value = body.if_contains(key);
  return value != nullptr && !value->is_null() ? value : nullptr;
}

std::string required_string(const json::object& body, const char* key) {
  const json::value* value = field(body, key);
  if (value == nullptr)
    fail("invalid_input", std::string("Missing required parameter: ") + key);
  if (!value->is_string() || value->as_string().empty())
    fail("invalid_input", std::string("Parameter ") + key + " must be a non-empty string");
  return std::string(value->as_string());
}

std::optional<std::string> optional_string(const json::object& body, const char* key) {
  const json::value* value = field(body, key);
  if (value == nullptr)
    return std::nullopt;
  if (!value->is_string())
    fail("invalid_input", std::string("Parameter ") + key + " must be a string");
  return std::string(value->as_string());
}

std::string checked_time(const json::object& body, const char* key, const std::string& fallback) {
  auto text = optional_string(body, key);
  if (!text)
    return fallback;
  std::int64_t ms = 0;
  if (!parse_iso_time(*text, ms))
    fail("invalid_input", std::string("Parameter ") + key + " must be an ISO-8601 date-time");
  return iso_time(ms);
}

// What the API answers: private members (`_…`) left out, and absent members rather than null
// ones: the document types e.g. job.defaultInterviewPlanId, department.parentId and
// feedback.interviewId as plain strings, never null (ashby-api-openapi.extract.json).
json::object render(const json::object& object) {
  json::object out;
  for (const auto& [key, value] : object)
    if (!key.starts_with("_") && !value.is_null())
      out[key] = value;
  return out;
}

// These lists' request schemas take no `limit` (sandbox/validator/ashby-api-openapi.extract.json:
// archiveReason.list, source.list, interviewStage.list; location.list's schema has
// additionalProperties: false). Only location.list's refusal is the document's; for the other three
// it does not say whether Ashby refuses or ignores the property, and the strict reading is taken so
// a client that sends one fails here (the validating proxy's --undocumented record|refuse emulates
// both readings).
void refuse_limit(const json::object& body, const std::string& method) {
  if (body.contains("limit"))
    fail("invalid_input", method + " takes no parameter limit");
}

}  // namespace ashby_rpc

using namespace ashby_rpc;

namespace {

std::string stable_uuid(const std::string& kind, const std::string& name) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (char c : kind + "\x1f" + name)
    hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  Rng rng(hash);
  return rng.uuid();
}

}  // namespace

bool AshbyState::is_write_method(const std::string& method) {
  auto known = handlers().find(method);
  return known != handlers().end() && known->second.writes;
}

AshbyState::AshbyState(const json::object& config, std::optional<std::filesystem::path> state_dir,
                       std::uint64_t seed, double rate_scale, std::int64_t max_file_bytes,
                       int download_url_ttl_s)
    : state_dir_(std::move(state_dir)),
      seed_(seed),
      id_salt_(static_cast<std::uint64_t>(now_ms()) ^ std::random_device{}()),
      rate_scale_(rate_scale),
      download_url_ttl_s_(download_url_ttl_s),
      max_file_bytes_(max_file_bytes) {
  load_config(config);
  if (state_dir_) {
    std::filesystem::create_directories(*state_dir_);
    std::filesystem::permissions(*state_dir_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
    replay_journal();
    auto path = *state_dir_ / "ashby-journal.jsonl";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
      throw std::runtime_error("cannot open Ashby state journal " + path.string());
    ::close(fd);
    journal_.open(path, std::ios::app | std::ios::binary);
    if (!journal_)
      throw std::runtime_error("cannot open Ashby state journal " + path.string());
  }
}

std::string AshbyState::new_request_id() {
  static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::lock_guard lock(mutex_);
  Rng rng(mix_seed(seed_ ^ 0xAB5, ++serial_));
  std::string id;
  for (int i = 0; i < 26; ++i)
    id.push_back(kCrockford[rng.next() % 32]);
  return id;
}

std::string AshbyState::new_id(const std::string& kind) {
  // Salted per process so ids made after a restart never repeat journalled ones.
  for (;;) {
    Rng rng(mix_seed(seed_ ^ id_salt_ ^ std::hash<std::string>{}(kind), ++serial_));
    std::string id = rng.uuid();
    if (find(kind, id) == nullptr)
      return id;
  }
}

bool AshbyState::set_job_confidential(const std::string& job_id, bool confidential) {
  std::lock_guard lock(mutex_);
  Object* job = find("job", job_id);
  if (job == nullptr)
    return false;
  Object updated = *job;
  updated["confidential"] = confidential;
  updated["updatedAt"] = iso_time(now_ms());
  put("job", std::move(updated));
  return true;
}

AshbyState::Object& AshbyState::put(const std::string& kind, Object object, bool write_journal) {
  std::string id(object.at("id").as_string());
  object["_v"] = static_cast<std::int64_t>(++serial_);
  auto& collection = collections_[kind];
  auto emails_of = [](const Object& candidate) {
    std::set<std::string> emails;
    for (const auto& entry : candidate.at("emailAddresses").as_array())
      emails.insert(normalise_email(std::string(entry.at("value").as_string())));
    return emails;
  };
  if (kind == "candidate") {
    if (auto previous = collection.by_id.find(id); previous != collection.by_id.end())
      for (const auto& email : emails_of(previous->second))
        candidates_by_email_[email].erase(id);
    for (const auto& email : emails_of(object))
      candidates_by_email_[email].insert(id);
  }
  if (kind == "file")
    file_id_by_handle_[std::string(object.at("handle").as_string())] = id;
  // Kept as a copy sized to its members: an object built member by member holds up to twice the
  // table it needs, a quarter of the state at 100,000 persons (heaptrack, issue 22 item 5).
  auto [it, inserted] = collection.by_id.insert_or_assign(id, Object(object));
  if (inserted) {
    collection.position[id] = collection.order.size();
    // An object's owner never changes: the index grows with the collection, in order.
    const char* owner_key = kind == "note"       ? "_candidateId"
                            : kind == "feedback" ? "applicationId"
                                                 : nullptr;
    if (owner_key != nullptr)
      if (const json::value* owner = it->second.if_contains(owner_key); owner && owner->is_string())
        positions_by_owner_[kind + "|" + std::string(owner->as_string())].push_back(
            collection.order.size());
    collection.order.push_back(id);
  }
  if (write_journal)
    journal(kind, it->second);
  return it->second;
}

AshbyState::Object* AshbyState::find(const std::string& kind, const std::string& id) {
  auto cit = collections_.find(kind);
  if (cit == collections_.end())
    return nullptr;
  auto it = cit->second.by_id.find(id);
  return it == cit->second.by_id.end() ? nullptr : &it->second;
}

void AshbyState::journal(const std::string& kind, const Object& object) {
  if (!journal_.is_open())
    return;
  journal_ << json::serialize(json::object{{"kind", kind}, {"object", object}}) << '\n';
  journal_.flush();
}

void AshbyState::replay_journal() {
  auto path = *state_dir_ / "ashby-journal.jsonl";
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty())
      continue;
    try {
      auto entry = json::parse(line).as_object();
      std::string kind(entry.at("kind").as_string());
      const auto& object = entry.at("object").as_object();
      bool known = find(kind, std::string(object.at("id").as_string())) != nullptr;
      // Keep each object's version so sync tokens issued before the restart stay meaningful.
      if (auto* version = object.if_contains("_v"); version && version->is_int64())
        serial_ =
            std::max<std::uint64_t>(serial_, static_cast<std::uint64_t>(version->as_int64()) - 1);
      put(kind, object, false);
      if (auto* method = object.if_contains("_createdBy"); method && !known)
        ++created_by_method_[std::string(method->as_string())];
    } catch (const std::exception& error) {
      // A torn last line (killed mid-write) is expected; anything earlier is corruption.
      if (in.peek() != EOF)
        throw std::runtime_error("Ashby state journal " + path.string() + " line " +
                                 std::to_string(number) + ": " + error.what());
    }
  }
}

void AshbyState::load_config(const json::object& config) {
  auto array_of = [&](const char* key) -> json::array {
    if (auto* value = config.if_contains(key))
      return value->as_array();
    return {};
  };
  std::string api_user_email = config.contains("apiKeyUserEmail")
                                   ? std::string(config.at("apiKeyUserEmail").as_string())
                                   : "";
  for (const auto& value : array_of("users")) {
    const auto& user = value.as_object();
    std::string email(user.at("email").as_string());
    json::object object{
        {"id", stable_uuid("user", email)},
        {"firstName", user.at("firstName")},
        {"lastName", user.at("lastName")},
        {"email", email},
        {"globalRole",
         user.contains("globalRole") ? user.at("globalRole") : json::value("Elevated Access")},
        {"isEnabled", user.contains("isEnabled") ? user.at("isEnabled") : json::value(true)},
        {"updatedAt", "2025-01-01T00:00:00.000Z"}};
    if (api_user_id_.empty() || email == api_user_email)
      api_user_id_ = std::string(object["id"].as_string());
    put("user", std::move(object), false);
  }
  for (const auto& value : array_of("sources")) {
    std::string title(value.at("title").as_string());
    put("source",
        json::object{{"id", stable_uuid("source", title)},
                     {"title", title},
                     {"isArchived", false},
                     {"sourceType", json::object{{"id", stable_uuid("sourceType", "Inbound")},
                                                 {"title", "Inbound"},
                                                 {"isArchived", false}}}},
        false);
  }
  for (const auto& value : array_of("archiveReasons")) {
    std::string text(value.at("text").as_string());
    put("archive_reason",
        json::object{
            {"id", stable_uuid("archiveReason", text)},
            {"text", text},
            {"reasonType", value.as_object().contains("reasonType") ? value.at("reasonType")
                                                                    : json::value("RejectedByOrg")},
            {"isArchived", false}},
        false);
  }
  for (const auto& value : array_of("interviewPlans")) {
    std::string title(value.at("title").as_string());
    std::string plan_id = stable_uuid("interviewPlan", title);
    put("interview_plan",
        json::object{{"id", plan_id},
                     {"title", title},
                     {"isArchived", false},
                     {"createdAt", "2025-01-01T00:00:00.000Z"},
                     {"updatedAt", "2025-01-01T00:00:00.000Z"}},
        false);
    int order = 0;
    for (const auto& stage_value : value.at("stages").as_array()) {
      std::string stage_title(stage_value.at("title").as_string());
      put("interview_stage",
          json::object{{"id", stable_uuid("interviewStage", title + "/" + stage_title)},
                       {"title", stage_title},
                       {"type", stage_value.at("type")},
                       {"orderInInterviewPlan", order++},
                       {"interviewPlanId", plan_id}},
          false);
    }
  }
  for (const auto& value : array_of("feedbackForms")) {
    std::string title(value.at("title").as_string());
    json::array fields;
    for (const auto& f : value.at("fields").as_array()) {
      json::object field_def{
          {"id", stable_uuid("formField", title + "/" + std::string(f.at("path").as_string()))},
          {"path", f.at("path")},
          // Required by feedbackFormDefinition.info's field schema (humanReadablePath, isNullable).
          {"humanReadablePath", f.at("title")},
          {"title", f.at("title")},
          {"type", f.at("type")},
          {"isNullable", !(f.as_object().contains("isRequired") && f.at("isRequired").as_bool())}};
      if (auto* values = f.as_object().if_contains("selectableValues"))
        field_def["selectableValues"] = *values;
      fields.push_back(
          json::object{{"isRequired", f.as_object().contains("isRequired") ? f.at("isRequired")
                                                                           : json::value(false)},
                       {"field", std::move(field_def)}});
    }
    put("feedback_form",
        json::object{
            {"id", stable_uuid("feedbackForm", title)},
            {"organizationId", stable_uuid("organization", "sandbox")},
            {"title", title},
            {"isArchived", false},
            {"isDefaultForm", value.as_object().contains("isDefaultForm")
                                  ? value.at("isDefaultForm")
                                  : json::value(false)},
            {"formDefinition",
             json::object{{"sections", json::array{json::object{{"fields", std::move(fields)}}}}}}},
        false);
  }
  for (const auto& value : array_of("customFields")) {
    std::string title(value.at("title").as_string());
    std::string object_type(value.at("objectType").as_string());
    json::object object{{"id", stable_uuid("customField", object_type + "/" + title)},
                        {"isPrivate", false},
                        {"title", title},
                        {"objectType", object_type},
                        {"isArchived", false},
                        {"fieldType", value.at("fieldType")},
                        {"isRequired", false}};
    if (auto* values = value.as_object().if_contains("selectableValues"))
      object["selectableValues"] = *values;
    put("custom_field", std::move(object), false);
  }
  for (const auto& value : array_of("departments")) {
    std::string name(value.at("name").as_string());
    put("department",
        json::object{{"id", stable_uuid("department", name)},
                     {"name", name},
                     {"isArchived", false},
                     {"createdAt", "2025-01-01T00:00:00.000Z"},
                     {"updatedAt", "2025-01-01T00:00:00.000Z"}},
        false);
  }
  // Hiring team roles (hiringTeamRole.list): the configuration's, else the four a new account
  // is assumed to have [unverified: the role names third-party clients match].
  json::array roles = array_of("hiringTeamRoles");
  if (roles.empty())
    roles = {"Hiring Manager", "Recruiter", "Coordinator", "Sourcer"};
  for (const auto& value : roles) {
    std::string title(value.as_string());
    put("hiring_team_role",
        json::object{{"id", stable_uuid("hiringTeamRole", title)}, {"title", title}}, false);
  }
  for (const auto& value : array_of("locations")) {
    std::string name(value.at("name").as_string());
    put("location",
        json::object{{"id", stable_uuid("location", name)}, {"name", name}, {"isArchived", false}},
        false);
  }
}

json::object AshbyState::call(const AshbyCall& call, const std::string& base_url) {
  std::lock_guard lock(mutex_);
  try {
    json::object result = dispatch(call, base_url);
    result.emplace("success", true);
    json::object out{{"success", true}};
    for (auto& [key, value] : result)
      if (key != "success")
        out[key] = value;
    return out;
  } catch (const AshbyError& error) {
    static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    Rng rng(mix_seed(seed_ ^ 0xE44, ++serial_));
    std::string request_id;
    for (int i = 0; i < 26; ++i)
      request_id.push_back(kCrockford[rng.next() % 32]);
    return json::object{{"success", false},
                        {"errors", json::array{json::value(error.code)}},
                        {"errorInfo", json::object{{"code", error.code},
                                                   {"message", error.message},
                                                   {"requestId", request_id}}}};
  } catch (const std::exception& error) {
    // A malformed body (wrong JSON types) is the caller's input error, as Ashby reports it.
    Rng rng(mix_seed(seed_ ^ 0xE45, ++serial_));
    return json::object{{"success", false},
                        {"errors", json::array{"invalid_input"}},
                        {"errorInfo", json::object{{"code", "invalid_input"},
                                                   {"message", "Invalid input for " + call.method +
                                                                   ": " + error.what()},
                                                   {"requestId", rng.hex(26)}}}};
  }
}

// One handler per RPC, by its name (the families: ashby_candidates.cpp, ashby_notes_feedback.cpp,
// ashby_files.cpp, ashby_jobs.cpp, ashby_applications.cpp, ashby_reference.cpp).
const std::map<std::string, AshbyState::RpcMethod>& AshbyState::handlers() {
  static const std::map<std::string, RpcMethod> kHandlers{
      {"candidate.create", {&AshbyState::candidate_create, true}},
      {"candidate.update", {&AshbyState::candidate_update, true}},
      {"candidate.info", {&AshbyState::candidate_info, false}},
      {"candidate.list", {&AshbyState::candidate_list, false}},
      {"candidate.search", {&AshbyState::candidate_search, false}},
      {"candidate.addTag", {&AshbyState::candidate_add_tag, true}},
      {"candidate.removeTag", {&AshbyState::candidate_remove_tag, true}},
      {"candidateTag.create", {&AshbyState::candidate_tag_create, true}},
      {"candidateTag.list", {&AshbyState::candidate_tag_list, false}},
      {"candidate.anonymize", {&AshbyState::candidate_anonymize, true}},
      {"candidate.createNote", {&AshbyState::candidate_create_note, true}},
      {"candidate.listNotes", {&AshbyState::candidate_list_notes, false}},
      {"applicationFeedback.submit", {&AshbyState::application_feedback_submit, true}},
      {"applicationFeedback.list", {&AshbyState::application_feedback_list, false}},
      {"file.createFileUploadHandle", {&AshbyState::file_create_upload_handle, true}},
      {"candidate.uploadResume", {&AshbyState::candidate_upload_resume, true}},
      {"candidate.uploadFile", {&AshbyState::candidate_upload_file, true}},
      {"file.info", {&AshbyState::file_info, false}},
      {"department.create", {&AshbyState::department_create, true}},
      {"location.create", {&AshbyState::location_create, true}},
      {"department.list", {&AshbyState::department_list, false}},
      {"location.list", {&AshbyState::location_list, false}},
      {"job.create", {&AshbyState::job_create, true}},
      {"job.update", {&AshbyState::job_update, true}},
      {"job.setStatus", {&AshbyState::job_set_status, true}},
      {"hiringTeamRole.list", {&AshbyState::hiring_team_role_list, false}},
      {"hiringTeam.addMember", {&AshbyState::hiring_team_add_member, true}},
      {"job.info", {&AshbyState::job_info, false}},
      {"job.list", {&AshbyState::job_list, false}},
      {"interviewPlan.list", {&AshbyState::interview_plan_list, false}},
      {"interviewStage.list", {&AshbyState::interview_stage_list, false}},
      {"jobInterviewPlan.info", {&AshbyState::job_interview_plan_info, false}},
      {"source.list", {&AshbyState::source_list, false}},
      {"archiveReason.list", {&AshbyState::archive_reason_list, false}},
      {"user.list", {&AshbyState::user_list, false}},
      {"user.search", {&AshbyState::user_search, false}},
      {"feedbackFormDefinition.list", {&AshbyState::feedback_form_definition_list, false}},
      {"feedbackFormDefinition.info", {&AshbyState::feedback_form_definition_info, false}},
      {"customField.create", {&AshbyState::custom_field_create, true}},
      {"customField.list", {&AshbyState::custom_field_list, false}},
      {"customField.setValue", {&AshbyState::custom_field_set_value, true}},
      {"customField.setValues", {&AshbyState::custom_field_set_values, true}},
      {"application.create", {&AshbyState::application_create, true}},
      {"application.info", {&AshbyState::application_info, false}},
      {"application.list", {&AshbyState::application_list, false}},
      {"application.listHistory", {&AshbyState::application_list_history, false}},
      {"application.update", {&AshbyState::application_update, true}},
      {"application.changeStage", {&AshbyState::application_change_stage, true}}};
  return kHandlers;
}

json::object AshbyState::dispatch(const AshbyCall& call, const std::string& base_url) {
  const Rpc rpc{call, call.body, call.method, iso_time(now_ms()), base_url};
  auto handler = handlers().find(call.method);
  if (handler == handlers().end())
    fail("unknown_endpoint", "The sandbox's Ashby does not serve " + call.method);
  return (this->*handler->second.answer)(rpc);
}

AshbyState::Object& AshbyState::require(const json::object& body, const char* kind, const char* key,
                                        const char* code) {
  std::string id = required_string(body, key);
  Object* object = find(kind, id);
  if (object == nullptr)
    fail(code, std::string(kind) + " " + id + " (" + key + ") not found");
  return *object;
}

// `only`: the positions (in insertion order) of the objects that can match, from an index;
// null: every object of the kind.
json::object AshbyState::list_in(const json::object& body, const std::string& kind,
                                 const std::vector<std::size_t>* only,
                                 const std::function<bool(const Object&)>& keep) {
  int limit = 100;
  if (auto* value = field(body, "limit")) {
    if (!value->is_int64() || value->as_int64() < 1 || value->as_int64() > 100)
      fail("invalid_input", "limit must be an integer from 1 to 100");
    limit = static_cast<int>(value->as_int64());
  }
  std::size_t start = 0;
  if (auto cursor = optional_string(body, "cursor")) {
    std::string decoded;
    if (!base64url_decode(*cursor, decoded) || decoded.rfind(kind + ":", 0) != 0)
      fail("invalid_input", "Invalid cursor");
    start = std::stoull(decoded.substr(kind.size() + 1));
  }
  std::int64_t since = 0;
  if (auto token = optional_string(body, "syncToken")) {
    std::string decoded;
    if (!base64url_decode(*token, decoded) || decoded.rfind("sync:", 0) != 0)
      fail("sync_token_expired", "Sync token is invalid or expired; run a full sync");
    since = std::stoll(decoded.substr(5));
  }
  json::array items;
  const auto& collection = collections_[kind];
  std::size_t i = start;
  bool more = false;
  if (only == nullptr) {
    for (; i < collection.order.size() && static_cast<int>(items.size()) < limit; ++i) {
      const Object& object = collection.by_id.at(collection.order[i]);
      if (object.at("_v").as_int64() <= since || !keep(object))
        continue;
      items.push_back(render(object));
    }
    more = i < collection.order.size();
  } else {
    auto next = std::lower_bound(only->begin(), only->end(), start);
    for (; next != only->end() && static_cast<int>(items.size()) < limit; ++next) {
      const Object& object = collection.by_id.at(collection.order[*next]);
      if (object.at("_v").as_int64() <= since || !keep(object))
        continue;
      items.push_back(render(object));
    }
    more = next != only->end();
    if (more)
      i = *next;
  }
  json::object out{{"results", std::move(items)}, {"moreDataAvailable", more}};
  if (more)
    out["nextCursor"] = base64url_encode(kind + ":" + std::to_string(i));
  else
    out["syncToken"] = base64url_encode("sync:" + std::to_string(serial_));
  return out;
}

json::object AshbyState::list(const json::object& body, const std::string& kind,
                              const std::function<bool(const Object&)>& keep) {
  return list_in(body, kind, nullptr, keep);
}

json::object AshbyState::list(const json::object& body, const std::string& kind) {
  return list_in(body, kind, nullptr, [](const Object&) { return true; });
}

// Notes of a candidate and feedback of an application come from an index: a scan of every note
// under the state's one lock would make the emulator, not Ashby, the bottleneck at scale.
const std::vector<std::size_t>* AshbyState::owned_by(const std::string& kind,
                                                     const std::string& owner) const {
  static const std::vector<std::size_t> kNone;
  auto found = positions_by_owner_.find(kind + "|" + owner);
  return found == positions_by_owner_.end() ? &kNone : &found->second;
}

void AshbyState::count_created(const std::string& method, Object& object) {
  object["_createdBy"] = method;
  ++created_by_method_[method];
}

json::value AshbyState::user_ref(const std::string& id) {
  Object* user = find("user", id);
  return user ? json::value(render(*user)) : json::value(nullptr);
}

// The source (sourceId) and the credited user (creditedToUserId) a candidate or an application
// names; an unknown one is invalid_input (a choice: the reference leaves it unverified).
void AshbyState::set_source_and_credit(const json::object& body, Object& target) {
  if (auto source_id = optional_string(body, "sourceId")) {
    Object* source = find("source", *source_id);
    if (!source)
      fail("invalid_input", "sourceId " + *source_id + " does not match any source");
    target["source"] = render(*source);
  }
  if (auto user_id = optional_string(body, "creditedToUserId")) {
    if (!find("user", *user_id))
      fail("invalid_input", "creditedToUserId " + *user_id + " does not match any user");
    target["creditedToUser"] = user_ref(*user_id);
  }
}

json::object AshbyState::inspect(bool details) const {
  std::lock_guard lock(mutex_);
  auto collection = [&](const std::string& kind) -> const Collection& {
    static const Collection kEmpty;
    auto it = collections_.find(kind);
    return it == collections_.end() ? kEmpty : it->second;
  };
  std::int64_t candidate_tags = 0;
  std::map<std::string, int> email_owners;
  for (const auto& [id, candidate] : collection("candidate").by_id) {
    candidate_tags += static_cast<std::int64_t>(candidate.at("tags").as_array().size());
    std::set<std::string> own;
    for (const auto& email : candidate.at("emailAddresses").as_array())
      own.insert(normalise_email(std::string(email.at("value").as_string())));
    for (const auto& email : own)
      ++email_owners[email];
  }
  std::int64_t duplicates = 0;
  for (const auto& [email, owners] : email_owners)
    duplicates += owners > 1 ? 1 : 0;
  json::object counts{{"candidate", collection("candidate").by_id.size()},
                      {"application", collection("application").by_id.size()},
                      {"note", collection("note").by_id.size()},
                      {"feedback", collection("feedback").by_id.size()},
                      {"file", collection("file").by_id.size()},
                      {"candidate_tag", candidate_tags},
                      {"job", collection("job").by_id.size()},
                      {"tag", collection("candidate_tag").by_id.size()},
                      {"custom_field", collection("custom_field").by_id.size()}};
  json::object created;
  for (const auto& [method, count] : created_by_method_)
    created[method] = count;
  json::object out{{"counts", std::move(counts)},
                   {"duplicate_emails", duplicates},
                   {"created_by_method", std::move(created)}};
  if (!details)
    return out;
  // Per candidate, what a test compares with the truth one by one.
  std::map<std::string, json::array> notes_by_candidate, files_by_candidate, feedback_by_app;
  for (const auto& [id, note] : collection("note").by_id) {
    std::string content(note.at("content").as_string());
    notes_by_candidate[std::string(note.at("_candidateId").as_string())].push_back(
        json::object{{"id", id},
                     {"content", content},
                     {"type", note.contains("_type") ? note.at("_type") : json::value("")},
                     {"rendered", note.contains("_rendered") ? note.at("_rendered") : ""},
                     {"isPrivate", note.at("isPrivate")},
                     {"createdAt", note.at("createdAt")}});
  }
  for (const auto& [id, file] : collection("file").by_id)
    files_by_candidate[std::string(file.at("_candidateId").as_string())].push_back(
        json::object{{"name", file.at("name")},
                     {"sha256", file.at("_sha256")},
                     {"size", file.at("_size")},
                     {"resume", file.at("_resume")}});
  for (const auto& [id, feedback] : collection("feedback").by_id)
    feedback_by_app[std::string(feedback.at("applicationId").as_string())].push_back(
        json::object{{"id", id}, {"submittedValues", feedback.at("submittedValues")}});
  json::array candidates;
  for (const auto& id : collection("candidate").order) {
    const Object& candidate = collection("candidate").by_id.at(id);
    json::array emails, tags, applications;
    for (const auto& email : candidate.at("emailAddresses").as_array())
      emails.push_back(email.at("value"));
    for (const auto& tag : candidate.at("tags").as_array())
      tags.push_back(tag.at("title"));
    json::object custom;
    for (const auto& f : candidate.at("customFields").as_array())
      custom[f.at("title").as_string()] = f.at("value");
    for (const auto& app_id : candidate.at("applicationIds").as_array()) {
      const Object& app = collection("application").by_id.at(std::string(app_id.as_string()));
      json::array history;
      for (const auto& entry : app.at("applicationHistory").as_array())
        history.push_back(entry.at("title"));
      json::object app_custom;
      for (const auto& f : app.at("customFields").as_array())
        app_custom[f.at("title").as_string()] = f.at("value");
      json::object item{{"id", app.at("id")},
                        {"job", app.at("job").at("title")},
                        {"stage", app.at("currentInterviewStage").at("title")},
                        {"status", app.at("status")},
                        {"history", std::move(history)},
                        {"createdAt", app.at("createdAt")},
                        {"customFields", std::move(app_custom)},
                        {"feedback", feedback_by_app[std::string(app_id.as_string())]}};
      if (auto* reason = app.if_contains("archiveReason"))
        item["archiveReason"] = reason->at("text");
      applications.push_back(std::move(item));
    }
    candidates.push_back(json::object{{"id", id},
                                      {"name", candidate.at("name")},
                                      {"emails", std::move(emails)},
                                      {"createdAt", candidate.at("createdAt")},
                                      {"customFields", std::move(custom)},
                                      {"tags", std::move(tags)},
                                      {"applications", std::move(applications)},
                                      {"notes", notes_by_candidate[id]},
                                      {"files", files_by_candidate[id]}});
  }
  out["candidates"] = std::move(candidates);
  json::array jobs;
  for (const auto& id : collection("job").order) {
    const Object& job = collection("job").by_id.at(id);
    jobs.push_back(
        json::object{{"id", id},
                     {"title", job.at("title")},
                     {"status", job.at("status")},
                     {"confidential", job.at("confidential")},
                     {"departmentId", job.at("departmentId")},
                     {"locationId", job.at("locationId")},
                     {"defaultInterviewPlanId", job.at("defaultInterviewPlanId")},
                     {"hiringTeam", job.contains("hiringTeam") ? job.at("hiringTeam")
                                                               : json::value(json::array{})}});
  }
  out["jobs"] = std::move(jobs);
  return out;
}

}  // namespace atsm::sandbox
