#include "ashby_client.hpp"

#include <chrono>
#include <set>
#include <thread>

namespace atsm::ashby {
namespace {

// Codes Ashby (and the documented limits) use for conditions that pass on their own.
const std::set<std::string, std::less<>> kTransientCodes{
    "temporarily_unavailable", "internal_server_error", "service_unavailable", "timeout",
    "request_timeout",         "server_error"};
const std::set<std::string, std::less<>> kRateLimitCodes{
    "rate_limit_exceeded", "concurrent_limit_exceeded", "rate_limited"};
const std::set<std::string, std::less<>> kAuthCodes{"missing_endpoint_permission",
                                                    "invalid_api_key", "unauthenticated",
                                                    "unauthorized", "forbidden"};

struct VendorError {
  std::string code;
  std::string message;
  std::string request_id;
};

// errorInfo first, then errors[] of strings or {message, parameter} objects (docs/vendors/ashby.md
// §2).
VendorError vendor_error(const json::value& body) {
  VendorError error;
  const json::object* object = body.if_object();
  if (object == nullptr)
    return error;
  if (const json::value* info = object->if_contains("errorInfo"); info && info->is_object()) {
    error.code = text_of(info->as_object(), "code");
    error.message = text_of(info->as_object(), "message");
    error.request_id = text_of(info->as_object(), "requestId");
  }
  if (const json::value* errors = object->if_contains("errors"); errors && errors->is_array()) {
    for (const json::value& entry : errors->as_array()) {
      std::string text;
      if (entry.is_string()) {
        text = std::string(entry.as_string());
      } else if (entry.is_object()) {
        text = text_of(entry.as_object(), "message");
        std::string parameter = text_of(entry.as_object(), "parameter");
        if (!parameter.empty())
          text += " (parameter " + parameter + ")";
      }
      if (text.empty())
        continue;
      if (error.code.empty())
        error.code = text;
      else if (error.message.empty())
        error.message = text;
      else if (error.message.find(text) == std::string::npos)
        error.message += "; " + text;
    }
  }
  return error;
}

int retry_after_ms(const sdk::HttpResponse& response) {
  if (auto value = response.header("Retry-After")) {
    try {
      return static_cast<int>(std::stod(*value) * 1000.0);
    } catch (const std::exception&) {
      return 0;  // an HTTP date: let the host's own backoff decide
    }
  }
  return 0;
}

std::string describe(const std::string& method, const VendorError& error) {
  std::string text = "Ashby " + method + " failed";
  if (!error.code.empty())
    text += ": " + error.code;
  if (!error.message.empty())
    text += " (" + error.message + ")";
  if (!error.request_id.empty())
    text += ", request id " + error.request_id;
  return text;
}

}  // namespace

std::string text_of(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

json::object classify_response(const sdk::HttpResponse& response, const std::string& method,
                               CallKind kind) {
  const bool create = kind == CallKind::create;
  json::value body;
  bool parsed = false;
  if (!response.body.empty()) {
    boost::system::error_code ec;
    body = json::parse(response.body, ec);
    parsed = !ec;
  }
  VendorError error = parsed ? vendor_error(body) : VendorError{};
  const int status = response.status;
  if (status == 401 || status == 403) {
    if (error.code.empty())
      error.code = "http_" + std::to_string(status);
    throw sdk::Error(ATSM_AUTH,
                     describe(method, error) + ": HTTP " + std::to_string(status) +
                         (status == 401 ? ", the ASHBY_API_KEY secret is missing"
                                        : ", the key is wrong, deactivated or lacks a permission"),
                     error.code, error.request_id, status);
  }
  if (status == 429) {
    if (error.code.empty())
      error.code = "rate_limit_exceeded";
    throw sdk::Error(ATSM_RATE_LIMITED, describe(method, error) + ": HTTP 429", error.code,
                     error.request_id, status, retry_after_ms(response));
  }
  if (status >= 500) {
    if (error.code.empty())
      error.code = "http_" + std::to_string(status);
    // A create answered with a server error may still have been applied.
    throw sdk::Error(create ? ATSM_AMBIGUOUS : ATSM_RETRY,
                     describe(method, error) + ": HTTP " + std::to_string(status), error.code,
                     error.request_id, status);
  }
  if (status != 200) {
    if (error.code.empty())
      error.code = "http_" + std::to_string(status);
    throw sdk::Error(ATSM_PERMANENT, describe(method, error) + ": HTTP " + std::to_string(status),
                     error.code, error.request_id, status);
  }
  const json::object* envelope = parsed ? body.if_object() : nullptr;
  const json::value* success = envelope ? envelope->if_contains("success") : nullptr;
  if (success == nullptr || !success->is_bool()) {
    // HTTP 200 without a readable envelope (truncated, empty, not JSON): the call may have been
    // applied, so a create is ambiguous and anything else is worth one more try.
    std::string what = response.body.empty() ? "an empty body"
                       : !parsed             ? "a body that is not JSON"
                                             : "a body without a boolean 'success'";
    throw sdk::Error(create ? ATSM_AMBIGUOUS : ATSM_RETRY,
                     "Ashby " + method + " answered HTTP 200 with " + what, "malformed_response",
                     "", status);
  }
  if (success->as_bool())
    return *envelope;
  if (error.code.empty())
    error.code = "unknown_error";
  atsm_status classified = ATSM_PERMANENT;
  if (kTransientCodes.count(error.code) > 0)
    classified = ATSM_RETRY;  // not applied: Ashby said so
  else if (kRateLimitCodes.count(error.code) > 0)
    classified = ATSM_RATE_LIMITED;
  else if (kAuthCodes.count(error.code) > 0)
    classified = ATSM_AUTH;
  else if (error.code == "invalid_input")
    classified = ATSM_INVALID;
  throw sdk::Error(classified, describe(method, error), error.code, error.request_id, status,
                   classified == ATSM_RATE_LIMITED ? retry_after_ms(response) : 0);
}

Client::Client(sdk::Host host, std::string base_url) : host_(host), base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/')
    base_url_.pop_back();
}

sdk::HttpResponse Client::send(const sdk::HttpRequest& request, const std::string& method) const {
  try {
    return host_.http(request);
  } catch (const sdk::Error& error) {
    throw sdk::Error(error.status(), "Ashby " + method + ": " + error.what(), error.vendor_code(),
                     error.vendor_request_id(), error.http_status(), error.retry_after_ms());
  }
}

json::object Client::call(const std::string& method, const json::object& body,
                          CallKind kind) const {
  host_.check_cancelled();
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = base_url_ + "/" + method;
  request.headers = {{"Content-Type", "application/json"},
                     {"Accept", "application/json; version=1"}};
  request.body = json::serialize(body);
  request.bucket = kBucket;
  request.auth_scheme = ATSM_AUTH_BASIC_SECRET_AS_USER;
  request.auth_secret = kApiKeySecret;
  request.idempotent = kind != CallKind::create;
  // A read (`*.list`, `*.info`, `*.search`) changes nothing at Ashby: the host may abandon one that
  // hangs and ask again. A write is waited out, even a repeatable one (see CallKind).
  request.read = kind == CallKind::read;
  // Ashby's transient business errors (HTTP 200, success:false, "retry later") say the call was
  // not applied: it is sent again at once, through the host's limiter, a few times before the
  // item's attempt fails over it (even a create: nothing was made).
  constexpr int kTransientAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    sdk::HttpResponse response = send(request, method);
    try {
      return classify_response(response, method, kind);
    } catch (const sdk::Error& error) {
      if (error.status() != ATSM_RETRY || attempt == kTransientAttempts)
        throw;
      host_.check_cancelled();
    }
  }
}

