#include "lever_client.hpp"

#include <atsmigrate/kit/url.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace atsm::lever {
namespace json = boost::json;
namespace {

// A 2xx body that does not parse (a truncated transfer) is asked for again this many times.
constexpr int kMalformedBodyAttempts = 3;
// A request refused with 401 under OAuth is sent again with a renewed token this many times.
constexpr int kUnauthorizedAttempts = 3;

bool is_id_segment(const std::string& segment) {
  // Lever ids are UUIDs; built-in stage ids are words and never appear in child paths.
  return segment.size() >= 16 && segment.find('-') != std::string::npos;
}

std::string lever_message(const std::string& body) {
  boost::system::error_code error;
  json::value parsed = json::parse(body, error);
  if (!error && parsed.is_object()) {
    const json::object& object = parsed.as_object();
    std::string code, message;
    if (const json::value* value = object.if_contains("code"); value && value->is_string())
      code = std::string(value->as_string());
    if (const json::value* value = object.if_contains("message"); value && value->is_string())
      message = std::string(value->as_string());
    if (const json::value* value = object.if_contains("error"); value && value->is_string())
      code = code.empty() ? std::string(value->as_string()) : code;
    if (const json::value* value = object.if_contains("error_description");
        value && value->is_string())
      message = message.empty() ? std::string(value->as_string()) : message;
    if (!code.empty() || !message.empty())
      return code + (code.empty() || message.empty() ? "" : ": ") + message;
  }
  return body.substr(0, 200);
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields)
    out += (out.empty() ? "" : "&") + name + "=" + kit::url_encode(value);
  return out;
}

// Lever documents three shapes of a list (tests/lever/docs/lever_docs_examples.json): the
// {data: [...], hasNext, next} wrapper every recorded list uses ("lists_section"), a bare array
// ("files_list_verbatim", "files_list_note") and, for profile forms, a bare object (the one form,
// "profile_forms_list_note"; also seen as {data: {...}}). Rewrites the two unwrapped shapes into
// a last page of the wrapper; false when the body is none of them.
bool normalize_list_shape(json::value& body) {
  auto one_item = [](const json::value& value) {
    return value.is_object() && value.as_object().contains("id");
  };
  if (body.is_array()) {
    body = json::object{{"data", std::move(body.as_array())}, {"hasNext", false}};
    return true;
  }
  if (!body.is_object())
    return false;
  json::object& object = body.as_object();
  json::value* data = object.if_contains("data");
  if (data != nullptr && data->is_array())
    return true;
  if (data != nullptr && one_item(*data)) {
    body = json::object{{"data", json::array{std::move(*data)}}, {"hasNext", false}};
    return true;
  }
  if (data == nullptr && one_item(body)) {
    body = json::object{{"data", json::array{std::move(body)}}, {"hasNext", false}};
    return true;
  }
  return false;
}

}  // namespace

std::string endpoint_kind(const std::string& path_and_query) {
  // A download may carry a query (an offer letter's ?status=sent): the kind is the path's.
  std::string path = path_and_query.substr(0, path_and_query.find('?'));
  std::vector<std::string> kept;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t slash = path.find('/', start);
    std::string segment =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!segment.empty() && !is_id_segment(segment))
      kept.push_back(segment);
    if (slash == std::string::npos)
      break;
    start = slash + 1;
  }
  // Child lists are named by their own resource ("notes", not "opportunities/notes").
  if (kept.size() >= 2 && kept[0] == "opportunities" && kept[1] != "deleted")
    kept.erase(kept.begin());
  std::string out;
  for (const std::string& segment : kept)
    out += (out.empty() ? "" : "/") + segment;
  return out.empty() ? "/" : out;
}

LeverClient::LeverClient(sdk::Host host, ClientSettings settings)
    : host_(host), settings_(std::move(settings)) {
  while (!settings_.base_url.empty() && settings_.base_url.back() == '/')
    settings_.base_url.pop_back();
  // The Data API lives under /v1; a server root (the sandbox's URL as it prints it) gets it added.
  if (settings_.base_url.size() < 3 ||
      settings_.base_url.compare(settings_.base_url.size() - 3, 3, "/v1") != 0)
    settings_.base_url += "/v1";
  if (settings_.auth == AuthMode::oauth) {
    if (std::optional<std::string> token = host_.secret(kOAuthTokenSecret))
      access_token_ = *token;
    if (std::optional<std::string> refresh = host_.secret(kOAuthRefreshSecret))
      refresh_token_ = *refresh;
    if (access_token_.empty() && !can_refresh()) {
      throw sdk::Error(ATSM_AUTH, std::string("Lever OAuth needs ") + kOAuthTokenSecret + ", or " +
                                      kOAuthRefreshSecret + " with " + kOAuthClientIdSecret +
                                      " and " + kOAuthClientSecretSecret +
                                      ", in the credentials file");
    }
  }
  // An API key is never read here: the host adds it to each request and, when it is missing,
  // fails the first request with ATSM_AUTH naming LEVER_API_KEY.
}

