// Emulated Greenhouse Harvest v3 (docs/vendors/greenhouse.md §2-§7): client-credentials tokens,
// bare-array lists in id-descending order with a `Link: rel="next"` cursor only, per_page <= 500,
// a fixed 30-second window with X-RateLimit-* headers, and signed attachment URLs that expire.
#include <algorithm>
#include <cmath>

#include "servers.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace {

constexpr int kWindowLimit = 75;  // the doc's example X-RateLimit-Limit
constexpr int kMaxPerPage = 500;

// The filters a list defines (docs/vendors/greenhouse.md §3): paging, `ids`, the date ranges, a
// parent filter
// `<parent>_ids` where its items carry `<parent>_id`
// (sandbox/validator/greenhouse-v3/schemas/<list>.json), and the documented switches.
bool defined_filter(const std::string& resource, const std::string& key) {
  static const std::set<std::string> kCommon{"per_page", "cursor", "ids", "created_at",
                                             "updated_at"};
  static const std::map<std::string, std::set<std::string>> kParentFilters{
      {"applications", {"candidate_ids", "job_ids"}},
      {"application_stages", {"application_ids"}},
      {"job_interview_stages", {"job_ids"}},
      {"job_interviews", {"job_ids"}},
      {"interview_kits", {"job_ids"}},
      {"scorecards", {"application_ids"}},
      {"job_candidate_attributes", {"job_ids"}},
      {"rejection_details", {"application_ids"}},
      {"interviews", {"application_ids", "job_ids"}},
      {"offers", {"application_ids", "job_ids", "candidate_ids", "current_only"}},
      {"notes", {"candidate_ids", "application_ids"}},
      {"attachments", {"candidate_ids", "application_ids"}},
      {"applied_candidate_tags", {"candidate_ids"}},
      {"candidate_educations", {"candidate_ids"}},
      {"candidate_employments", {"candidate_ids"}},
      {"prospect_details", {"application_ids"}},
      {"job_hiring_managers", {"job_ids"}},
      {"job_owners", {"job_ids"}},
      {"openings", {"application_ids", "job_ids"}},
      {"eeoc", {"candidate_ids", "application_ids"}},
      {"users", {"show_service_accounts"}},
      {"rejection_reasons", {"include_defaults"}},
      {"custom_field_options", {"custom_field_key"}}};
  if (kCommon.count(key))
    return true;
  auto it = kParentFilters.find(resource);
  return it != kParentFilters.end() && it->second.count(key) > 0;
}

json::object gh_error(const std::string& message, json::array errors = {}) {
  json::object body{{"message", message}};
  if (!errors.empty())
    body["errors"] = std::move(errors);
  return body;
}

// A `gte|A|lte|B` date range, both ends inclusive.
struct DateRange {
  std::int64_t low = INT64_MIN, high = INT64_MAX;
};

// A list request's query: its parameters, or the ones its cursor carries, parsed.
struct ListQuery {
  json::object filters;
  int per_page = 100;
  std::int64_t after = 0;  // the last id served before (a cursor's)
  std::vector<std::int64_t> ids, candidate_ids, application_ids, job_ids;
  std::optional<DateRange> created, updated;
};

