// Greenhouse Harvest v3 as the connector calls it (docs/vendors/greenhouse.md §2-§5, §7): every
// request through the host (bucket "greenhouse", retries, secrets), OAuth client credentials with
// the token renewed before it expires, bare-array lists followed only through their
// `Link: rel="next"` cursor, statuses classified into ABI statuses, signed attachment URLs
// downloaded straight into the blob store, and a count of calls per endpoint kind.
#pragma once

#include <atsmigrate/connector.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>

namespace atsm::greenhouse {

inline constexpr const char* kBucket = "greenhouse";
inline constexpr const char* kClientIdSecret = "GREENHOUSE_CLIENT_ID";
inline constexpr const char* kClientSecretSecret = "GREENHOUSE_CLIENT_SECRET";

struct ClientSettings {
  std::string base_url = "https://harvest.greenhouse.io";
  std::string token_url = "https://auth.greenhouse.io/token";
  // The acting Site Admin user (the token's `sub`); empty: the credential's service user.
  std::string on_behalf_of;
  int per_page = 500;
};

using Query = std::vector<std::pair<std::string, std::string>>;

// One page of a list and the absolute URL of the next one (nullopt on the last page).
struct Page {
  boost::json::array items;
  std::optional<std::string> next;
};

// The outcome of downloading a signed attachment URL.
struct Download {
  int status = 0;
  std::string sha256;  // empty unless the bytes were stored
  std::uint64_t size = 0;
  std::optional<std::string> content_type;
  std::string error_body;  // the file host's answer to a failed download (first 1 KB)
};

// Thrown when Greenhouse refuses a saved cursor (422: expired or forged): the caller restarts
// the list from its first page.
class CursorRejected : public sdk::Error {
 public:
  using sdk::Error::Error;
};

class GreenhouseClient {
 public:
  // No I/O. The client secrets stay with the host (it builds the token request's Basic header
  // from their names); a missing one fails the first request with ATSM_AUTH naming it.
  GreenhouseClient(sdk::Host host, ClientSettings settings);

  // The first page of /v3/<resource> with `query` (per_page is added), or the page at `url` (a
  // `next` link, which may carry no other parameter). `what` names the list in errors.
  Page first_page(const std::string& resource, const Query& query, const std::string& what);
  Page page_at(const std::string& url, const std::string& what);

  // Every item of /v3/<resource> with `query`, all pages.
  boost::json::array list_all(const std::string& resource, const Query& query,
                              const std::string& what);

  // GETs a signed file URL (no Authorization header: it goes to the file host) into the blob
  // store. Returns 2xx and 4xx answers for the caller to judge; throws for the rest.
  Download download(const std::string& url, const std::string& what);

  // The URL of /v3/<resource>?query (per_page included), as first_page requests it.
  std::string list_url(const std::string& resource, const Query& query) const;

  // Calls per endpoint kind ("candidates", "token", "attachments/download", ...), as text.
  std::string calls_summary() const;
  const ClientSettings& settings() const { return settings_; }

 private:
  sdk::HttpResponse get(const std::string& url, const std::string& endpoint);
  Page parse_page(const sdk::HttpResponse& response, const std::string& what) const;
  std::string current_token();
  void mint_token();  // under mutex_
  void count(const std::string& endpoint);
  [[noreturn]] void fail(const sdk::HttpResponse& response, const std::string& what) const;

  sdk::Host host_;
  ClientSettings settings_;
  // Guards the members below: attachments download on several threads at once.
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> calls_;
  std::string access_token_;
  std::chrono::steady_clock::time_point renew_at_{};
};

// Redirect hops followed for one file download.
inline constexpr int kMaxRedirects = 5;
// 301, 302, 303, 307 or 308.
bool is_redirect(int status);
// The absolute URL a `Location` header names, relative to the URL that answered it.
std::string resolve_location(const std::string& from, const std::string& location);

// The endpoint kind of a v3 URL or path: ".../v3/candidates?cursor=..." -> "candidates".
std::string endpoint_kind(const std::string& url);
// The URL of rel="next" in a Link header value; nullopt when absent or empty.
std::optional<std::string> next_link(const std::string& link_header);
// Percent-encodes a query value with the kit (RFC 3986 unreserved characters stay), keeping '|'
// and ',' as Greenhouse's own request builder sends them (`updated_at=gte|…`, `ids=1,2`).
std::string url_encode(const std::string& text);
// Seconds until a token expires from a token response: expires_in, else expires_at against
// `now_epoch_ms`, else 3600 (docs/vendors/greenhouse.md §2).
double token_lifetime_seconds(const boost::json::object& token_response, std::int64_t now_epoch_ms);

}  // namespace atsm::greenhouse