json::value Client::results(const std::string& method, const json::object& body,
                            CallKind kind) const {
  json::object envelope = call(method, body, kind);
  json::value* results = envelope.if_contains("results");
  if (results == nullptr) {
    throw sdk::Error(kind == CallKind::create ? ATSM_AMBIGUOUS : ATSM_RETRY,
                     "Ashby " + method + " answered success without 'results'",
                     "malformed_response");
  }
  return std::move(*results);
}

std::vector<json::object> Client::list_all(const std::string& method, json::object body) const {
  std::vector<json::object> items;
  for_each_listed(method, std::move(body),
                  [&](const json::object& item) { items.push_back(item); });
  return items;
}

void Client::for_each_listed(const std::string& method, json::object body,
                             const std::function<void(const json::object&)>& visit) const {
  // Only the lists whose request schema takes `limit` get one (Ashby's OpenAPI document,
  // sandbox/validator/ashby-api-openapi.extract.json: archiveReason.list, source.list,
  // interviewStage.list and location.list take none, location.list's schema forbids extra
  // properties).
  static const std::set<std::string, std::less<>> kWithoutLimit{
      "archiveReason.list", "source.list", "interviewStage.list", "location.list"};
  if (kWithoutLimit.count(method) == 0)
    body["limit"] = 100;
  for (;;) {
    json::object page = call(method, body, CallKind::read);
    const json::value* results = page.if_contains("results");
    if (results == nullptr || !results->is_array())
      throw sdk::Error(ATSM_RETRY, "Ashby " + method + " answered without a results array",
                       "malformed_response");
    for (const json::value& item : results->as_array())
      if (item.is_object())
        visit(item.as_object());
    const json::value* more = page.if_contains("moreDataAvailable");
    std::string cursor = text_of(page, "nextCursor");
    if (more == nullptr || !more->is_bool() || !more->as_bool() || cursor.empty())
      return;
    body["cursor"] = cursor;
  }
}

