// Emulated Lever Data API v1 (docs/vendors/lever.md): Basic key auth and OAuth bearer tokens,
// opaque `next` offset tokens, expand, filters, confidentiality, a 10/s token bucket with bursts
// of 20, 422 on unprocessed files and `{code, message}` errors.
#include <algorithm>
#include <set>

#include "lever_common.hpp"
#include "servers.hpp"
#include "util.hpp"

namespace atsm::sandbox {
using namespace lever_api;

namespace {

constexpr int kMaxLimit = 100;

// `include=<field>` (repeatable) keeps only those fields; an expanded field always stays
// (expand wins over include, docs/vendors/lever.md §2).
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

void not_found(httplib::Response& response, const std::string& what, const std::string& id) {
  set_json(response, 404, lever_error("ResourceNotFound", what + " " + id + " was not found"));
}

}  // namespace

LeverServer::LeverServer(const Options& options, Sleeper& sleeper, World& world,
                         const Credentials& credentials)
    : VendorServer(Vendor::lever, options, sleeper),
      world_(world),
      credentials_(credentials),
      // Lever: steady 10 req/s, bursts to 20, per key (docs/vendors/lever.md §3).
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
    // token" answer (400 as TAP saw it, docs/vendors/lever.md §2; its status is unverified, so
    // other statuses too).
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
  // Authorization-code and refresh grants (docs/vendors/lever.md §1); the sandbox's client secret
  // is the API key and its authorization code is "sandbox-authorization-code".
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
  // Accept once- or twice-encoded tokens (clients re-encode them; docs/vendors/lever.md §2).
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

namespace {

// GET /opportunities' filters (lever.md §5.1) and confidentiality.
struct OpportunityFilter {
  std::string confidentiality;
  std::optional<std::int64_t> created_start, created_end, updated_start, updated_end,
      advanced_start, advanced_end, archived_start, archived_end;
  std::vector<std::string> tags, stage_ids, posting_ids, contact_ids, reason_ids, emails;
  std::string archived;

