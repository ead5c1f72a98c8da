// The Lever Data API as the connector calls it: every request through the host (its rate-limit
// bucket "lever", retries, secrets), API-key or OAuth authentication with refresh before expiry,
// `{code, message}` errors classified into ABI statuses, lists paged with the opaque `next` token
// exactly as returned, and a count of calls per endpoint kind.
#pragma once

#include <atsmigrate/connector.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

namespace atsm::lever {

inline constexpr const char* kBucket = "lever";
inline constexpr const char* kApiKeySecret = "LEVER_API_KEY";
inline constexpr const char* kOAuthTokenSecret = "LEVER_OAUTH_TOKEN";
inline constexpr const char* kOAuthRefreshSecret = "LEVER_OAUTH_REFRESH_TOKEN";
inline constexpr const char* kOAuthClientIdSecret = "LEVER_OAUTH_CLIENT_ID";
inline constexpr const char* kOAuthClientSecretSecret = "LEVER_OAUTH_CLIENT_SECRET";

enum class AuthMode { api_key, oauth };

struct ClientSettings {
  std::string base_url = "https://api.lever.co/v1";
  std::string oauth_token_url = "https://auth.lever.co/oauth/token";
  AuthMode auth = AuthMode::api_key;
  int page_size = 100;
};

using Query = std::vector<std::pair<std::string, std::string>>;

// One page of a list: `data`, and the token of the next page (nullopt on the last page).
struct Page {
  boost::json::array data;
  std::optional<std::string> next;
};

struct FetchedFile {
  int status = 0;
  std::string sha256;
  std::uint64_t size = 0;
  std::optional<std::string> content_type;
  std::string error_message;  // Lever's message for a non-2xx answer
};

// Thrown when Lever rejects an offset token ("Invalid offset token"): the caller restarts the
// list from its first page.
class InvalidOffsetToken : public sdk::Error {
 public:
  using sdk::Error::Error;
};

// Thread-safe: get, page and download may be called concurrently.
class LeverClient {
 public:
  LeverClient(sdk::Host host, ClientSettings settings);

  // GET base_url + path?query; returns the parsed JSON body of a 2xx answer. Other statuses
  // throw sdk::Error naming `what` (401/403 auth, 404 not found, 429 rate limited, 5xx retry).
  boost::json::value get(const std::string& path, const Query& query, const std::string& what);

  // One page of a list; `offset` is the previous page's `next`, passed back verbatim.
  Page page(const std::string& path, Query query, const std::optional<std::string>& offset,
            const std::string& what);

  // Downloads into the host's blob store. Returns the status for 2xx and 4xx answers other than
  // 401/403/429 (the caller decides what a 404 or 422 means for its record); throws otherwise.
  FetchedFile download(const std::string& path, const std::string& what);

  // Calls made so far per endpoint kind ("opportunities", "notes", "resumes/download", ...).
  std::map<std::string, std::uint64_t> calls() const;
  std::string calls_summary() const;

  const ClientSettings& settings() const { return settings_; }

 private:
  sdk::HttpResponse send(const std::string& url, const std::string& endpoint_kind, bool download);
  // Adds authentication; returns the bearer token used (empty for an API key).
  std::string authorize(sdk::HttpRequest& request);
  void count_call(const std::string& kind);
  // Callers hold mutex_.
  void refresh_access_token();
  bool can_refresh() const;
  [[noreturn]] void fail(const sdk::HttpResponse& response, const std::string& what) const;

  sdk::Host host_;
  ClientSettings settings_;
  // Requests may be made from several threads at once (child sweeps run concurrently).
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> calls_;
  // OAuth state: the access token and when it must be renewed.
  std::string access_token_;
  std::optional<std::chrono::steady_clock::time_point> refresh_at_;
  std::string refresh_token_;
};

// "/opportunities/<id>/notes" -> "notes"; ".../resumes/<id>/download" -> "resumes/download".
std::string endpoint_kind(const std::string& path);

}  // namespace atsm::lever
