// Emulated Lever Data API v1 (reference/api/lever.md): Basic key auth and OAuth bearer tokens,
// opaque `next` offset tokens, expand, filters, confidentiality, a 10/s token bucket with bursts
// of 20, 422 on unprocessed files and `{code, message}` errors.
#include <algorithm>
#include <set>

#include "servers.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace {

constexpr int kMaxLimit = 100;

json::object lever_error(const std::string& code, const std::string& message) {
  return json::object{{"code", code}, {"message", message}};
}

std::vector<std::string> multi_values(const httplib::Request& request, const std::string& key) {
  std::vector<std::string> values;
  auto range = request.params.equal_range(key);
  for (auto it = range.first; it != range.second; ++it) {
    std::size_t start = 0;
    while (start <= it->second.size()) {
      std::size_t comma = it->second.find(',', start);
      std::string part =
          it->second.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty())
        values.push_back(part);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
  }
  return values;
}

// `include=<field>` (repeatable) keeps only those fields; an expanded field always stays
// (expand wins over include, lever.md §2).
json::object only_included(const httplib::Request& request, json::object object,
                           const std::set<std::string>& expand) {
  auto include = multi_values(request, "include");
  if (include.empty())
    return object;
  json::object out{{"id", object.at("id")}};
  for (const auto& [key, value] : object) {
    std::string name(key);
    if (std::find(include.begin(), include.end(), name) != include.end() || expand.count(name))
      out[key] = value;
  }
  return out;
}

// The stage the opportunity was in at `at`: a comment names the stage it was written at, which a
// later move does not rewrite (lever_docs_examples.json `note_retrieve`: two comments of one note
// name two stages; the earliest known stage before the first recorded change).
const std::string& stage_at(const LeverOpportunity& opp, std::int64_t at) {
  const std::string* stage = &opp.stage_id;
  for (auto change = opp.stage_changes.rbegin(); change != opp.stage_changes.rend(); ++change) {
    stage = &change->to_stage_id;
    if (change->at <= at)
      return *stage;
  }
  return *stage;
}

// When the opportunity last changed stage (its creation when it never did).
std::int64_t last_advanced_at(const LeverOpportunity& opp) {
  return opp.stage_changes.empty() ? opp.created_at : opp.stage_changes.back().at;
}

// Where an opportunity sorts in GET /opportunities (issue 16 §1): stage rank ascending,
// lastAdvancedAt descending, id ascending.
struct OpportunityKey {
  double rank = 0;
  std::int64_t advanced_at = 0;
  std::string id;

  bool operator==(const OpportunityKey&) const = default;
  bool operator<(const OpportunityKey& other) const {
    if (rank != other.rank)
      return rank < other.rank;
    if (advanced_at != other.advanced_at)
      return advanced_at > other.advanced_at;
    return id < other.id;
  }
};

OpportunityKey opportunity_key(const World& world, const LeverOpportunity& opp) {
  // Real ranks are floats spaced along the pipeline (e.g. 230.5, issue 16 §1); the sandbox
  // spaces its stages 100 apart in pipeline order.
  auto stage = world.stage_by_id.find(opp.stage_id);
  double rank = stage == world.stage_by_id.end() ? 0.0 : 100.0 * (stage->second + 1) + 30.5;
  return {rank, last_advanced_at(opp), opp.id};
}

}  // namespace

LeverServer::LeverServer(const Options& options, Sleeper& sleeper, World& world,
                         const Credentials& credentials)
    : VendorServer(Vendor::lever, options, sleeper),
      world_(world),
      credentials_(credentials),
      // Lever: steady 10 req/s, bursts to 20, per key (lever.md §3).
      bucket_(20.0, 10.0 * options.rate_scale) {}

bool LeverServer::is_write(const httplib::Request&) const {
  return false;
}

void LeverServer::write_fault_429(httplib::Response& response) {
  if (options_.lever_retry_after)
    response.set_header("Retry-After", retry_after_text(1.0 / options_.rate_scale));
  set_json(response, 429,
           lever_error("TooManyRequests", "Rate limit exceeded. Retry with backoff."));
}

void LeverServer::write_server_error(httplib::Response& response, int status) {
  set_json(response, status,
           lever_error(status == 503 ? "ServiceUnavailable" : "InternalServerError",
                       "Lever could not complete the request; try again."));
}

bool LeverServer::handle_inspection(const httplib::Request& request, httplib::Response& response) {
  if (request.method == "POST" && request.path == "/_sandbox/mutate") {
    int count = 1;
    try {
      auto body = json::parse(request.body.empty() ? "{}" : request.body).as_object();
      if (auto* value = body.if_contains("count"))
        count = static_cast<int>(value->to_number<double>());
    } catch (const std::exception& error) {
      set_json(response, 400, json::object{{"error", std::string("mutate body: ") + error.what()}});
      return true;
    }
    std::unique_lock lock(world_.mutex);
    auto changes = mutate_lever(world_, std::clamp(count, 0, 100000));
    set_json(response, 200, json::object{{"changed", changes}});
    return true;
  }
  if (request.method == "POST" && request.path == "/_sandbox/corrupt") {
    try {
      auto body = json::parse(request.body.empty() ? "{}" : request.body).as_object();
      const json::value* what = body.if_contains("what");
      std::unique_lock lock(world_.mutex);
      set_json(response, 200,
               corrupt_lever(world_, what && what->is_string() ? std::string(what->as_string())
                                                               : std::string()));
    } catch (const std::exception& error) {
      set_json(response, 400, json::object{{"error", std::string("corrupt: ") + error.what()}});
    }
    return true;
  }
  if (request.method == "POST" && request.path == "/_sandbox/lever/move_stages") {
    // {"count": N}: N opportunities move to an earlier or a later stage now (seeded);
    // {"per_list_call": M}: from now on M move before every GET /opportunities is answered, so
    // every walk of the list sees the order change under it (issue 16 §1: real walks take
    // minutes to hours while recruiters work). 0 stops it.
    try {
      auto body = json::parse(request.body.empty() ? "{}" : request.body).as_object();
      json::array moved;
      if (auto* value = body.if_contains("per_list_call"))
        moves_per_list_call_ = std::clamp(static_cast<int>(value->to_number<double>()), 0, 1000);
      if (auto* value = body.if_contains("count")) {
        std::unique_lock lock(world_.mutex);
        moved = move_lever_stages(
            world_, std::clamp(static_cast<int>(value->to_number<double>()), 0, 100000));
      }
      set_json(response, 200,
               json::object{{"moved", std::move(moved)},
                            {"per_list_call", moves_per_list_call_.load()}});
    } catch (const std::exception& error) {
      set_json(response, 400, json::object{{"error", std::string("move_stages: ") + error.what()}});
    }
    return true;
  }
  if (request.method == "POST" && request.path == "/_sandbox/lever/offset_tokens") {
    // {"expire": true}: every token issued so far is stale from now on (a resume long after its
    // checkpoint); {"stale_when_anchor_moved": bool}: a token whose anchor (the first item of the
    // page it opens) changed stage is stale; {"status": S}: the status of the "Invalid offset
    // token" answer (400 as TAP saw it, lever.md §2; its status is unverified, so other statuses
    // too).
    try {
      auto body = json::parse(request.body.empty() ? "{}" : request.body).as_object();
      if (auto* value = body.if_contains("expire"); value && value->as_bool())
        ++token_epoch_;
      if (auto* value = body.if_contains("stale_when_anchor_moved"))
        stale_when_anchor_moved_ = value->as_bool();
      if (auto* value = body.if_contains("status"))
        invalid_token_status_ = std::clamp(static_cast<int>(value->to_number<double>()), 400, 599);
      set_json(response, 200,
               json::object{{"epoch", token_epoch_.load()},
                            {"stale_when_anchor_moved", stale_when_anchor_moved_.load()},
                            {"status", invalid_token_status_.load()}});
    } catch (const std::exception& error) {
      set_json(response, 400,
               json::object{{"error", std::string("offset_tokens: ") + error.what()}});
    }
    return true;
  }
  return VendorServer::handle_inspection(request, response);
}