json::object Client::upload_multipart(const std::string& method, const std::string& candidate_id,
                                      const std::string& part_name, const std::string& file_name,
                                      const std::string& content_type,
                                      const std::string& blob_sha256) const {
  host_.check_cancelled();
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = base_url_ + "/" + method;
  request.headers = {{"Accept", "application/json; version=1"}};
  request.parts.push_back({"candidateId", "", "", candidate_id, ""});
  request.parts.push_back({part_name, file_name, content_type, "", blob_sha256});
  request.bucket = kBucket;
  request.auth_scheme = ATSM_AUTH_BASIC_SECRET_AS_USER;
  request.auth_secret = kApiKeySecret;
  request.idempotent = false;
  sdk::HttpResponse response = send(request, method);
  json::object envelope = classify_response(response, method, CallKind::create);
  json::value* results = envelope.if_contains("results");
  if (results == nullptr || !results->is_object())
    throw sdk::Error(ATSM_AMBIGUOUS, "Ashby " + method + " answered success without a candidate",
                     "malformed_response");
  return results->as_object();
}

void Client::post_presigned(const std::string& url, const json::object& fields,
                            const std::string& file_name, const std::string& content_type,
                            const std::string& blob_sha256) const {
  host_.check_cancelled();
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = url;
  for (const auto& [name, value] : fields) {
    request.parts.push_back(
        {std::string(name), "", "",
         value.is_string() ? std::string(value.as_string()) : json::serialize(value), ""});
  }
  request.parts.push_back({"file", file_name, content_type, "", blob_sha256});
  // The presigned target is storage, not the API: no key, no API bucket.
  request.idempotent = true;
  sdk::HttpResponse response;
  try {
    response = host_.http(request);
  } catch (const sdk::Error& error) {
    throw sdk::Error(error.status(), "upload of " + file_name + ": " + error.what(),
                     error.vendor_code(), error.vendor_request_id(), error.http_status(),
                     error.retry_after_ms());
  }
  if (response.status < 200 || response.status >= 300) {
    throw sdk::Error(response.status >= 500 ? ATSM_RETRY : ATSM_PERMANENT,
                     "upload of " + file_name + " to the presigned URL answered HTTP " +
                         std::to_string(response.status),
                     "http_" + std::to_string(response.status), "", response.status);
  }
}

std::string Client::download_sha256(const std::string& file_handle) const {
  // The presigned URL is read and used in one step, and a refused or failed download is tried
  // again with a fresh URL after a growing pause: an expired URL (a slow queue), a storage 403 or
  // 5xx, a timeout may all pass. What still fails is ATSM_RETRY with storage's answer: the
  // caller reports it as not read now, never as a file that differs.
  constexpr int kAttempts = 3;
  std::string failure;
  int failed_status = 0;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(200 << (attempt - 1)));
    json::value info =
        results("file.info", json::object{{"fileHandle", file_handle}}, CallKind::read);
    std::string url = info.is_object() ? text_of(info.as_object(), "url") : "";
    if (url.empty())
      throw sdk::Error(ATSM_AMBIGUOUS, "file.info answered no url for a file handle",
                       "malformed_response");
    host_.check_cancelled();
    sdk::HttpRequest request;
    request.url = url;  // presigned storage: no key, no API bucket
    request.download_to_blob = true;
    try {
      sdk::HttpResponse response = host_.http(request);
      if (response.status == 200)
        return response.blob_sha256;
      failed_status = response.status;
      failure = "answered HTTP " + std::to_string(response.status);
      if (!response.body.empty())
        failure += " (" + response.body.substr(0, 200) + ")";
    } catch (const sdk::Error& error) {
      if (error.status() != ATSM_RETRY && error.status() != ATSM_RATE_LIMITED)
        throw;
      failed_status = error.http_status();
      failure = error.what();
    }
  }
  throw sdk::Error(ATSM_RETRY,
                   "download of a file through file.info " + failure + " (tried " +
                       std::to_string(kAttempts) + " times, each with a fresh URL)",
                   "http_" + std::to_string(failed_status), "", failed_status);
}

}  // namespace atsm::ashby