// Reads the cursor, or the parameters; false once it answered 422.
bool read_list_query(const httplib::Request& request, httplib::Response& response,
                     const std::string& resource, const std::string& secret,
                     bool refuse_unknown_filters, ListQuery& query) {
  if (request.has_param("cursor")) {
    if (request.params.size() > 1) {
      set_json(response, 422,
               gh_error("Unprocessable Content",
                        json::array{"When passing a cursor, do not include other query params."}));
      return false;
    }
    std::string decoded;
    try {
      if (!base64url_decode(request.get_param_value("cursor"), decoded))
        throw std::runtime_error("bad base64");
      auto value = json::parse(decoded).as_object();
      std::string mac(value.at("m").as_string());
      value.erase("m");
      if (mac != hmac_sha256_hex(secret, json::serialize(value)).substr(0, 16) ||
          value.at("r") != resource.c_str())
        throw std::runtime_error("bad mac");
      query.after = value.at("a").as_int64();
      query.per_page = static_cast<int>(value.at("p").as_int64());
      query.filters = value.at("f").as_object();
    } catch (const std::exception&) {
      set_json(response, 422,
               gh_error("Unprocessable Content", json::array{"Invalid or expired cursor."}));
      return false;
    }
  } else {
    for (const auto& [key, value] : request.params) {
      if (!defined_filter(resource, key)) {
        // No source says whether v3 ignores a filter a list does not define or refuses it: a
        // seeded switch emulates each ([unverified], docs/vendors/greenhouse.md §3 lists the
        // filters).
        if (refuse_unknown_filters) {
          set_json(response, 422,
                   gh_error("Unprocessable Content",
                            json::array{json::object{
                                {key, "is not a permitted filter for /v3/" + resource}}}));
          return false;
        }
        continue;
      }
      if (key == "per_page") {
        try {
          query.per_page = std::stoi(value);
        } catch (const std::exception&) {
          query.per_page = -1;
        }
        if (query.per_page > kMaxPerPage) {
          set_json(response, 422,
                   gh_error("Unprocessable Content",
                            json::array{json::object{
                                {"per_page", "`" + value + "` number is greater than: 500"}}}));
          return false;
        }
        if (query.per_page < 1) {
          set_json(response, 422,
                   gh_error("Unprocessable Content",
                            json::array{json::object{
                                {"per_page", "`" + value + "` must be a positive integer"}}}));
          return false;
        }
      } else {
        query.filters[key] = value;
      }
    }
    if (query.filters.contains("created_at") && query.filters.contains("updated_at")) {
      set_json(response, 422,
               gh_error("Unprocessable Content",
                        json::array{"Do not send created_at and updated_at together."}));
      return false;
    }
  }
  return true;
}

// Id lists: at most 50 comma-separated integers.
bool id_list(const json::object& filters, const char* key, std::vector<std::int64_t>& out) {
  if (!filters.contains(key))
    return true;
  std::string text(filters.at(key).as_string());
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t comma = text.find(',', start);
    try {
      out.push_back(std::stoll(text.substr(start, comma - start)));
    } catch (const std::exception&) {
      return false;
    }
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return out.size() <= 50;
}

bool date_range(const json::object& filters, const char* key, std::optional<DateRange>& out) {
  if (!filters.contains(key))
    return true;
  std::string text = url_decode(std::string(filters.at(key).as_string()));
  DateRange range;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t bar = text.find('|', start);
    std::size_t bar2 = bar == std::string::npos ? std::string::npos : text.find('|', bar + 1);
    if (bar == std::string::npos)
      return false;
    std::string op = text.substr(start, bar - start),
                when = text.substr(bar + 1,
                                   bar2 == std::string::npos ? std::string::npos : bar2 - bar - 1);
    std::int64_t ms = 0;
    if (!parse_iso_time(when, ms))
      return false;
    if (op == "gte")
      range.low = ms;
    else if (op == "gt")
      range.low = ms + 1;
    else if (op == "lte")
      range.high = ms;
    else if (op == "lt")
      range.high = ms - 1;
    else
      return false;
    if (bar2 == std::string::npos)
      break;
    start = bar2 + 1;
  }
  out = range;
  return true;
}

// Parses the filters: id lists and `gte|A|lte|B` date ranges; false once it answered 422.
bool parse_list_filters(httplib::Response& response, ListQuery& query) {
  if (!id_list(query.filters, "ids", query.ids) ||
      !id_list(query.filters, "candidate_ids", query.candidate_ids) ||
      !id_list(query.filters, "application_ids", query.application_ids) ||
      !id_list(query.filters, "job_ids", query.job_ids)) {
    set_json(response, 422,
             gh_error("Unprocessable Content",
                      json::array{"Id filters take at most 50 comma-separated integers."}));
    return false;
  }
  if (!date_range(query.filters, "created_at", query.created) ||
      !date_range(query.filters, "updated_at", query.updated)) {
    set_json(
        response, 422,
        gh_error("Unprocessable Content",
                 json::array{
                     "Date filters look like gte|2024-01-01T00:00:00Z|lte|2024-02-01T00:00:00Z."}));
    return false;
  }
  return true;
}

}  // namespace

