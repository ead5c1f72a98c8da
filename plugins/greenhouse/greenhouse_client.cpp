#include "greenhouse_client.hpp"

#include <algorithm>
#include <cmath>

#include <boost/json/parse.hpp>

#include <atsmigrate/kit/url.hpp>
#include <atsmigrate/model/time.hpp>

namespace atsm::greenhouse {
namespace json = boost::json;
namespace {

// A 2xx list body that does not parse (a truncated transfer) is asked for again this often.
constexpr int kMalformedBodyAttempts = 3;
// Renew a token this long before it expires (docs/vendors/greenhouse.md §2: 60 s), or at a quarter
// of its lifetime when that is shorter, so no request leaves with a token about to die.
constexpr double kRenewMarginSeconds = 60.0;

std::int64_t now_epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::value parse_or_null(const std::string& body) {
  boost::system::error_code error;
  json::value parsed = json::parse(body, error);
  return error ? json::value(nullptr) : parsed;
}

// Greenhouse's own words for a failure: `message` plus `errors` (strings or {field: text}).
std::string greenhouse_message(const std::string& body) {
  json::value parsed = parse_or_null(body);
  if (!parsed.is_object()) {
    std::string excerpt = body.substr(0, 200);
    std::replace(excerpt.begin(), excerpt.end(), '\n', ' ');
    return excerpt;
  }
  const json::object& object = parsed.as_object();
  std::string out;
  for (const char* key : {"message", "error"})
    if (const json::value* value = object.if_contains(key); value && value->is_string()) {
      out = std::string(value->as_string());
      break;
    }
  if (const json::value* errors = object.if_contains("errors"); errors && errors->is_array()) {
    std::string details;
    for (const json::value& item : errors->as_array()) {
      std::string text;
      if (item.is_string()) {
        text = std::string(item.as_string());
      } else if (item.is_object()) {
        for (const auto& [field, value] : item.as_object())
          if (value.is_string())
            text += (text.empty() ? "" : "; ") + std::string(field) + ": " +
                    std::string(value.as_string());
      }
      if (!text.empty())
        details += (details.empty() ? "" : "; ") + text;
    }
    if (!details.empty())
      out += (out.empty() ? "" : " (") + details + (out.empty() ? "" : ")");
  }
  return out;
}

std::string request_id_of(const sdk::HttpResponse& response) {
  for (const char* name : {"X-Request-Id", "X-Amzn-RequestId"})
    if (std::optional<std::string> id = response.header(name))
      return *id;
  json::value parsed = parse_or_null(response.body);
  if (parsed.is_object())
    if (const json::value* id = parsed.as_object().if_contains("errorId"); id && id->is_string())
      return std::string(id->as_string());
  return {};
}

bool is_2xx(int status) {
  return status >= 200 && status < 300;
}

}  // namespace

std::string url_encode(const std::string& text) {
  return kit::url_encode(text, "|,");
}

std::string endpoint_kind(const std::string& url) {
  std::string path = url.substr(0, url.find('?'));
  std::size_t v3 = path.find("/v3/");
  if (v3 == std::string::npos)
    return path;
  return path.substr(v3 + 4);
}

std::optional<std::string> next_link(const std::string& header) {
  // Entries look like `<url>; rel="next"`, comma-separated; URLs hold no '>' of their own.
  std::size_t at = 0;
  while ((at = header.find('<', at)) != std::string::npos) {
    std::size_t close = header.find('>', at);
    if (close == std::string::npos)
      return std::nullopt;
    std::string url = header.substr(at + 1, close - at - 1);
    std::size_t end = header.find('<', close);
    std::string params = header.substr(close + 1, end == std::string::npos ? end : end - close - 1);
    if ((params.find("rel=\"next\"") != std::string::npos ||
         params.find("rel=next") != std::string::npos) &&
        !url.empty())
      return url;
    at = close;
  }
  return std::nullopt;
}

double token_lifetime_seconds(const json::object& token, std::int64_t now_ms) {
  if (const json::value* in = token.if_contains("expires_in")) {
    if (in->is_number())
      return in->to_number<double>();
    if (in->is_string()) {
      try {
        return std::stod(std::string(in->as_string()));
      } catch (const std::exception&) {
        // Fall through to expires_at.
      }
    }
  }
  if (const json::value* at = token.if_contains("expires_at"); at && at->is_string())
    if (std::optional<std::int64_t> ms = model::timestamp_to_epoch_millis(at->as_string()))
      return static_cast<double>(*ms - now_ms) / 1000.0;
  return 3600.0;
}

GreenhouseClient::GreenhouseClient(sdk::Host host, ClientSettings settings)
    : host_(host), settings_(std::move(settings)) {
  while (!settings_.base_url.empty() && settings_.base_url.back() == '/')
    settings_.base_url.pop_back();
}

void GreenhouseClient::mint_token() {
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = settings_.token_url;
  request.idempotent = true;  // minting twice only yields two tokens
  request.auth_scheme = ATSM_AUTH_BASIC_SECRET_PAIR;
  request.auth_secret = kClientIdSecret;
  request.auth_secret2 = kClientSecretSecret;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  request.body = "grant_type=client_credentials";
  if (!settings_.on_behalf_of.empty())
    request.body += "&sub=" + url_encode(settings_.on_behalf_of);
  ++calls_["token"];  // the caller holds mutex_
  sdk::HttpResponse response = host_.http(request);
  if (!is_2xx(response.status)) {
    // Only the OAuth error code: Greenhouse's messages echo the client id back.
    json::value parsed = parse_or_null(response.body);
    std::string code;
    if (parsed.is_object())
      if (const json::value* error = parsed.as_object().if_contains("error");
          error && error->is_string())
        code = " (" + std::string(error->as_string()) + ")";
    atsm_status status = response.status == 429   ? ATSM_RATE_LIMITED
                         : response.status >= 500 ? ATSM_RETRY
                                                  : ATSM_AUTH;
    throw sdk::Error(status,
                     "Greenhouse token request to " + settings_.token_url + ": HTTP " +
                         std::to_string(response.status) + code + "; check " + kClientIdSecret +
                         " and " + kClientSecretSecret +
                         (settings_.on_behalf_of.empty()
                              ? std::string()
                              : " and that user " + settings_.on_behalf_of + " is a Site Admin"),
                     std::to_string(response.status), request_id_of(response), response.status);
  }
  json::value body = parse_or_null(response.body);
  const json::value* access =
      body.is_object() ? body.as_object().if_contains("access_token") : nullptr;
  if (access == nullptr || !access->is_string() || access->as_string().empty())
    throw sdk::Error(ATSM_AUTH, "Greenhouse token response from " + settings_.token_url +
                                    " has no access_token");
  access_token_ = std::string(access->as_string());
  host_.register_secret(access_token_);
  double lifetime = token_lifetime_seconds(body.as_object(), now_epoch_ms());
  double margin = std::min(kRenewMarginSeconds, std::max(0.0, lifetime) / 4.0);
  renew_at_ = std::chrono::steady_clock::now() +
              std::chrono::milliseconds(static_cast<std::int64_t>((lifetime - margin) * 1000.0));
  host_.log(ATSM_LOG_DEBUG, "Greenhouse access token minted, valid for " +
                                std::to_string(static_cast<std::int64_t>(lifetime)) + " s");
}

// One mint at a time: a thread that finds the token expiring waits for the mint another began.
std::string GreenhouseClient::current_token() {
  std::lock_guard lock(mutex_);
  if (access_token_.empty() || std::chrono::steady_clock::now() >= renew_at_)
    mint_token();
  return access_token_;
}

void GreenhouseClient::count(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  ++calls_[endpoint];
}

sdk::HttpResponse GreenhouseClient::get(const std::string& url, const std::string& endpoint) {
  host_.check_cancelled();
  for (int attempt = 0;; ++attempt) {
    std::string token = current_token();
    sdk::HttpRequest request;
    request.url = url;
    request.bucket = kBucket;
    request.headers.emplace_back("Accept", "application/json");
    request.headers.emplace_back("Authorization", "Bearer " + token);
    count(endpoint);
    sdk::HttpResponse response = host_.http(request);
    // A token revoked by a newer one, or expired early: mint once and ask again (§3.1), unless
    // another request minted one meanwhile.
    if (response.status == 401 && attempt == 0) {
      std::lock_guard lock(mutex_);
      if (access_token_ == token)
        access_token_.clear();
      continue;
    }
    return response;
  }
}

void GreenhouseClient::fail(const sdk::HttpResponse& response, const std::string& what) const {
  std::string message = "Greenhouse " + what + ": HTTP " + std::to_string(response.status);
  std::string said = greenhouse_message(response.body);
  if (!said.empty())
    message += " " + said;
  atsm_status status = ATSM_PERMANENT;
  int retry_after_ms = 0;
  if (response.status == 401 || response.status == 403) {
    status = ATSM_AUTH;
    message += response.status == 403
                   ? " (every v3 list needs its harvest:<resource>:list scope and a Site Admin "
                     "acting user: config on_behalf_of)"
                   : "";
  } else if (response.status == 404) {
    status = ATSM_NOT_FOUND;
  } else if (response.status == 422) {
    status = ATSM_INVALID;
  } else if (response.status == 429) {
    status = ATSM_RATE_LIMITED;
    if (std::optional<std::string> retry = response.header("Retry-After")) {
      try {
        double seconds = std::stod(*retry);
        if (seconds > 1e9)  // older docs: an epoch timestamp
          seconds -= static_cast<double>(now_epoch_ms()) / 1000.0;
        retry_after_ms = static_cast<int>(std::clamp(seconds, 0.0, 3600.0) * 1000);
      } catch (const std::exception&) {
        retry_after_ms = 0;
      }
    }
  } else if (response.status >= 500) {
    status = ATSM_RETRY;
  }
  throw sdk::Error(status, message, std::to_string(response.status), request_id_of(response),
                   response.status, retry_after_ms);
}

Page GreenhouseClient::parse_page(const sdk::HttpResponse& response,
                                  const std::string& what) const {
  boost::system::error_code error;
  json::value body = json::parse(response.body, error);
  if (error || !body.is_array())
    throw sdk::Error(ATSM_RETRY, "Greenhouse " + what + ": the list response is not a JSON array" +
                                     (error ? " (" + error.message() + ")" : std::string()));
  std::size_t not_objects = 0;
  for (const json::value& item : body.as_array())
    not_objects += item.is_object() ? 0 : 1;
  if (not_objects > 0)
    throw sdk::Error(ATSM_RETRY, "Greenhouse " + what + ": the list page holds " +
                                     std::to_string(not_objects) +
                                     " item(s) that are not JSON objects");
  Page page;
  page.items = std::move(body.as_array());
  if (std::optional<std::string> link = response.header("Link"))
    page.next = next_link(*link);
  // The bearer token follows the link: only to the API we were configured for.
  if (page.next && page.next->rfind(settings_.base_url + "/v3/", 0) != 0)
    throw sdk::Error(ATSM_PERMANENT, "Greenhouse " + what + ": the next link " +
                                         page.next->substr(0, page.next->find('?')) +
                                         " leaves the configured base_url " + settings_.base_url);
  return page;
}

std::string GreenhouseClient::list_url(const std::string& resource, const Query& query) const {
  std::string url =
      settings_.base_url + "/v3/" + resource + "?per_page=" + std::to_string(settings_.per_page);
  for (const auto& [key, value] : query)
    url += "&" + key + "=" + url_encode(value);
  return url;
}

Page GreenhouseClient::first_page(const std::string& resource, const Query& query,
                                  const std::string& what) {
  return page_at(list_url(resource, query), what);
}

Page GreenhouseClient::page_at(const std::string& url, const std::string& what) {
  std::string endpoint = endpoint_kind(url);
  bool cursor = url.find("cursor=") != std::string::npos;
  for (int attempt = 1;; ++attempt) {
    sdk::HttpResponse response = get(url, endpoint);
    if (response.status == 422 && cursor) {
      throw CursorRejected(ATSM_INVALID,
                           "Greenhouse " + what + ": the cursor was refused (HTTP 422 " +
                               greenhouse_message(response.body) + ")",
                           "422", request_id_of(response), 422);
    }
    if (!is_2xx(response.status))
      fail(response, what);
    try {
      return parse_page(response, what);
    } catch (const sdk::Error& error) {
      if (error.status() != ATSM_RETRY || attempt >= kMalformedBodyAttempts)
        throw;
      host_.log(ATSM_LOG_WARN, std::string(error.what()) + "; asking again");
    }
  }
}

json::array GreenhouseClient::list_all(const std::string& resource, const Query& query,
                                       const std::string& what) {
  json::array all;
  Page page = first_page(resource, query, what);
  for (;;) {
    for (json::value& item : page.items)
      all.push_back(std::move(item));
    if (!page.next)
      return all;
    page = page_at(*page.next, what);
  }
}

Download GreenhouseClient::download(const std::string& url, const std::string& what) {
  host_.check_cancelled();
  sdk::HttpRequest request;
  request.url = url;
  request.download_to_blob = true;
  count("attachments/download");
  sdk::HttpResponse response = host_.http(request);
  // An attachment `url` "may be a Greenhouse redirect endpoint that issues a fresh short-lived
  // file URL per request — follow redirects" (docs/vendors/greenhouse.md §7). Followed here, a few
  // hops at most; no request to a file URL carries the API credential, so none follows a redirect.
  for (int hop = 0; hop < kMaxRedirects && is_redirect(response.status); ++hop) {
    std::optional<std::string> location = response.header("Location");
    if (!location || location->empty())
      break;
    request.url = resolve_location(request.url, *location);
    count("attachments/redirect");
    response = host_.http(request);
  }
  Download out;
  out.status = response.status;
  if (is_2xx(response.status)) {
    if (response.blob_sha256.empty())
      throw sdk::Error(ATSM_INTERNAL, "Greenhouse " + what + ": the host stored no blob");
    out.sha256 = response.blob_sha256;
    out.size = response.blob_size;
    out.content_type = response.header("Content-Type");
    return out;
  }
  if (response.status == 429 || response.status >= 500)
    fail(response, what);
  out.error_body = response.body.substr(0, 1024);
  return out;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string resolve_location(const std::string& from, const std::string& location) {
  if (location.find("://") != std::string::npos)
    return location;
  std::size_t scheme = from.find("://");
  std::size_t path = scheme == std::string::npos ? std::string::npos : from.find('/', scheme + 3);
  std::string origin = path == std::string::npos ? from : from.substr(0, path);
  if (location.rfind("//", 0) == 0)
    return from.substr(0, scheme + 1) + location;
  if (!location.empty() && location[0] == '/')
    return origin + location;
  std::string base = from.substr(0, from.find('?'));
  return base.substr(0, base.rfind('/') + 1) + location;
}

std::string GreenhouseClient::calls_summary() const {
  std::lock_guard lock(mutex_);
  std::string out;
  std::uint64_t total = 0;
  for (const auto& [kind, count] : calls_) {
    out += (out.empty() ? "" : ", ") + kind + "=" + std::to_string(count);
    total += count;
  }
  return "total=" + std::to_string(total) + (out.empty() ? "" : ", " + out);
}

}  // namespace atsm::greenhouse