  // Reads the request's filters; false once it answered 400 or 403.
  bool read(const httplib::Request& request, httplib::Response& response, bool confidential_access);
  bool matches(const World& world, const LeverOpportunity& opp) const;
};

bool OpportunityFilter::read(const httplib::Request& request, httplib::Response& response,
                             bool confidential_access) {
  confidentiality = request.has_param("confidentiality")
                        ? request.get_param_value("confidentiality")
                        : "non-confidential";
  if (confidentiality != "non-confidential" && confidentiality != "confidential" &&
      confidentiality != "all") {
    set_json(response, 400,
             lever_error("BadRequestError",
                         "confidentiality must be confidential, non-confidential or all"));
    return false;
  }
  if (confidentiality != "non-confidential" && !confidential_access) {
    set_json(
        response, 403,
        lever_error("ForbiddenError", "This API key does not have access to confidential data"));
    return false;
  }
  // Inclusive, either end optional (docs/vendors/lever.md §2).
  if (!parse_ms_param(request, "created_at_start", created_start, response) ||
      !parse_ms_param(request, "created_at_end", created_end, response) ||
      !parse_ms_param(request, "updated_at_start", updated_start, response) ||
      !parse_ms_param(request, "updated_at_end", updated_end, response) ||
      !parse_ms_param(request, "advanced_at_start", advanced_start, response) ||
      !parse_ms_param(request, "advanced_at_end", advanced_end, response) ||
      !parse_ms_param(request, "archived_at_start", archived_start, response) ||
      !parse_ms_param(request, "archived_at_end", archived_end, response))
    return false;
  tags = multi_values(request, "tag");
  stage_ids = multi_values(request, "stage_id");
  posting_ids = multi_values(request, "posting_id");
  contact_ids = multi_values(request, "contact_id");
  reason_ids = multi_values(request, "archive_reason_id");
  emails = multi_values(request, "email");
  archived = request.get_param_value("archived");
  return true;
}

bool OpportunityFilter::matches(const World& world, const LeverOpportunity& opp) const {
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
  if (!posting_ids.empty() && (!opp.posting_id || std::find(posting_ids.begin(), posting_ids.end(),
                                                            *opp.posting_id) == posting_ids.end()))
    return false;
  if (!contact_ids.empty() &&
      std::find(contact_ids.begin(), contact_ids.end(), opp.contact_id) == contact_ids.end())
    return false;
  if (!reason_ids.empty() &&
      (!opp.archive_reason_id ||
       std::find(reason_ids.begin(), reason_ids.end(), *opp.archive_reason_id) == reason_ids.end()))
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
  if ((advanced_start && advanced < *advanced_start) || (advanced_end && advanced > *advanced_end))
    return false;
  if ((archived_start || archived_end) && !opp.archive_reason_id)
    return false;
  if ((archived_start && opp.archived_at < *archived_start) ||
      (archived_end && opp.archived_at > *archived_end))
    return false;
  if (!emails.empty()) {
    const auto& contact = world.data.lever.contacts[world.contact_by_id.at(opp.contact_id)];
    bool found = false;
    for (const auto& wanted : emails)
      for (const auto& email : contact.emails)
        found = found || normalise_email(email) == normalise_email(wanted);
    if (!found)
      return false;
  }
  return true;
}

}  // namespace

void LeverServer::list_opportunities(const httplib::Request& request, httplib::Response& response,
                                     const Caller& caller) {
  OpportunityFilter filter;
  if (!filter.read(request, response, caller.confidential_access))
    return;
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
  // Order (issue 16 §1, recorded real pages; docs/vendors/lever.md §2): stage rank ascending, then
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
  std::vector<std::pair<OpportunityKey, const LeverOpportunity*>> listed;
  for (const LeverOpportunity& opp : world_.data.lever.opportunities)
    if (filter.matches(world_, opp))
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
  if (resource == "opportunities" || resource == "candidates")
    return serve_opportunities(request, response, *caller, parts);
  if (resource == "contacts" && parts.size() == 3) {
    auto it = world_.contact_by_id.find(parts[2]);
    if (it == world_.contact_by_id.end())
      return not_found(response, "contact", parts[2]);
    set_json(response, 200, json::object{{"data", render_contact(lv.contacts[it->second])}});
    return;
  }
  serve_reference_list(request, response, *caller, parts);
}

void LeverServer::serve_opportunities(const httplib::Request& request, httplib::Response& response,
                                      const Caller& caller, const std::vector<std::string>& parts) {
  const LeverData& lv = world_.data.lever;
  if (parts.size() == 2)
    return list_opportunities(request, response, caller);
  if (parts[2] == "deleted") {
    std::optional<std::int64_t> start, end;
    if (!parse_ms_param(request, "deleted_at_start", start, response) ||
        !parse_ms_param(request, "deleted_at_end", end, response))
      return;
    std::vector<json::value> items;
    for (const auto& opp : lv.opportunities) {
      if (!opp.deleted_at || (start && *opp.deleted_at < *start) || (end && *opp.deleted_at > *end))
        continue;
      items.push_back(json::object{
          {"id", opp.id}, {"deletedAt", *opp.deleted_at}, {"deletedBy", lv.users[0].id}});
    }
    return send_page(request, response, items);
  }
  auto it = world_.opportunity_by_id.find(parts[2]);
  if (it == world_.opportunity_by_id.end() || lv.opportunities[it->second].deleted_at)
    return not_found(response, "opportunity", parts[2]);
  const LeverOpportunity& opp = lv.opportunities[it->second];
  if (opp.confidential && !caller.confidential_access) {
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

bool LeverServer::posting_items(const httplib::Request& request, httplib::Response& response,
                                const Caller& caller, const std::vector<std::string>& parts,
                                std::vector<std::pair<std::string, json::value>>& items) {
  const LeverData& lv = world_.data.lever;
  std::string confidentiality = request.has_param("confidentiality")
                                    ? request.get_param_value("confidentiality")
                                    : "non-confidential";
  if (confidentiality != "non-confidential" && !caller.confidential_access) {
    set_json(
        response, 403,
        lever_error("ForbiddenError", "This API key does not have access to confidential data"));
    return false;
  }
  auto states = multi_values(request, "state");
  auto channels = multi_values(request, "distributionChannel");
  for (const auto& posting : lv.postings) {
    // "List requests for published postings will only return postings that appear on your
    // public job site ... you must use the distributionChannel query parameter"
    // (lever_docs_examples.json "postings_list_note"): with the documented shapes on, a third
    // of the published postings are internal-only and listed only when asked by channel.
    bool internal_only = options_.lever_list_shapes != "wrapped" && posting.state == "published" &&
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
      if (!states.empty() && std::find(states.begin(), states.end(), posting.state) == states.end())
        continue;
    } else if (posting.confidential && !caller.confidential_access) {
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

  return true;
}

void LeverServer::serve_reference_list(const httplib::Request& request, httplib::Response& response,
                                       const Caller& caller,
                                       const std::vector<std::string>& parts) {
  const LeverData& lv = world_.data.lever;
  const std::string& resource = parts[1];
  std::vector<std::pair<std::string, json::value>> items;
  if (resource == "postings") {
    if (!posting_items(request, response, caller, parts, items))
      return;
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
  not_found(response, resource, parts[2]);
}

}  // namespace atsm::sandbox