GreenhouseServer::GreenhouseServer(const Options& options, Sleeper& sleeper, World& world,
                                   const Credentials& credentials)
    : VendorServer(Vendor::greenhouse, options, sleeper),
      world_(world),
      credentials_(credentials),
      window_(kWindowLimit, 30.0 / options.rate_scale),
      attachment_url_ttl_s_(options.attachment_url_ttl_s),
      refuse_unknown_filters_(
          options.greenhouse_refuse_unknown_filters.value_or((options.seed & 1U) != 0)),
      redirect_attachments_(
          options.greenhouse_redirect_attachments.value_or((options.seed & 2U) != 0)) {}

bool GreenhouseServer::is_write(const httplib::Request&) const {
  return false;
}

// An injected 429 is the key's window spent elsewhere (another integration on the same
// credential): it names that window's reset, as a real refusal does (docs/vendors/greenhouse.md
// §4: X-RateLimit-Reset epoch seconds, Retry-After seconds), scaled with the window, so a client
// that honours both waits what the scaled vendor says, not an unscaled 30 s.
void GreenhouseServer::write_fault_429(httplib::Response& response) {
  FixedWindow::Result window = window_.peek(credentials_.greenhouse_client_id);
  response.set_header("X-RateLimit-Limit", std::to_string(kWindowLimit));
  response.set_header("X-RateLimit-Remaining", "0");
  response.set_header("X-RateLimit-Reset", std::to_string(window.reset_epoch_s));
  response.set_header("Retry-After", retry_after_text(window.reset_in_s));
  set_json(response, 429, gh_error("Rate limit exceeded"));
}

void GreenhouseServer::write_server_error(httplib::Response& response, int status) {
  set_json(response, status, gh_error("Something went wrong; try again in a few minutes"));
}

bool GreenhouseServer::handle_inspection(const httplib::Request& request,
                                         httplib::Response& response) {
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
    auto changes = mutate_greenhouse(world_, std::clamp(count, 0, 100000));
    set_json(response, 200, json::object{{"changed", changes}});
    return true;
  }
  if (request.method == "POST" && request.path == "/_sandbox/attachment_ttl") {
    // A URL read from now on lives this long (negative: it is expired when handed out), so a
    // test can make every download fail, then let a re-run succeed, on one running sandbox.
    try {
      attachment_url_ttl_s_ =
          json::parse(request.body).as_object().at("seconds").to_number<double>();
    } catch (const std::exception& error) {
      set_json(response, 400,
               json::object{{"error", std::string("attachment_ttl body: ") + error.what()}});
      return true;
    }
    set_json(response, 200, json::object{{"seconds", attachment_url_ttl_s_.load()}});
    return true;
  }
  return VendorServer::handle_inspection(request, response);
}

