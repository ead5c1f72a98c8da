#pragma once
// HTTP client on libcurl shared by every worker and plugin of a run: thread-safe, many requests
// in flight at once (each on a pooled easy handle that keeps its connection alive), paced by the
// shared RateLimiter, retried with bounded exponential backoff and full jitter.
//
// Exactly-once on APIs without idempotency keys: a non-idempotent request (a POST that creates)
// is retried only when the server provably did not process it (429; connection refused, could
// not connect, DNS failure, or a failure before the request was sent; 503 with Retry-After). A
// reset, timeout or 5xx after the request went out comes back with `ambiguous` set: the write
// may or may not have happened. The caller's ledger keeps its `intent` row and looks the object
// up (the sink's `find`) before retrying, instead of risking a duplicate.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "services/net/clock.hpp"
#include "services/net/headers.hpp"
#include "services/net/rate_limiter.hpp"

namespace atsm::net {

// One part of a multipart/form-data body. A part with a filename is a file part.
struct MultipartPart {
  std::string name;
  std::string filename;      // empty: a plain field
  std::string content_type;  // empty: curl's default for the part
  // The part's bytes, or a file streamed from disk when the request is sent.
  std::variant<std::string, std::filesystem::path> content;
};

struct Timeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds total{300'000};  // whole attempt, including the body transfer
  // An attempt slower than low_speed_bytes_per_second for low_speed_window is abandoned.
  std::uint32_t low_speed_bytes_per_second = 1;
  std::chrono::seconds low_speed_window{60};
};

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::vector<MultipartPart> multipart;  // when non-empty, sent instead of body
  std::string rate_limit_bucket;         // empty: not paced
  Timeouts timeouts;
  bool follow_redirects = false;
  std::uint32_t max_attempts = 4;
  // Safe to repeat. Unset: true for GET, HEAD, PUT, DELETE, OPTIONS; false otherwise (POST).
  std::optional<bool> idempotent;
  // A read with no effect at the vendor whatever the method (a POST search): safe to repeat, and
  // an attempt that hangs is abandoned and sent again like a GET's (may_abandon_hung_attempt).
  bool read_only = false;
  // When set, a 2xx body is streamed here chunk by chunk instead of being kept in
  // Response::body (large files go to the blob store without sitting in memory). Return false to
  // abort the transfer; an exception it throws aborts it too and leaves perform(). Non-2xx
  // bodies still land in Response::body for diagnostics.
  std::function<bool(std::string_view chunk)> download_sink;
  // Called before a retry when the sink already received part of a body, so it can start over.
  // Without it, a download that fails midway is not retried.
  std::function<void()> download_restart;
  // Checked before each attempt, while waiting and during the transfer.
  const std::atomic<bool>* cancel = nullptr;
  // The caller reads a 2xx body as JSON: one that does not parse (an HTML page from a proxy,
  // random bytes, a truncated transfer) is retried like a 5xx, then returned with
  // Response::malformed_body set. An empty body is not checked (204, an empty 200).
  bool expect_json = false;

  bool is_idempotent() const;
};

struct Response {
  long status = 0;  // 0 when no HTTP response arrived
  Headers headers;
  std::string body;
  std::uint32_t attempts = 0;
  std::chrono::milliseconds elapsed{0};      // from the call to the answer, limiter waits included
  std::chrono::milliseconds on_the_wire{0};  // the attempts alone: what the server's latency costs
  // Slept between attempts (a fault's short pause, an unpaced Retry-After): time the requesting
  // worker spent on this request besides the wire, and besides waiting for its bucket.
  std::chrono::milliseconds backing_off{0};
  std::string transport_error;  // last attempt's transport failure; empty when a response came
  bool ambiguous = false;       // a non-idempotent request may have been processed: look it up
  bool cancelled = false;
  std::uint64_t bytes_received = 0;  // body bytes of the final attempt, sink or not
  // The body kept in memory went past HttpClientOptions::max_body_bytes: the transfer was cut
  // (body empty, transport_error says so) and not retried.
  bool body_too_large = false;
  // A 2xx body that should be JSON was not, on every attempt (Request::expect_json).
  bool malformed_body = false;
  // The server asked for a pause (Retry-After on a 429/503) longer than max_retry_after, so the
  // request was not retried: what it asked for (clamped to a representable delay).
  std::optional<std::chrono::milliseconds> refused_retry_after;

  bool ok() const noexcept { return transport_error.empty() && status >= 200 && status < 300; }
};

struct EndpointKey {
  std::string method;
  std::string host;
  std::string path;  // without query string; record ids as ":id" (/v1/opportunities/:id/notes)
  auto operator<=>(const EndpointKey&) const = default;
};

struct EndpointMetrics {
  std::uint64_t requests = 0;
  std::uint64_t attempts = 0;
  std::uint64_t transport_errors = 0;  // requests that ended without a response
  std::uint64_t ambiguous = 0;
  std::map<long, std::uint64_t> final_statuses;
  std::chrono::milliseconds total_latency{0};
  std::chrono::milliseconds max_latency{0};
  // Every attempt by what came of it, and where the requesting threads waited besides the
  // limiter: what a fault costs (bench/faults).
  std::map<std::string, std::uint64_t> attempt_outcomes;  // AttemptOutcome names
  std::chrono::milliseconds backing_off{0};               // sleeping between attempts
  std::chrono::milliseconds in_timed_out_attempts{0};     // attempts that ended in a timeout
};

// A wait the server imposed (Retry-After), for a progress line to say what the run waits for.
struct WaitNotice {
  std::string endpoint;  // "GET https://api.lever.co/v1/opportunities" (no query, redacted)
  std::string bucket;    // the rate-limit bucket, empty when not paced
  std::chrono::milliseconds delay{0};
  long status = 0;  // 429 or 503
};

struct HttpClientOptions {
  // TLS is always verified, except for loopback hosts (127.0.0.0/8, ::1, localhost) when this
  // is set: the sandbox serves self-signed certificates there.
  bool allow_insecure_loopback_tls = false;
  std::chrono::milliseconds backoff_base{250};
  std::chrono::milliseconds backoff_cap{30'000};
  // A Retry-After longer than this is not waited for: the response goes back to the caller with
  // refused_retry_after set.
  std::chrono::milliseconds max_retry_after{300'000};
  // Largest body kept in memory (a streamed download is not bounded by it): a vendor answering
  // hundreds of megabytes must not take the process's memory with it.
  std::uint64_t max_body_bytes = 32ull << 20;
  // Called (from the requesting thread) before a request waits out a server's Retry-After.
  std::function<void(const WaitNotice&)> on_wait;
  std::string user_agent = "atsmigrate/0.1";
  std::size_t max_idle_handles = 64;
  RateLimiter* rate_limiter = nullptr;  // required when requests name a bucket
  Clock* clock = nullptr;               // backoff sleeps; default the real clock
};

// Thread-safe: perform() may be called from any number of threads at once. The client (and the
// RateLimiter it names) must outlive every perform() call.
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Never throws for HTTP or transport failures (they are in the Response); throws
  // std::invalid_argument for an unusable request (unknown bucket, unreadable multipart file).
  Response perform(const Request& request);

  std::map<EndpointKey, EndpointMetrics> endpoint_metrics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for 127.0.0.0/8, ::1 (with or without brackets) and "localhost".
bool is_loopback_host(std::string_view host);

}  // namespace atsm::net