std::optional<LeverServer::Caller> LeverServer::authenticate(const httplib::Request& request,
                                                             httplib::Response& response) {
  bool basic = false;
  std::string key = bearer_or_basic_key(request, basic);
  if (basic)
    key = key.substr(0, key.find(':'));
  Caller caller{key, true};
  bool ok = false;
  if (basic) {
    if (key == credentials_.lever_api_key)
      ok = true;
    if (key == world_.lever_restricted_key)
      ok = true, caller.confidential_access = false;
  } else if (!key.empty()) {
    std::lock_guard lock(oauth_mutex_);
    auto it = access_tokens_.find(key);
    ok = it != access_tokens_.end() && it->second > now_ms();
  }
  if (!ok) {
    set_json(response, 401, lever_error("Unauthorized", "Invalid or expired API credentials"));
    return std::nullopt;
  }
  return caller;
}

void LeverServer::oauth_token(const httplib::Request& request, httplib::Response& response) {
  // Authorization-code and refresh grants (lever.md §1); the sandbox's client secret is the API key
  // and its authorization code is "sandbox-authorization-code".
  auto param = [&](const char* name) { return request.get_param_value(name); };
  if (param("client_secret") != credentials_.lever_api_key) {
    set_json(response, 401,
             json::object{{"error", "access_denied"}, {"error_description", "Unauthorized"}});
    return;
  }
  std::lock_guard lock(oauth_mutex_);
  std::string grant = param("grant_type");
  if (grant == "authorization_code") {
    if (param("code") != "sandbox-authorization-code") {
      set_json(response, 403,
               json::object{{"error", "invalid_grant"},
                            {"error_description", "Invalid authorization code"}});
      return;
    }
  } else if (grant == "refresh_token") {
    auto it = refresh_tokens_.find(param("refresh_token"));
    if (it == refresh_tokens_.end()) {
      set_json(response, 403,
               json::object{{"error", "invalid_grant"},
                            {"error_description", "Unknown or rotated refresh token"}});
      return;
    }
    refresh_tokens_.erase(it);  // rotation: every refresh returns a new refresh token
  } else {
    set_json(response, 400, json::object{{"error", "unsupported_grant_type"}});
    return;
  }
  Rng rng(mix_seed(static_cast<std::uint64_t>(now_ms()), ++token_serial_));
  std::string access = "lvr_at_" + rng.hex(40), refresh = "lvr_rt_" + rng.hex(40);
  double ttl_s = options_.token_ttl_s / options_.rate_scale;
  access_tokens_[access] = now_ms() + static_cast<std::int64_t>(ttl_s * 1000);
  refresh_tokens_.insert(refresh);
  set_json(
      response, 200,
      json::object{{"access_token", access},
                   {"refresh_token", refresh},
                   {"token_type", "Bearer"},
                   {"scope", "offline_access opportunities:read:admin confidential:access:admin"},
                   {"expires_in", static_cast<std::int64_t>(ttl_s)}});
}

std::string LeverServer::query_signature(const httplib::Request& request) const {
  std::multiset<std::string> parts;
  for (const auto& [key, value] : request.params)
    if (key != "offset" && key != "limit")
      parts.insert(key + "=" + value);
  std::string signature = request.path;
  for (const auto& part : parts)
    signature += "&" + part;
  return signature;
}

std::string LeverServer::make_token(const std::string& signature,
                                    const json::array& position) const {
  // The MAC covers the token epoch: /_sandbox/lever/offset_tokens {"expire": true} makes every
  // token issued before it stale.
  std::string mac = hmac_sha256_hex(world_.secret, signature + "|" + json::serialize(position) +
                                                       "|" + std::to_string(token_epoch_.load()))
                        .substr(0, 16);
  json::array token = position;
  token.emplace_back(mac);
  // Like Lever's: URL-encoded JSON, passed back verbatim in `offset`.
  return url_encode(json::serialize(token));
}