void GreenhouseServer::token(const httplib::Request& request, httplib::Response& response) {
  bool basic = false;
  std::string pair = bearer_or_basic_key(request, basic);
  if (!basic || pair.empty()) {
    set_json(response, 401, json::object{{"message", "Unauthorized"}, {"errorId", "err-sandbox"}});
    return;
  }
  std::string grant = request.get_param_value("grant_type");
  if (grant.empty()) {
    set_json(response, 400,
             json::object{{"message", "Must include `grant_type` parameter in /token request"}});
    return;
  }
  if (grant != "client_credentials") {
    set_json(
        response, 400,
        json::object{{"message",
                      "grant_type=" + grant +
                          " is invalid, please use one of: authorization_code, refresh_token, "
                          "client_credentials, urn:ietf:params:oauth:grant-type:token-exchange"}});
    return;
  }
  if (pair != credentials_.greenhouse_client_id + ":" + credentials_.greenhouse_client_secret) {
    set_json(response, 401, json::object{{"error", "invalid_client"}});
    return;
  }
  // `sub` names the acting user; without it the credential's service user acts
  // (docs/vendors/greenhouse.md §2).
  bool site_admin = true;
  if (request.has_param("sub")) {
    std::string sub = request.get_param_value("sub");
    std::shared_lock data_lock(world_.mutex);
    const auto& users = world_.data.greenhouse.users;
    auto user = std::find_if(users.begin(), users.end(),
                             [&](const GhUser& u) { return std::to_string(u.id) == sub; });
    if (user == users.end() || user->deactivated) {
      set_json(response, 400, json::object{{"message", "sub=" + sub + " is not an active user"}});
      return;
    }
    site_admin = user->site_admin;
  }
  std::lock_guard lock(token_mutex_);
  std::string access =
      "ghv3." + Rng(mix_seed(static_cast<std::uint64_t>(now_ms()), ++token_serial_)).hex(48);
  double ttl_s = options_.token_ttl_s / options_.rate_scale;
  std::int64_t expiry = now_ms() + static_cast<std::int64_t>(ttl_s * 1000);
  tokens_[access] = Token{expiry, site_admin};
  set_json(response, 200,
           json::object{{"access_token", access},
                        {"token_type", "Bearer"},
                        {"expires_at", iso_time(expiry)},
                        {"expires_in", static_cast<std::int64_t>(ttl_s)}});
}

std::string GreenhouseServer::signed_url(const std::string& attachment_id) const {
  std::int64_t expires = now_ms() + static_cast<std::int64_t>(attachment_url_ttl_s_.load() *
                                                              1000.0 / options_.rate_scale);
  std::string payload = attachment_id + ":" + std::to_string(expires);
  return "http://" + options_.host + ":" + std::to_string(port()) + "/_files/attachments/" +
         attachment_id + "?X-Amz-Expires-At=" + std::to_string(expires) +
         "&X-Amz-Signature=" + hmac_sha256_hex(world_.secret, payload);
}

// A Greenhouse endpoint that "issues a fresh short-lived file URL per request" (attachments.json
// `url`, docs/vendors/greenhouse.md §7): 302 to a freshly signed file URL. Whether it needs the API
// token is not known [unverified]: it is signed like a file URL and needs none.
std::string GreenhouseServer::redirect_url(const std::string& attachment_id) const {
  std::string file = signed_url(attachment_id);
  return "http://" + options_.host + ":" + std::to_string(port()) + "/_files/redirect/" +
         file.substr(file.find("/_files/attachments/") + 20);
}

void GreenhouseServer::redirect(const httplib::Request& request, httplib::Response& response) {
  std::string id = request.path.substr(std::string("/_files/redirect/").size());
  std::string expires = request.get_param_value("X-Amz-Expires-At");
  if (expires.empty() ||
      request.get_param_value("X-Amz-Signature") !=
          hmac_sha256_hex(world_.secret, id + ":" + expires) ||
      std::stoll(expires) < now_ms()) {
    set_json(response, 404, gh_error("Resource not found"));
    return;
  }
  response.status = 302;
  response.set_header("Location", signed_url(id));
}