bool LeverClient::can_refresh() const {
  return !refresh_token_.empty() && host_.secret(kOAuthClientIdSecret) &&
         host_.secret(kOAuthClientSecretSecret);
}

void LeverClient::refresh_access_token() {
  if (!can_refresh())
    throw sdk::Error(ATSM_AUTH, "the Lever OAuth access token expired and no refresh token (" +
                                    std::string(kOAuthRefreshSecret) + " with client id and " +
                                    "secret) is available");
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = settings_.oauth_token_url;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.body = form_encode({{"grant_type", "refresh_token"},
                              {"client_id", *host_.secret(kOAuthClientIdSecret)},
                              {"client_secret", *host_.secret(kOAuthClientSecretSecret)},
                              {"refresh_token", refresh_token_}});
  ++calls_["oauth/token"];
  sdk::HttpResponse response = host_.http(request);
  if (response.status < 200 || response.status >= 300) {
    throw sdk::Error(ATSM_AUTH,
                     "Lever OAuth refresh failed: HTTP " + std::to_string(response.status) + " " +
                         lever_message(response.body),
                     std::to_string(response.status), {}, response.status);
  }
  boost::system::error_code error;
  json::value body = json::parse(response.body, error);
  const json::value* access =
      !error && body.is_object() ? body.as_object().if_contains("access_token") : nullptr;
  if (access == nullptr || !access->is_string() || access->as_string().empty())
    throw sdk::Error(ATSM_AUTH, "Lever OAuth refresh answered without an access_token");
  access_token_ = std::string(access->as_string());
  host_.register_secret(access_token_);
  // Rotation: every refresh returns a new refresh token and the old one stops working.
  if (const json::value* refresh = body.as_object().if_contains("refresh_token");
      refresh && refresh->is_string() && !refresh->as_string().empty()) {
    refresh_token_ = std::string(refresh->as_string());
    host_.register_secret(refresh_token_);
  }
  // Renew ahead of expiry (a quarter of the lifetime, at most five minutes), so requests
  // rarely leave with a token about to die.
  refresh_at_.reset();
  if (const json::value* expires = body.as_object().if_contains("expires_in");
      expires && expires->is_number()) {
    double seconds = expires->to_number<double>();
    double margin = std::min(300.0, seconds / 4.0);
    refresh_at_ = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<std::int64_t>((seconds - margin) * 1000));
  }
  host_.log(ATSM_LOG_INFO, "Lever OAuth access token refreshed");
}

std::string LeverClient::authorize(sdk::HttpRequest& request) {
  if (settings_.auth == AuthMode::api_key) {
    request.auth_scheme = ATSM_AUTH_BASIC_SECRET_AS_USER;
    request.auth_secret = kApiKeySecret;
    return {};
  }
  std::lock_guard lock(mutex_);
  if (access_token_.empty() ||
      (refresh_at_ && std::chrono::steady_clock::now() >= *refresh_at_ && can_refresh()))
    refresh_access_token();
  request.auth_scheme = ATSM_AUTH_NONE;
  request.headers.emplace_back("Authorization", "Bearer " + access_token_);
  return access_token_;
}

void LeverClient::count_call(const std::string& kind) {
  std::lock_guard lock(mutex_);
  ++calls_[kind];
}

sdk::HttpResponse LeverClient::send(const std::string& url, const std::string& kind,
                                    bool download) {
  host_.check_cancelled();
  for (int attempt = 0;; ++attempt) {
    sdk::HttpRequest request;
    request.url = url;
    request.bucket = kBucket;
    request.download_to_blob = download;
    request.headers.emplace_back("Accept", "application/json");
    std::string token = authorize(request);
    count_call(kind);
    sdk::HttpResponse response = host_.http(request);
    // An expired bearer token: renew it (unless a concurrent request already did) and ask again.
    // More than once, since a request can wait in the rate limiter past its token's expiry.
    if (response.status == 401 && settings_.auth == AuthMode::oauth &&
        attempt < kUnauthorizedAttempts) {
      std::lock_guard lock(mutex_);
      if (!can_refresh())
        return response;
      if (access_token_ == token)
        refresh_access_token();
      continue;
    }
    return response;
  }
}