bool LeverServer::read_token(const std::string& signature, std::string text,
                             json::array& position) const {
  // Accept once- or twice-encoded tokens (clients re-encode them; lever.md §2).
  for (int i = 0; i < 3 && !text.empty() && text[0] != '['; ++i)
    text = url_decode(text);
  try {
    auto value = json::parse(text);
    auto& array = value.as_array();
    if (array.size() < 2 || !array.back().is_string())
      return false;
    std::string mac(array.back().as_string());
    array.pop_back();
    if (hmac_sha256_hex(world_.secret, signature + "|" + json::serialize(array) + "|" +
                                           std::to_string(token_epoch_.load()))
            .substr(0, 16) != mac)
      return false;
    position = array;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool LeverServer::page_bounds(const httplib::Request& request, httplib::Response& response,
                              std::size_t& start, int& limit) {
  limit = kMaxLimit;
  if (request.has_param("limit")) {
    try {
      limit = std::stoi(request.get_param_value("limit"));
    } catch (const std::exception&) {
      limit = -1;
    }
    if (limit < 1 || limit > kMaxLimit) {
      set_json(response, 400,
               lever_error("BadRequestError", "limit must be an integer from 1 to 100"));
      return false;
    }
  }
  start = 0;
  if (request.has_param("offset")) {
    json::array position;
    if (!read_token(query_signature(request), request.get_param_value("offset"), position) ||
        position.size() != 1 || !position[0].is_int64()) {
      set_json(
          response, invalid_token_status_.load(),
          lever_error("BadRequestError", "Invalid offset token: Offset token is invalid for sort"));
      return false;
    }
    start = static_cast<std::size_t>(position[0].as_int64());
  }
  return true;
}

void LeverServer::send_page(const httplib::Request& request, httplib::Response& response,
                            const std::vector<json::value>& items) {
  std::size_t start = 0;
  int limit = 0;
  if (!page_bounds(request, response, start, limit))
    return;
  json::array data;
  std::size_t end = std::min(items.size(), start + static_cast<std::size_t>(limit));
  for (std::size_t i = start; i < end; ++i)
    data.push_back(items[i]);
  json::object body{{"data", std::move(data)}, {"hasNext", end < items.size()}};
  if (end < items.size())
    body["next"] =
        make_token(query_signature(request), json::array{static_cast<std::int64_t>(end)});
  set_json(response, 200, body);
}

json::value LeverServer::render_user(const std::string& id) const {
  auto it = world_.user_by_id.find(id);
  if (it == world_.user_by_id.end())
    return id.empty() ? json::value(nullptr) : json::value(id);
  const LeverUser& user = world_.data.lever.users[it->second];
  return json::object{{"id", user.id},
                      {"name", user.name},
                      {"username", user.email.substr(0, user.email.find('@'))},
                      {"email", user.email},
                      {"accessRole", user.access_role},
                      {"photo", nullptr},
                      {"createdAt", user.created_at},
                      {"deactivatedAt", user.deactivated_at ? json::value(*user.deactivated_at)
                                                            : json::value(nullptr)},
                      {"externalDirectoryId", nullptr},
                      {"linkedContactIds", nullptr},
                      {"jobTitle", nullptr},
                      {"managerId", nullptr}};
}

json::object LeverServer::render_contact(const LeverContact& contact) const {
  json::array emails, phones;
  if (!contact.anonymized) {
    for (const auto& email : contact.emails)
      emails.emplace_back(email);
    for (const auto& phone : contact.phones)
      phones.push_back(json::object{{"type", phone.type}, {"value", phone.value}});
  }
  return json::object{
      {"id", contact.id},
      {"name", contact.anonymized ? "Anonymized Candidate" : contact.name},
      {"headline", contact.anonymized ? "" : contact.headline},
      {"isAnonymized", contact.anonymized},
      {"location", json::object{{"name", contact.anonymized ? "" : contact.location}}},
      {"emails", std::move(emails)},
      {"phones", std::move(phones)}};
}

json::object LeverServer::render_opportunity(const LeverOpportunity& opp,
                                             const std::set<std::string>& expand) const {
  const LeverContact& contact = world_.data.lever.contacts[world_.contact_by_id.at(opp.contact_id)];
  json::object contact_json = render_contact(contact);
  json::array links, tags, sources, changes;
  if (!contact.anonymized)
    for (const auto& link : contact.links)
      links.emplace_back(link);
  for (const auto& tag : opp.tags)
    tags.emplace_back(tag);
  for (const auto& source : opp.sources)
    sources.emplace_back(source);
  // Most real stage changes carry no userId (issue 16 §4, recorded payloads); one in four
  // keeps it here, chosen from the seed.
  for (std::size_t i = 0; i < opp.stage_changes.size(); ++i) {
    const auto& change = opp.stage_changes[i];
    bool with_user = mix_seed(options_.seed, std::hash<std::string>{}(opp.id) + i) % 4 == 0;
    changes.push_back(
        json::object{{"toStageId", change.to_stage_id},
                     {"toStageIndex", change.to_stage_index},
                     {"userId", with_user ? json::value(change.user_id) : json::value(nullptr)},
                     {"updatedAt", change.at}});
  }
  json::value archived = nullptr;
  if (opp.archive_reason_id)
    archived = json::object{{"reason", *opp.archive_reason_id}, {"archivedAt", opp.archived_at}};
  json::value stage(json::string_view(opp.stage_id));
  if (expand.count("stage")) {
    auto it = world_.stage_by_id.find(opp.stage_id);
    if (it != world_.stage_by_id.end())
      stage =
          json::object{{"id", opp.stage_id}, {"text", world_.data.lever.stages[it->second].text}};
  }
  json::value owner = expand.count("owner") ? render_user(opp.owner) : json::value(opp.owner);
  json::array followers;
  followers.push_back(expand.count("followers") ? render_user(opp.owner) : json::value(opp.owner));
  json::array applications;
  if (expand.count("applications")) {
    json::value posting = nullptr, posting_owner = nullptr;
    if (opp.posting_id) {
      posting = *opp.posting_id;
      posting_owner = world_.data.lever.postings[world_.posting_by_id.at(*opp.posting_id)].owner;
    }
    applications.push_back(json::object{
        {"id", opp.application_id},
        {"opportunityId", opp.id},
        {"candidateId", opp.id},
        {"createdAt", opp.created_at},
        {"type", opp.posting_id ? "posting" : "user"},
        {"posting", posting},
        {"postingOwner", posting_owner},
        {"postingHiringManager", nullptr},
        {"user", opp.posting_id ? json::value(nullptr) : json::value(opp.owner)},
        {"name", contact_json["name"]},
        {"email", contact.emails.empty() || contact.anonymized ? json::value(nullptr)
                                                               : json::value(contact.emails[0])},
        {"phone", nullptr},
        {"company", opp.application.company.empty() ? json::value(nullptr)
                                                    : json::value(opp.application.company)},
        {"links", nullptr},
        {"comments", opp.application.comments.empty() ? json::value(nullptr)
                                                      : json::value(opp.application.comments)},
        {"customQuestions", custom_questions(opp)},
        {"archived", archived},
        {"requisitionForHire", nullptr}});
  } else {
    applications.emplace_back(opp.application_id);
  }
  std::int64_t last_change = last_advanced_at(opp);
  json::object out{
      {"id", opp.id},
      {"name", contact_json["name"]},
      {"headline", contact_json["headline"]},
      {"contact", expand.count("contact") ? json::value(contact_json) : json::value(contact.id)},
      {"emails", contact_json["emails"]},
      {"phones", contact_json["phones"]},
      {"confidentiality", opp.confidential ? "confidential" : "non-confidential"},
      {"location", contact.anonymized ? "" : contact.location},
      {"links", std::move(links)},
      {"archived", archived},
      {"tags", std::move(tags)},
      {"sources", std::move(sources)},
      {"stage", stage},
      {"stageChanges", std::move(changes)},
      {"origin", opp.origin},
      {"sourcedBy", nullptr},
      {"owner", owner},
      {"followers", std::move(followers)},
      {"applications", std::move(applications)},
      {"createdAt", opp.quirk == "created_at_string" ? json::value(std::to_string(opp.created_at))
                                                     : json::value(opp.created_at)},
      {"updatedAt", opp.updated_at ? json::value(*opp.updated_at) : json::value(nullptr)},
      {"lastInteractionAt", std::max(last_change, opp.updated_at.value_or(0))},
      {"lastAdvancedAt", last_change},
      {"snoozedUntil", nullptr},
      {"urls", json::object{{"list", "https://hire.lever.co/candidates"},
                            {"show", "https://hire.lever.co/candidates/" + opp.id}}},
      {"dataProtection", nullptr},
      {"isAnonymized", contact.anonymized},
      {"opportunityLocation", "unspecified"}};
  return out;
}

// An application's posting-form answers (lever_docs_examples.json "application_retrieve"
// customQuestions): one form of type posting named after the posting.
json::array LeverServer::custom_questions(const LeverOpportunity& opp) const {
  const LeverApplicationData& app = opp.application;
  if (app.questions.empty() || !opp.posting_id)
    return {};
  json::array fields;
  for (const FormField& question : app.questions) {
    json::object field{{"type", question.type},
                       {"text", question.text},
                       {"description", ""},
                       {"required", false},
                       {"value", question.value}};
    if (!question.options.empty()) {
      json::array options;
      for (const auto& option : question.options)
        options.push_back(json::object{{"text", option}});
      field["options"] = std::move(options);
    }
    fields.push_back(std::move(field));
  }
  const LeverPosting& posting =
      world_.data.lever.postings[world_.posting_by_id.at(*opp.posting_id)];
  return json::array{json::object{{"type", "posting"},
                                  {"text", posting.text},
                                  {"user", nullptr},
                                  {"description", ""},
                                  {"fields", std::move(fields)},
                                  {"baseTemplateId", opp.application_id},
                                  {"stage", nullptr},
                                  {"createdAt", opp.created_at},
                                  {"completedAt", opp.created_at}}};
}

json::object LeverServer::render_file(const LeverOpportunity& opp, const SandboxFile& file) const {
  std::string kind = file.resume ? "resumes" : "files";
  json::object meta{{"name", file.name},
                    {"ext", file.resume ? file.ext : "." + file.ext},
                    {"uploadedAt", file.uploaded_at},
                    {"status", file.status},
                    {"size", static_cast<std::int64_t>(file.size)},
                    {"downloadUrl", "https://hire.lever.co/candidates/" + opp.id + "/" + kind +
                                        "/" + file.id + "/download"}};
  if (!file.resume) {
    meta["id"] = file.id;
    // A file's uploadedAt and size are strings in every documented file example
    // (specs/lever/lever_docs_examples.json "files_list_verbatim", "files_list_note").
    meta["uploadedAt"] = std::to_string(file.uploaded_at);
    meta["size"] = std::to_string(file.size);
    return meta;
  }
  return json::object{{"id", file.id},
                      {"createdAt", file.uploaded_at},
                      {"file", std::move(meta)},
                      {"parsedData", opp.resume_parsed.count(file.id)
                                         ? opp.resume_parsed.at(file.id)
                                         : json::value(json::object{{"positions", json::array{}},
                                                                    {"schools", json::array{}}})}};
}

static json::value render_field(const FormField& field) {
  json::object out{{"id", field.id},    {"type", field.type}, {"text", field.text},
                   {"description", ""}, {"required", false},  {"value", field.value}};
  if (!field.options.empty()) {
    json::array options;
    for (const auto& option : field.options)
      options.push_back(json::object{{"text", option}});
    out["options"] = std::move(options);
    out["prompt"] = "Select one";
  }
  if (!field.scores.empty()) {
    json::array scores;
    for (const auto& score : field.scores)
      scores.push_back(json::object{{"text", score}, {"description", ""}});
    out["scores"] = std::move(scores);
  }
  return out;
}

void LeverServer::opportunity_children(const httplib::Request& request, httplib::Response& response,
                                       const LeverOpportunity& opp, const std::string& kind,
                                       const std::string& child_id, const std::string& action) {
  std::set<std::string> expand;
  for (const auto& value : multi_values(request, "expand"))
    expand.insert(value);
  auto user = [&](const std::string& id) {
    return expand.count("user") ? render_user(id) : json::value(id);
  };
  std::vector<std::pair<std::string, json::value>> items;  // (id, rendered)
  if (kind == "notes") {
    for (const auto& note : opp.notes) {
      json::array fields;
      for (const auto& comment : note.comments)
        fields.push_back(json::object{{"type", "note"},
                                      {"text", "Comment"},
                                      {"value", comment.value},
                                      {"createdAt", comment.created_at},
                                      {"user", user(comment.user)},
                                      {"score", nullptr},
                                      {"stage", stage_at(opp, comment.created_at)}});
      items.emplace_back(note.id,
                         json::object{{"id", note.id},
                                      {"text", "Note"},
                                      {"fields", std::move(fields)},
                                      {"user", user(note.user)},
                                      {"secret", note.secret},
                                      {"completedAt", note.created_at},
                                      {"createdAt", note.created_at},
                                      {"deletedAt", note.deleted_at ? json::value(*note.deleted_at)
                                                                    : json::value(nullptr)}});
    }
  } else if (kind == "feedback") {
    for (const auto& form : opp.feedback) {
      json::array fields;
      for (const auto& field : form.fields)
        fields.push_back(render_field(field));
      items.emplace_back(form.id,
                         json::object{{"id", form.id},
                                      {"type", form.type},
                                      {"text", form.text},
                                      {"instructions", ""},
                                      {"baseTemplateId", form.template_id},
                                      {"fields", std::move(fields)},
                                      {"interview", form.interview},
                                      {"panel", nullptr},
                                      {"user", user(form.user)},
                                      {"createdAt", form.created_at},
                                      {"updatedAt", form.completed_at},
                                      {"completedAt", form.completed_at},
                                      {"deletedAt", form.deleted_at ? json::value(*form.deleted_at)
                                                                    : json::value(nullptr)}});
    }
  } else if (kind == "interviews") {
    for (const auto& interview : opp.interviews) {
      json::array interviewers;
      for (const auto& id : interview.interviewers) {
        auto it = world_.user_by_id.find(id);
        const LeverUser* u =
            it == world_.user_by_id.end() ? nullptr : &world_.data.lever.users[it->second];
        interviewers.push_back(json::object{{"id", id},
                                            {"name", u ? u->name : ""},
                                            {"email", u ? u->email : ""},
                                            {"feedbackTemplate", nullptr}});
      }
      items.emplace_back(interview.id, json::object{{"id", interview.id},
                                                    {"panel", nullptr},
                                                    {"subject", interview.subject},
                                                    {"note", ""},
                                                    {"interviewers", std::move(interviewers)},
                                                    {"timezone", "Europe/Berlin"},
                                                    {"createdAt", interview.date - 86400000},
                                                    {"date", interview.date},
                                                    {"duration", interview.duration_min},
                                                    {"location", "Video call"},
                                                    {"feedbackTemplate", nullptr},
                                                    {"feedbackForms", json::array{}},
                                                    {"feedbackReminder", "daily"},
                                                    {"user", user(interview.user)},
                                                    {"stage", interview.stage},
                                                    {"canceledAt", nullptr},
                                                    {"postings", json::array{}}});
    }
  } else if (kind == "offers") {
    for (const auto& offer : opp.offers) {
      json::array fields;
      for (const auto& [identifier, value] : offer.fields)
        fields.push_back(
            json::object{{"text", identifier}, {"identifier", identifier}, {"value", value}});
      items.emplace_back(
          offer.id, json::object{{"id", offer.id},
                                 {"createdAt", offer.created_at},
                                 {"status", offer.status},
                                 {"creator", expand.count("creator") ? render_user(offer.creator)
                                                                     : json::value(offer.creator)},
                                 {"fields", std::move(fields)},
                                 {"signatures", json::object{}},
                                 {"approved", true},
                                 {"approvedAt", offer.created_at},
                                 // The documented offers carry no sentAt: the sent letter's
                                 // uploadedAt dates the sending ("offers_list").
                                 {"sentDocument", offer_document(opp, offer, "sent")},
                                 {"signedDocument", offer_document(opp, offer, "signed")}});
    }
  } else if (kind == "resumes" || kind == "files") {
    for (const auto& file : opp.files)
      if (file.resume == (kind == "resumes"))
        items.emplace_back(file.id, render_file(opp, file));
  } else if (kind == "forms") {
    // Profile forms ("profile_form_retrieve", "profile_forms_list_note").
    for (const auto& form : opp.profile_forms) {
      json::array fields;
      for (const auto& field : form.fields)
        fields.push_back(render_field(field));
      items.emplace_back(form.id, json::object{{"id", form.id},
                                               {"type", form.type},
                                               {"text", form.text},
                                               {"instructions", ""},
                                               {"baseTemplateId", form.template_id},
                                               {"fields", std::move(fields)},
                                               {"user", user(form.user)},
                                               {"stage", opp.stage_id},
                                               {"completedAt", form.completed_at},
                                               {"createdAt", form.created_at},
                                               {"deletedAt", nullptr}});
    }
  } else if (kind == "referrals" || kind == "panels") {
    // Real Lever answers 200 with a (possibly empty) list ("referrals_list_note"); the dataset
    // holds no referral forms (referrals are application customQuestions) and no panels
    // (interviews are served without one), so both lists are empty.
  } else if (kind == "applications") {
    std::set<std::string> app_expand{"applications"};
    auto rendered = render_opportunity(opp, app_expand);
    items.emplace_back(opp.application_id, rendered["applications"].as_array()[0]);
  } else {
    set_json(response, 404, lever_error("ResourceNotFound", "Unknown route " + request.path));
    return;
  }
  if (child_id.empty()) {
    std::vector<json::value> values;
    for (auto& item : items)
      values.push_back(std::move(item.second));
    if (documented_shape(opp) && (kind == "files" || kind == "forms")) {
      // The documentation's own examples: /files a bare array ("files_list_verbatim"), /forms
      // the one form as a bare object ("profile_forms_list_note"); no paging either way.
      if (kind == "forms" && values.size() == 1)
        set_json(response, 200, values.front());
      else
        set_json(response, 200, json::array(values.begin(), values.end()));
      return;
    }
    send_page(request, response, values);
    return;
  }
  // A file-upload answer's bytes, by its id under /files (unverified: Lever documents the answer
  // {id, ext, name, size, uploadedAt} but no download route for it).
  if (kind == "files" && action == "download" && opp.application.answer_file &&
      opp.application.answer_file->id == child_id) {
    const SandboxFile& answer = *opp.application.answer_file;
    response.status = 200;
    response.set_header("Content-Disposition", "attachment; filename=\"" + answer.name + "\"");
    response.set_content(file_bytes(answer), "application/octet-stream");
    return;
  }
  for (auto& [id, value] : items) {
    if (id != child_id)
      continue;
    if (action.empty()) {
      set_json(response, 200, json::object{{"data", value}});
      return;
    }
    if (action == "download" && kind == "offers") {
      // GET /opportunities/:id/offers/:offer/download?status=sent|signed
      // (lever_docs_examples.json "offer_download_note").
      for (const auto& offer : opp.offers) {
        if (offer.id != child_id)
          continue;
        std::string status = request.get_param_value("status");
        const std::optional<SandboxFile>& letter = status == "signed" ? offer.signed_document
                                                   : status == "sent" ? offer.sent_document
                                                                      : std::nullopt;
        if (!letter)
          break;
        response.status = 200;
        response.set_header("Content-Disposition", "attachment; filename=\"" + letter->name + "\"");
        response.set_content(file_bytes(*letter), "application/pdf");
        return;
      }
    }
    if (action == "download" && (kind == "resumes" || kind == "files")) {
      for (const auto& file : opp.files) {
        if (file.id != child_id)
          continue;
        if (file.status != "processed") {
          // Lever answers 422 for files it could not process (lever.md §4, §5.6).
          set_json(
              response, 422,
              lever_error("UnprocessableEntity",
                          "File " + file.id + " has not been processed and cannot be downloaded"));
          return;
        }
        response.status = 200;
        response.set_header("Content-Disposition", "attachment; filename=\"" + file.name + "\"");
        response.set_content(file_bytes(file),
                             file.ext == "pdf" ? "application/pdf" : "application/octet-stream");
        return;
      }
    }
    break;
  }
  set_json(response, 404,
           lever_error("ResourceNotFound", kind + " " + child_id + " was not found"));
}

json::value LeverServer::offer_document(const LeverOpportunity& opp, const LeverOffer& offer,
                                        const std::string& status) const {
  const std::optional<SandboxFile>& letter =
      status == "signed" ? offer.signed_document : offer.sent_document;
  if (!letter)
    return nullptr;
  return json::object{{"fileName", letter->name},
                      {"uploadedAt", letter->uploaded_at},
                      {"downloadUrl", "https://api.lever.co/v1/opportunities/" + opp.id +
                                          "/offers/" + offer.id + "/download?status=" + status}};
}

bool LeverServer::documented_shape(const LeverOpportunity& opp) const {
  if (options_.lever_list_shapes == "documented")
    return true;
  if (options_.lever_list_shapes != "mixed")
    return false;
  return mix_seed(options_.seed, std::hash<std::string>{}(opp.id)) % 2 == 0;
}

static bool parse_ms_param(const httplib::Request& request, const char* name,
                           std::optional<std::int64_t>& out, httplib::Response& response) {
  if (!request.has_param(name))
    return true;
  std::string text = request.get_param_value(name);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    set_json(response, 400,
             lever_error("BadRequestError", std::string("Invalid value for ") + name +
                                                ": expected epoch milliseconds"));
    return false;
  }
  out = std::stoll(text);
  return true;
}

void LeverServer::list_opportunities(const httplib::Request& request, httplib::Response& response,
                                     const Caller& caller) {
  std::string confidentiality = request.has_param("confidentiality")
                                    ? request.get_param_value("confidentiality")
                                    : "non-confidential";
  if (confidentiality != "non-confidential" && confidentiality != "confidential" &&
      confidentiality != "all") {
    set_json(response, 400,
             lever_error("BadRequestError",
                         "confidentiality must be confidential, non-confidential or all"));
    return;
  }
  if (confidentiality != "non-confidential" && !caller.confidential_access) {
    set_json(
        response, 403,
        lever_error("ForbiddenError", "This API key does not have access to confidential data"));
    return;
  }
  std::optional<std::int64_t> created_start, created_end, updated_start, updated_end,
      advanced_start, advanced_end, archived_start, archived_end;
  // Inclusive, either end optional (lever.md §5.1).
  if (!parse_ms_param(request, "created_at_start", created_start, response) ||
      !parse_ms_param(request, "created_at_end", created_end, response) ||
      !parse_ms_param(request, "updated_at_start", updated_start, response) ||
      !parse_ms_param(request, "updated_at_end", updated_end, response) ||
      !parse_ms_param(request, "advanced_at_start", advanced_start, response) ||
      !parse_ms_param(request, "advanced_at_end", advanced_end, response) ||
      !parse_ms_param(request, "archived_at_start", archived_start, response) ||
      !parse_ms_param(request, "archived_at_end", archived_end, response))
    return;
  auto tags = multi_values(request, "tag");
  auto stage_ids = multi_values(request, "stage_id");
  auto posting_ids = multi_values(request, "posting_id");
  auto contact_ids = multi_values(request, "contact_id");
  auto reason_ids = multi_values(request, "archive_reason_id");
  auto emails = multi_values(request, "email");
  std::string archived = request.get_param_value("archived");
  std::set<std::string> expand;
  for (const auto& value : multi_values(request, "expand"))
    expand.insert(value);

  int limit = kMaxLimit;
  if (request.has_param("limit")) {
    try {
      limit = std::stoi(request.get_param_value("limit"));
    } catch (const std::exception&) {
      limit = -1;
    }
    if (limit < 1 || limit > kMaxLimit) {
      set_json(response, 400,
               lever_error("BadRequestError", "limit must be an integer from 1 to 100"));
      return;
    }
  }
  std::string signature = query_signature(request);
  // Order (issue 16 §1, recorded real pages; lever.md header): stage rank ascending, then
  // lastAdvancedAt descending, then id ascending. `next` is the URL-encoded JSON
  // [rank, lastAdvancedAt, id] of the first item of the next page (+ the sandbox's MAC), and the
  // next page starts where that key sorts now: whatever moved meanwhile moves the pages.
  std::optional<OpportunityKey> from;
  if (request.has_param("offset")) {
    json::array position;
    bool valid = read_token(signature, request.get_param_value("offset"), position) &&
                 position.size() == 3 && position[0].is_number() && position[1].is_int64() &&
                 position[2].is_string();
    if (valid) {
      from = OpportunityKey{position[0].to_number<double>(), position[1].as_int64(),
                            std::string(position[2].as_string())};
      if (stale_when_anchor_moved_) {
        // "Offset token is invalid for sort": its anchor no longer sorts where it did.
        auto it = world_.opportunity_by_id.find(from->id);
        valid = it != world_.opportunity_by_id.end() &&
                opportunity_key(world_, world_.data.lever.opportunities[it->second]) == *from;
      }
    }
    if (!valid) {
      set_json(
          response, invalid_token_status_.load(),
          lever_error("BadRequestError", "Invalid offset token: Offset token is invalid for sort"));
      return;
    }
  }
  auto matches = [&](const LeverOpportunity& opp) {
    if (opp.deleted_at)
      return false;
    if (confidentiality == "non-confidential" && opp.confidential)
      return false;
    if (confidentiality == "confidential" && !opp.confidential)
      return false;
    if (!tags.empty() && std::none_of(tags.begin(), tags.end(), [&](const std::string& tag) {
          return std::find(opp.tags.begin(), opp.tags.end(), tag) != opp.tags.end();
        }))
      return false;
    if (!stage_ids.empty() &&
        std::find(stage_ids.begin(), stage_ids.end(), opp.stage_id) == stage_ids.end())
      return false;
    if (!posting_ids.empty() &&
        (!opp.posting_id ||
         std::find(posting_ids.begin(), posting_ids.end(), *opp.posting_id) == posting_ids.end()))
      return false;
    if (!contact_ids.empty() &&
        std::find(contact_ids.begin(), contact_ids.end(), opp.contact_id) == contact_ids.end())
      return false;
    if (!reason_ids.empty() &&
        (!opp.archive_reason_id || std::find(reason_ids.begin(), reason_ids.end(),
                                             *opp.archive_reason_id) == reason_ids.end()))
      return false;
    if (archived == "true" && !opp.archive_reason_id)
      return false;
    if (archived == "false" && opp.archive_reason_id)
      return false;
    if (created_start && opp.created_at < *created_start)
      return false;
    if (created_end && opp.created_at > *created_end)
      return false;
    if ((updated_start || updated_end) && !opp.updated_at)
      return false;
    if (updated_start && *opp.updated_at < *updated_start)
      return false;
    if (updated_end && *opp.updated_at > *updated_end)
      return false;
    std::int64_t advanced = last_advanced_at(opp);
    if ((advanced_start && advanced < *advanced_start) ||
        (advanced_end && advanced > *advanced_end))
      return false;
    if ((archived_start || archived_end) && !opp.archive_reason_id)
      return false;
    if ((archived_start && opp.archived_at < *archived_start) ||
        (archived_end && opp.archived_at > *archived_end))
      return false;
    if (!emails.empty()) {
      const auto& contact = world_.data.lever.contacts[world_.contact_by_id.at(opp.contact_id)];
      bool found = false;
      for (const auto& wanted : emails)
        for (const auto& email : contact.emails)
          found = found || normalise_email(email) == normalise_email(wanted);
      if (!found)
        return false;
    }
    return true;
  };
  std::vector<std::pair<OpportunityKey, const LeverOpportunity*>> listed;
  for (const LeverOpportunity& opp : world_.data.lever.opportunities)
    if (matches(opp))
      listed.emplace_back(opportunity_key(world_, opp), &opp);
  std::sort(listed.begin(), listed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  auto begin = listed.begin();
  if (from)
    begin = std::lower_bound(
        listed.begin(), listed.end(), *from,
        [](const auto& entry, const OpportunityKey& key) { return entry.first < key; });
  json::array data;
  auto it = begin;
  for (; it != listed.end() && static_cast<int>(data.size()) < limit; ++it)
    data.push_back(only_included(request, render_opportunity(*it->second, expand), expand));
  bool more = it != listed.end();
  json::object body{{"data", std::move(data)}, {"hasNext", more}};
  if (more)
    body["next"] =
        make_token(signature, json::array{it->first.rank, it->first.advanced_at, it->first.id});
  set_json(response, 200, body);
}

void LeverServer::handle(const httplib::Request& request, httplib::Response& response) {
  if (request.method == "POST" && request.path == "/oauth/token") {
    oauth_token(request, response);
    return;
  }
  auto caller = authenticate(request, response);
  if (!caller)
    return;
  double retry_after = 0;
  if (!bucket_.take(caller->key, retry_after)) {
    if (options_.lever_retry_after)
      response.set_header("Retry-After", retry_after_text(retry_after));
    set_json(response, 429,
             lever_error("TooManyRequests",
                         "Rate limit exceeded: 10 requests per second per key, bursts to 20"));
    return;
  }
  if (request.method != "GET") {
    set_json(response, 405,
             lever_error("MethodNotAllowed",
                         request.method + " " + request.path + " is not served by the sandbox"));
    return;
  }
  std::vector<std::string> parts;
  for (std::size_t i = 1; i <= request.path.size();) {
    std::size_t slash = request.path.find('/', i);
    parts.push_back(
        request.path.substr(i, slash == std::string::npos ? std::string::npos : slash - i));
    if (slash == std::string::npos)
      break;
    i = slash + 1;
  }
  if (parts.size() < 2 || parts[0] != "v1") {
    set_json(response, 404, lever_error("ResourceNotFound", "Unknown route " + request.path));
    return;
  }
  if (int moves = moves_per_list_call_.load();
      moves > 0 && (parts == std::vector<std::string>{"v1", "opportunities"} ||
                    parts == std::vector<std::string>{"v1", "candidates"})) {
    std::unique_lock moving(world_.mutex);
    move_lever_stages(world_, moves);
  }
  std::shared_lock lock(world_.mutex);
  const LeverData& lv = world_.data.lever;
  const std::string& resource = parts[1];
  auto not_found = [&](const std::string& what, const std::string& id) {
    set_json(response, 404, lever_error("ResourceNotFound", what + " " + id + " was not found"));
  };
  if (resource == "opportunities" || resource == "candidates") {
    if (parts.size() == 2)
      return list_opportunities(request, response, *caller);
    if (parts[2] == "deleted") {
      std::optional<std::int64_t> start, end;
      if (!parse_ms_param(request, "deleted_at_start", start, response) ||
          !parse_ms_param(request, "deleted_at_end", end, response))
        return;
      std::vector<json::value> items;
      for (const auto& opp : lv.opportunities) {
        if (!opp.deleted_at || (start && *opp.deleted_at < *start) ||
            (end && *opp.deleted_at > *end))
          continue;
        items.push_back(json::object{
            {"id", opp.id}, {"deletedAt", *opp.deleted_at}, {"deletedBy", lv.users[0].id}});
      }
      return send_page(request, response, items);
    }
    auto it = world_.opportunity_by_id.find(parts[2]);
    if (it == world_.opportunity_by_id.end() || lv.opportunities[it->second].deleted_at)
      return not_found("opportunity", parts[2]);
    const LeverOpportunity& opp = lv.opportunities[it->second];
    if (opp.confidential && !caller->confidential_access) {
      set_json(response, 403,
               lever_error("ForbiddenError",
                           "Opportunity " + opp.id +
                               " is confidential and this API key has no confidential access"));
      return;
    }
    if (parts.size() == 3) {
      std::set<std::string> expand;
      for (const auto& value : multi_values(request, "expand"))
        expand.insert(value);
      set_json(
          response, 200,
          json::object{{"data", only_included(request, render_opportunity(opp, expand), expand)}});
      return;
    }
    return opportunity_children(request, response, opp, parts[3], parts.size() > 4 ? parts[4] : "",
                                parts.size() > 5 ? parts[5] : "");
  }
  if (resource == "contacts" && parts.size() == 3) {
    auto it = world_.contact_by_id.find(parts[2]);
    if (it == world_.contact_by_id.end())
      return not_found("contact", parts[2]);
    set_json(response, 200, json::object{{"data", render_contact(lv.contacts[it->second])}});
    return;
  }
  std::vector<std::pair<std::string, json::value>> items;
  if (resource == "postings") {
    std::string confidentiality = request.has_param("confidentiality")
                                      ? request.get_param_value("confidentiality")
                                      : "non-confidential";
    if (confidentiality != "non-confidential" && !caller->confidential_access) {
      set_json(
          response, 403,
          lever_error("ForbiddenError", "This API key does not have access to confidential data"));
      return;
    }
    auto states = multi_values(request, "state");
    auto channels = multi_values(request, "distributionChannel");
    for (const auto& posting : lv.postings) {
      // "List requests for published postings will only return postings that appear on your
      // public job site ... you must use the distributionChannel query parameter"
      // (lever_docs_examples.json "postings_list_note"): with the documented shapes on, a third
      // of the published postings are internal-only and listed only when asked by channel.
      bool internal_only = options_.lever_list_shapes != "wrapped" &&
                           posting.state == "published" &&
                           std::hash<std::string>{}(posting.id) % 3 == 0;
      if (parts.size() == 2) {
        bool asked_internal =
            std::find(channels.begin(), channels.end(), "internal") != channels.end();
        if (internal_only && !asked_internal)
          continue;
        if (!channels.empty() && !internal_only &&
            std::find(channels.begin(), channels.end(), "public") == channels.end())
          continue;
        if (confidentiality == "non-confidential" && posting.confidential)
          continue;
        if (confidentiality == "confidential" && !posting.confidential)
          continue;
        if (!states.empty() &&
            std::find(states.begin(), states.end(), posting.state) == states.end())
          continue;
      } else if (posting.confidential && !caller->confidential_access) {
        continue;
      }
      items.emplace_back(
          posting.id,
          json::object{
              {"id", posting.id},
              {"text", posting.text},
              {"createdAt", posting.created_at},
              {"updatedAt", posting.updated_at},
              {"state", posting.state},
              {"distributionChannels",
               internal_only ? json::array{"internal"} : json::array{"public", "internal"}},
              {"confidentiality", posting.confidential ? "confidential" : "non-confidential"},
              {"user", posting.owner},
              {"owner", posting.owner},
              {"hiringManager", posting.owner},
              {"categories", json::object{{"team", posting.team},
                                          {"department", posting.department},
                                          {"location", posting.location},
                                          {"allLocations", json::array{posting.location}},
                                          {"commitment", posting.commitment},
                                          {"level", nullptr}}},
              {"tags", json::array{}},
              {"content", json::object{{"description", "About the role"},
                                       {"descriptionHtml", "<p>About the role</p>"},
                                       {"lists", json::array{}},
                                       {"closing", ""},
                                       {"closingHtml", ""}}},
              {"country", "DE"},
              {"followers", json::array{posting.owner}},
              {"reqCode", nullptr},
              {"requisitionCodes", json::array{}},
              {"urls", nullptr},
              {"workplaceType", "onsite"}});
    }
  } else if (resource == "stages") {
    for (const auto& stage : lv.stages)
      items.emplace_back(stage.id, json::object{{"id", stage.id}, {"text", stage.text}});
  } else if (resource == "archive_reasons") {
    std::string type = request.get_param_value("type");
    for (const auto& reason : lv.archive_reasons) {
      if (!type.empty() && reason.type != type)
        continue;
      items.emplace_back(reason.id, json::object{{"id", reason.id},
                                                 {"text", reason.text},
                                                 {"status", reason.active ? "active" : "inactive"},
                                                 {"type", reason.type}});
    }
  } else if (resource == "users") {
    bool deactivated = request.get_param_value("includeDeactivated") == "true";
    std::string email = request.get_param_value("email");
    for (const auto& user : lv.users) {
      if (parts.size() == 2 && user.deactivated_at && !deactivated)
        continue;
      if (!email.empty() && normalise_email(email) != user.email)
        continue;
      items.emplace_back(user.id, render_user(user.id));
    }
  } else if (resource == "sources" || resource == "tags") {
    std::map<std::string, std::int64_t> counts;
    for (const auto& opp : lv.opportunities)
      for (const auto& text : resource == "tags" ? opp.tags : opp.sources)
        ++counts[text];
    for (const auto& [text, count] : counts)
      items.emplace_back(text, json::object{{"text", text}, {"count", count}});
  } else {
    set_json(response, 404, lever_error("ResourceNotFound", "Unknown route " + request.path));
    return;
  }
  if (parts.size() == 2) {
    std::vector<json::value> values;
    for (auto& item : items)
      values.push_back(std::move(item.second));
    return send_page(request, response, values);
  }
  for (auto& [id, value] : items) {
    if (id == parts[2]) {
      set_json(response, 200, json::object{{"data", value}});
      return;
    }
  }
  not_found(resource, parts[2]);
}

}  // namespace atsm::sandbox