void GreenhouseServer::download(const httplib::Request& request, httplib::Response& response) {
  std::string id = request.path.substr(std::string("/_files/attachments/").size());
  std::string expires = request.get_param_value("X-Amz-Expires-At");
  std::string signature = request.get_param_value("X-Amz-Signature");
  auto denied = [&](const std::string& message) {
    response.status = 403;
    response.set_content(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>" +
            message + "</Message><RequestId>SANDBOX</RequestId><HostId>sandbox</HostId></Error>",
        "application/xml");
  };
  // S3 refuses a presigned request that also carries an Authorization header ("Only one auth
  // mechanism allowed"): the API credential never goes to the file host.
  if (request.has_header("Authorization")) {
    response.status = 400;
    response.set_content(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code>"
        "<Message>Only one auth mechanism allowed</Message></Error>",
        "application/xml");
    return;
  }
  if (expires.empty() || signature != hmac_sha256_hex(world_.secret, id + ":" + expires))
    return denied("Request signature does not match");
  if (std::stoll(expires) < now_ms())
    return denied("Request has expired");
  std::shared_lock lock(world_.mutex);
  std::int64_t numeric = 0;
  try {
    numeric = std::stoll(id);
  } catch (const std::exception&) {
    return denied("Unknown key");
  }
  auto it = world_.gh_attachment_by_id.find(numeric);
  if (it == world_.gh_attachment_by_id.end())
    return denied("Unknown key");
  const SandboxFile& file = world_.data.greenhouse.attachments[it->second].file;
  response.status = 200;
  response.set_header("Content-Disposition", "attachment; filename=\"" + file.name + "\"");
  response.set_content(file_bytes(file),
                       file.ext == "pdf" ? "application/pdf" : "application/octet-stream");
}

std::shared_ptr<const std::vector<GreenhouseRow>> GreenhouseServer::rows(
    const std::string& resource) {
  std::lock_guard lock(rows_mutex_);
  auto& entry = rows_cache_[resource];
  if (!entry.second || entry.first != world_.mutations) {
    entry = {world_.mutations,
             std::make_shared<const std::vector<GreenhouseRow>>(greenhouse_rows(world_, resource))};
  }
  return entry.second;
}

void GreenhouseServer::list(const httplib::Request& request, httplib::Response& response,
                            const std::string& resource) {
  ListQuery query;
  if (!read_list_query(request, response, resource, world_.secret, refuse_unknown_filters_,
                       query) ||
      !parse_list_filters(response, query))
    return;
  std::shared_lock lock(world_.mutex);
  auto cached = rows(resource);
  // A parent filter matches the row's own member (null matches nothing).
  auto matches = [](const std::vector<std::int64_t>& list, const json::object& object,
                    const char* key) {
    if (list.empty())
      return true;
    const json::value* id = object.if_contains(key);
    return id != nullptr && id->is_int64() &&
           std::find(list.begin(), list.end(), id->as_int64()) != list.end();
  };
  auto switched_on = [&](const std::string& name) {
    return query.filters.contains(name) && query.filters.at(name).as_string() == "true";
  };
  std::string field_key = query.filters.contains("custom_field_key")
                              ? std::string(query.filters.at("custom_field_key").as_string())
                              : "";
  std::string body = "[";
  int served = 0;
  std::int64_t last_id = 0;
  bool more = false;
  for (const auto& row : *cached) {
    if (query.after != 0 && row.id >= query.after)
      continue;
    if ((!query.ids.empty() &&
         std::find(query.ids.begin(), query.ids.end(), row.id) == query.ids.end()) ||
        !matches(query.candidate_ids, row.object, "candidate_id") ||
        !matches(query.application_ids, row.object, "application_id") ||
        !matches(query.job_ids, row.object, "job_id"))
      continue;
    if ((!row.shown_only_with.empty() && !switched_on(row.shown_only_with)) ||
        (!row.hidden_with.empty() && switched_on(row.hidden_with)) ||
        row.custom_field_key != field_key)
      continue;
    if (query.created &&
        (row.created_at < query.created->low || row.created_at > query.created->high))
      continue;
    if (query.updated &&
        (row.updated_at < query.updated->low || row.updated_at > query.updated->high))
      continue;
    if (served == query.per_page) {
      more = true;
      break;
    }
    json::object object = row.object;
    if (resource == "attachments")
      object["url"] = redirect_attachments_ ? redirect_url(std::to_string(row.id))
                                            : signed_url(std::to_string(row.id));
    if (served > 0)
      body += ",";
    body += json::serialize(object);
    ++served;
    last_id = row.id;
  }
  body += "]";
  if (more) {
    json::object cursor{
        {"r", resource}, {"a", last_id}, {"p", query.per_page}, {"f", query.filters}};
    cursor["m"] = hmac_sha256_hex(world_.secret, json::serialize(cursor)).substr(0, 16);
    response.set_header(
        "Link", "<http://" + options_.host + ":" + std::to_string(port()) + "/v3/" + resource +
                    "?cursor=" + base64url_encode(json::serialize(cursor)) + ">; rel=\"next\"");
  }
  response.status = 200;
  response.set_content(body, "application/json");
}