void LeverClient::fail(const sdk::HttpResponse& response, const std::string& what) const {
  std::string message = "Lever " + what + ": HTTP " + std::to_string(response.status) + " " +
                        lever_message(response.body);
  std::string request_id = response.header("X-Request-Id").value_or("");
  atsm_status status = ATSM_PERMANENT;
  int retry_after_ms = 0;
  // A stale or foreign offset token, known by its message whatever the status (TAP saw 400,
  // docs/vendors/lever.md §2; the status is unverified): the caller restarts the list.
  if (response.body.find("Invalid offset token") != std::string::npos)
    throw InvalidOffsetToken(ATSM_INVALID, message, std::to_string(response.status), request_id,
                             response.status);
  if (response.status == 401 || response.status == 403) {
    status = ATSM_AUTH;
  } else if (response.status == 404) {
    status = ATSM_NOT_FOUND;
  } else if (response.status == 429) {
    status = ATSM_RATE_LIMITED;
    if (std::optional<std::string> retry = response.header("Retry-After")) {
      try {
        retry_after_ms = static_cast<int>(std::stod(*retry) * 1000);
      } catch (const std::exception&) {
        retry_after_ms = 0;
      }
    }
  } else if (response.status >= 500) {
    status = ATSM_RETRY;
  } else if (response.status == 400) {
    status = ATSM_INVALID;
  }
  throw sdk::Error(status, message, std::to_string(response.status), request_id, response.status,
                   retry_after_ms);
}

json::value LeverClient::get(const std::string& path, const Query& query, const std::string& what) {
  std::string url = settings_.base_url + path;
  char separator = '?';
  for (const auto& [key, value] : query) {
    url += separator + key + "=" + (key == "offset" ? value : kit::url_encode(value));
    separator = '&';
  }
  std::string kind = endpoint_kind(path);
  for (int attempt = 1;; ++attempt) {
    sdk::HttpResponse response = send(url, kind, false);
    if (response.status < 200 || response.status >= 300)
      fail(response, what);
    boost::system::error_code error;
    json::value body = json::parse(response.body, error);
    if (!error)
      return body;
    if (attempt >= kMalformedBodyAttempts)
      throw sdk::Error(ATSM_RETRY, "Lever " + what + ": the response is not valid JSON (" +
                                       error.message() + ") after " + std::to_string(attempt) +
                                       " attempts");
    host_.log(ATSM_LOG_WARN, "Lever " + what + ": malformed JSON response, asking again");
  }
}

Page LeverClient::page(const std::string& path, Query query,
                       const std::optional<std::string>& offset, const std::string& what) {
  query.emplace_back("limit", std::to_string(settings_.page_size));
  if (offset && !offset->empty())
    query.emplace_back("offset", *offset);
  // A page of the wrong shape is a vendor's bad moment, asked again like a malformed body; it
  // is never taken for a complete, empty list.
  json::value body;
  for (int attempt = 1;; ++attempt) {
    body = get(path, query, what);
    std::string wrong;
    if (!normalize_list_shape(body)) {
      wrong = "the list response is neither {data: [...]}, an array nor a single object";
    } else {
      std::size_t not_objects = 0;
      for (const json::value& item : body.as_object().at("data").as_array())
        not_objects += item.is_object() ? 0 : 1;
      if (not_objects > 0)
        wrong = "the list page holds " + std::to_string(not_objects) +
                " item(s) that are not JSON objects";
    }
    if (wrong.empty())
      break;
    if (attempt >= kMalformedBodyAttempts)
      throw sdk::Error(ATSM_RETRY, "Lever " + what + ": " + wrong + " after " +
                                       std::to_string(attempt) + " attempts");
    host_.log(ATSM_LOG_WARN, "Lever " + what + ": " + wrong + "; asking again");
  }
  Page result;
  json::object& object = body.as_object();
  result.data = std::move(object["data"].as_array());
  // The last page has hasNext false and no next; stop on either (docs/vendors/lever.md §2).
  const json::value* has_next = object.if_contains("hasNext");
  const json::value* next = object.if_contains("next");
  bool more = has_next == nullptr || !has_next->is_bool() || has_next->as_bool();
  if (more && next != nullptr && next->is_string() && !next->as_string().empty())
    result.next = std::string(next->as_string());
  return result;
}

FetchedFile LeverClient::download(const std::string& path, const std::string& what) {
  sdk::HttpResponse response = send(settings_.base_url + path, endpoint_kind(path), true);
  FetchedFile file;
  file.status = response.status;
  if (response.status >= 200 && response.status < 300) {
    file.sha256 = response.blob_sha256;
    file.size = response.blob_size;
    file.content_type = response.header("Content-Type");
    if (file.sha256.empty())
      throw sdk::Error(ATSM_INTERNAL, "Lever " + what + ": the host stored no blob for the file");
    return file;
  }
  if (response.status == 401 || response.status == 403 || response.status == 429 ||
      response.status >= 500)
    fail(response, what);
  file.error_message = lever_message(response.body);
  return file;
}

std::map<std::string, std::uint64_t> LeverClient::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::string LeverClient::calls_summary() const {
  std::lock_guard lock(mutex_);
  std::string out;
  std::uint64_t total = 0;
  for (const auto& [kind, count] : calls_) {
    out += (out.empty() ? "" : ", ") + kind + "=" + std::to_string(count);
    total += count;
  }
  return "total=" + std::to_string(total) + (out.empty() ? "" : ", " + out);
}

}  // namespace atsm::lever