void GreenhouseServer::handle(const httplib::Request& request, httplib::Response& response) {
  if (request.method == "POST" && (request.path == "/token" || request.path == "/oauth/token"))
    return token(request, response);
  if (request.method == "GET" && request.path.rfind("/_files/attachments/", 0) == 0)
    return download(request, response);
  if (request.method == "GET" && request.path.rfind("/_files/redirect/", 0) == 0)
    return redirect(request, response);
  // v3 routes before auth: an unknown path is 404 even unauthenticated (docs/vendors/greenhouse.md
  // §5).
  std::string resource = request.path.rfind("/v3/", 0) == 0 ? request.path.substr(4) : "";
  bool known = false;
  {
    std::shared_lock lock(world_.mutex);
    static const std::set<std::string> kResources{"candidates",
                                                  "applications",
                                                  "application_stages",
                                                  "jobs",
                                                  "job_interview_stages",
                                                  "scorecards",
                                                  "scorecard_candidate_attributes",
                                                  "scorecard_question_answers",
                                                  "scorecard_questions",
                                                  "job_candidate_attributes",
                                                  "referrers",
                                                  "rejection_details",
                                                  "interviews",
                                                  "interviewers",
                                                  "offers",
                                                  "notes",
                                                  "attachments",
                                                  "users",
                                                  "departments",
                                                  "offices",
                                                  "candidate_tags",
                                                  "sources",
                                                  "rejection_reasons",
                                                  "applied_candidate_tags",
                                                  "custom_fields",
                                                  "custom_field_options",
                                                  "job_interviews",
                                                  "interview_kits",
                                                  "scorecard_question_answer_options",
                                                  "scorecard_question_options",
                                                  "prospect_details",
                                                  "prospect_pools",
                                                  "prospect_pool_stages",
                                                  "candidate_educations",
                                                  "candidate_employments",
                                                  "job_hiring_managers",
                                                  "job_owners",
                                                  "openings",
                                                  "eeoc"};
    known = kResources.count(resource) > 0;
  }
  if (!known || request.method != "GET") {
    set_json(response, 404, gh_error("Resource not found"));
    return;
  }
  bool basic = false;
  std::string token = bearer_or_basic_key(request, basic);
  bool ok = false, site_admin = false;
  if (!basic && !token.empty()) {
    std::lock_guard lock(token_mutex_);
    auto it = tokens_.find(token);
    ok = it != tokens_.end() && it->second.expiry_ms > now_ms();
    site_admin = ok && it->second.site_admin;
  }
  if (!ok) {
    set_json(
        response, 401,
        gh_error(
            "Unauthorized",
            json::array{
                "Token could not be decoded. Please ensure your token is from a trusted source."}));
    return;
  }
  if (!site_admin) {
    set_json(response, 403,
             gh_error("Forbidden",
                      json::array{"Every v3 list endpoint requires a Site Admin acting user."}));
    return;
  }
  auto limit = window_.take(credentials_.greenhouse_client_id);  // per credential, not per token
  response.set_header("X-RateLimit-Limit", std::to_string(limit.limit));
  response.set_header("X-RateLimit-Remaining", std::to_string(limit.remaining));
  response.set_header("X-RateLimit-Reset", std::to_string(limit.reset_epoch_s));
  if (!limit.allowed) {
    response.set_header("Retry-After", std::to_string(limit.retry_after_s));
    set_json(response, 429, gh_error("Rate limit exceeded"));
    return;
  }
  list(request, response, resource);
}

}  // namespace atsm::sandbox
