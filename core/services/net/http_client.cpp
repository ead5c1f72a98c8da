#include "services/net/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>

#include "services/net/log.hpp"
#include "services/net/retry_policy.hpp"

namespace atsm::net {
namespace {

using std::chrono::milliseconds;
using RealClock = std::chrono::steady_clock;

constexpr auto kCancelCheckInterval = milliseconds(100);

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("libcurl global initialisation failed");
    }
  });
}

std::string lowercase(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

struct UrlParts {
  std::string host;
  std::string path;
  // host:port, the port spelled out even when the scheme implies it: what the client learns of a
  // server (its latencies, its failures in a row) belongs to one listener. Two vendors on one
  // host (every emulated vendor listens on 127.0.0.1) are two servers.
  std::string server;
};

UrlParts split_url(const std::string& url) {
  UrlParts parts;
  CURLU* handle = curl_url();
  if (handle != nullptr && curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* host = nullptr;
    if (curl_url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK)
      parts.host = host;
    curl_free(host);
    char* path = nullptr;
    if (curl_url_get(handle, CURLUPART_PATH, &path, 0) == CURLUE_OK)
      parts.path = path;
    curl_free(path);
    char* port = nullptr;
    if (curl_url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
      parts.server = parts.host + ":" + port;
    curl_free(port);
  } else {
    parts.path = url.substr(0, url.find_first_of("?#"));
  }
  if (parts.server.empty())
    parts.server = parts.host;
  curl_url_cleanup(handle);
  return parts;
}

// Credentials a request carries in headers are registered with the Redactor, so that even a
// token obtained at runtime and never declared cannot reach a log in another form.
void register_header_secrets(const Headers& headers) {
  for (const auto& [name, value] : headers.fields()) {
    const std::string lower = lowercase(name);
    const bool is_credential =
        lower == "authorization" || lower == "proxy-authorization" ||
        lower.find("token") != std::string::npos || lower.find("api-key") != std::string::npos ||
        lower.find("apikey") != std::string::npos || lower.find("secret") != std::string::npos;
    if (!is_credential)
      continue;
    const std::string_view trimmed = trim(value);
    const auto space = trimmed.find(' ');
    Redactor::instance().add_secret(space == std::string_view::npos ? trimmed
                                                                    : trim(trimmed.substr(space)));
  }
}

// What an attempt's outcome allows.
enum class Verdict {
  kDone,               // success or a final answer: return it
  kRetry,              // retry (if attempts remain)
  kRetryIfIdempotent,  // the request may have been processed
};

bool not_sent_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool transient_error(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

// What an attempt's transport result and status come to (the report's attempt counts).
AttemptOutcome attempt_outcome(CURLcode code, long status, bool malformed_body) {
  if (code == CURLE_OK) {
    if (status == 429)
      return AttemptOutcome::rate_limited;
    if (status == 500 || status == 502 || status == 503 || status == 504)
      return AttemptOutcome::server_error;
    return malformed_body ? AttemptOutcome::truncated : AttemptOutcome::answered;
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return AttemptOutcome::timed_out;
    case CURLE_PARTIAL_FILE:
      return AttemptOutcome::truncated;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return AttemptOutcome::reset;
    default:
      return AttemptOutcome::other_failure;
  }
}

struct Attempt {
  const Request* request = nullptr;
  Response* response = nullptr;
  std::uint64_t max_body_bytes = 0;
  long status = 0;
  bool streaming_to_sink = false;
  bool sink_refused = false;
  bool body_too_large = false;
  std::uint64_t bytes_to_sink = 0;
  // An exception from the caller's sink must not unwind through libcurl's C frames: it is kept
  // here and rethrown once curl_easy_perform has returned.
  std::exception_ptr sink_exception;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& attempt = *static_cast<Attempt*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // Each status line starts a new response (redirects, interim 1xx): keep the last one's.
    attempt.response->headers.clear();
    attempt.response->body.clear();
    attempt.response->bytes_received = 0;
    const auto space = line.find(' ');
    attempt.status = space == std::string_view::npos ? 0 : std::atol(line.data() + space + 1);
    attempt.streaming_to_sink =
        attempt.request->download_sink && attempt.status >= 200 && attempt.status < 300;
    return size * count;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    attempt.response->headers.add(std::string(trim(line.substr(0, colon))),
                                  std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& attempt = *static_cast<Attempt*>(user);
  const std::string_view chunk(data, size * count);
  attempt.response->bytes_received += chunk.size();
  if (attempt.streaming_to_sink) {
    attempt.bytes_to_sink += chunk.size();
    bool accepted = false;
    try {
      accepted = attempt.request->download_sink(chunk);
    } catch (...) {
      attempt.sink_exception = std::current_exception();
    }
    if (!accepted) {
      attempt.sink_refused = true;
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    return chunk.size();
  }
  if (attempt.response->body.size() + chunk.size() > attempt.max_body_bytes) {
    attempt.body_too_large = true;
    attempt.response->body.clear();
    attempt.response->body.shrink_to_fit();
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  attempt.response->body.append(chunk);
  return chunk.size();
}

// Whether a body parses as JSON, without keeping the document.
bool is_json(std::string_view body) {
  boost::system::error_code error;
  boost::json::parse(body, error);
  return !error;
}

std::string without_query(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel->load() ? 1 : 0;
}

struct MimeDeleter {
  void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string lower = lowercase(host);
  if (lower == "localhost" || lower.ends_with(".localhost"))
    return true;
  in_addr v4{};
  if (inet_pton(AF_INET, lower.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, lower.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

bool Request::is_idempotent() const {
  if (read_only)
    return true;
  if (idempotent)
    return *idempotent;
  const std::string upper = [&] {
    std::string text = method;
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
  }();
  return upper == "GET" || upper == "HEAD" || upper == "PUT" || upper == "DELETE" ||
         upper == "OPTIONS";
}

namespace {

// The path with every segment that names a record (`5f2c…`, `123`, `fh_…`: longer than three
// characters, with a digit) as ":id", so metrics group per endpoint, not per record: a map keyed
// by whole paths held an entry for every record of the account (40 MB at 10,000 persons).
std::string path_template(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t slash = path.find('/', start + 1);
    std::string_view segment =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    std::string_view bare = segment.substr(segment.empty() || segment[0] != '/' ? 0 : 1);
    bool names_a_record =
        bare.size() > 3 && bare.find_first_of("0123456789") != std::string_view::npos;
    out += names_a_record ? std::string_view(segment[0] == '/' ? "/:id" : ":id") : segment;
    if (slash == std::string_view::npos)
      break;
    start = slash;
  }
  return out;
}

}  // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  Clock& clock;
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks;

  std::mutex pool_mutex;
  std::vector<CURL*> idle_handles;

  mutable std::mutex metrics_mutex;
  std::map<EndpointKey, EndpointMetrics> metrics;

  // What the client has seen of each server (host and port) lately: its latencies (the hang
  // timeout of reads, the pause before a repeat) and its failures in a row (a fault or an outage).
  struct HostHealth {
    LatencyWindow latencies;
    std::atomic<std::uint32_t> failure_streak{0};
  };
  std::mutex hosts_mutex;
  std::map<std::string, std::unique_ptr<HostHealth>, std::less<>> hosts;

  HostHealth& health(const std::string& server) {
    std::lock_guard lock(hosts_mutex);
    auto& slot = hosts[server];
    if (!slot)
      slot = std::make_unique<HostHealth>();
    return *slot;
  }

  explicit Impl(HttpClientOptions opts)
      : options(std::move(opts)), clock(options.clock ? *options.clock : steady_clock()) {
    global_init_once();
    share = curl_share_init();
    if (share == nullptr)
      throw std::runtime_error("curl_share_init failed");
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Impl::lock_share);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock_share);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }

  ~Impl() {
    for (CURL* handle : idle_handles)
      curl_easy_cleanup(handle);
    curl_share_cleanup(share);
  }

  static void lock_share(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->share_locks[static_cast<std::size_t>(data)].lock();
  }
  static void unlock_share(CURL*, curl_lock_data data, void* user) {
    static_cast<Impl*>(user)->share_locks[static_cast<std::size_t>(data)].unlock();
  }

  // A pooled handle keeps its live connection across requests (keep-alive); curl_easy_reset
  // clears options but keeps connections, DNS and TLS session caches and the share.
  CURL* take_handle() {
    {
      std::lock_guard lock(pool_mutex);
      if (!idle_handles.empty()) {
        CURL* handle = idle_handles.back();
        idle_handles.pop_back();
        return handle;
      }
    }
    CURL* handle = curl_easy_init();
    if (handle == nullptr)
      throw std::runtime_error("curl_easy_init failed");
    curl_easy_setopt(handle, CURLOPT_SHARE, share);
    return handle;
  }

  void return_handle(CURL* handle) {
    // Drops the options, which point into the finished request's buffers.
    curl_easy_reset(handle);
    {
      std::lock_guard lock(pool_mutex);
      if (idle_handles.size() < options.max_idle_handles) {
        idle_handles.push_back(handle);
        return;
      }
    }
    curl_easy_cleanup(handle);
  }

  // Sleeps on the client's clock until `deadline`; false when cancelled first.
  bool sleep_until(Clock::time_point deadline, const std::atomic<bool>* cancel) {
    for (;;) {
      if (cancel != nullptr && cancel->load())
        return false;
      const auto now = clock.now();
      if (now >= deadline)
        return true;
      clock.sleep_until(std::min(deadline, now + kCancelCheckInterval));
    }
  }

  milliseconds retry_pause(const FailedAttempt& failed) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    return retry_delay(BackoffPolicy{options.backoff_base, options.backoff_cap}, failed, random());
  }

  // What a request's attempts came to, beside its final answer (EndpointMetrics).
  struct AttemptTally {
    std::map<std::string, std::uint64_t> outcomes;
    milliseconds backing_off{0};
    milliseconds in_timed_out_attempts{0};
  };

  void record(const Request& request, const Response& response, const AttemptTally& tally) {
    const UrlParts parts = split_url(request.url);
    EndpointKey key{request.method, parts.host, path_template(parts.path)};
    std::lock_guard lock(metrics_mutex);
    auto& entry = metrics[key];
    ++entry.requests;
    entry.attempts += response.attempts;
    if (response.status == 0)
      ++entry.transport_errors;
    if (response.ambiguous)
      ++entry.ambiguous;
    ++entry.final_statuses[response.status];
    entry.total_latency += response.elapsed;
    entry.max_latency = std::max(entry.max_latency, response.elapsed);
    for (const auto& [outcome, count] : tally.outcomes)
      entry.attempt_outcomes[outcome] += count;
    entry.backing_off += tally.backing_off;
    entry.in_timed_out_attempts += tally.in_timed_out_attempts;
  }

  struct AttemptResult {
    CURLcode code = CURLE_OK;
    bool maybe_sent = true;
    std::uint64_t bytes_to_sink = 0;
    bool sink_refused = false;
    bool body_too_large = false;
  };

  AttemptResult run_attempt(const Request& request, Response& response, const UrlParts& target,
                            milliseconds timeout, std::string& transport_error);

  // What one request's attempts have used up so far (HttpClient::perform).
  struct RetryBudget {
    // A 429 is a refusal, not a failure: the server did nothing and the limiter paces the next
    // try, so refusals have a budget of their own beside max_attempts (a storm of them on a busy
    // key must not fail a read that the next second would serve).
    static constexpr std::uint32_t kMaxRefusals = 12;
    std::uint32_t max_attempts = 1;
    std::uint32_t refusals = 0;
    std::uint32_t hang_timeouts = 0;
  };

  // Throws std::invalid_argument for a request that cannot be sent as it is.
  void check_request(const Request& request, const std::string& loggable_url) const;
  // The time limit of attempt `attempt_number`.
  milliseconds attempt_timeout(const Request& request, bool may_cut_short, HostHealth& host,
                               std::uint32_t attempt_number, const RetryBudget& budget) const;
  // What an attempt's outcome allows; notes on `response` what it learned, and in `retry_after`
  // how long the server asked to wait.
  Verdict judge(const Request& request, const AttemptResult& outcome, Response& response,
                std::optional<milliseconds>& retry_after);
  // Caps a retry by the limits (Retry-After, attempts, partial downloads); says why in
  // `decision`.
  Verdict limit_retry(Verdict verdict, const Request& request, const AttemptResult& outcome,
                      std::uint32_t attempt_number, const std::optional<milliseconds>& retry_after,
                      RetryBudget& budget, Response& response, std::string& decision) const;
  // Counts an attempt's outcome for the endpoint's metrics and the host's health.
  static void count_attempt(AttemptOutcome attempt_kind, milliseconds attempt_ms, bool cut_short,
                            const Response& response, AttemptTally& tally, HostHealth& host,
                            RetryBudget& budget);
};

HttpClient::Impl::AttemptResult HttpClient::Impl::run_attempt(const Request& request,
                                                              Response& response,
                                                              const UrlParts& target,
                                                              milliseconds timeout,
                                                              std::string& transport_error) {
  CURL* easy = take_handle();
  struct HandleReturn {
    Impl& impl;
    CURL* handle;
    ~HandleReturn() { impl.return_handle(handle); }
  } handle_return{*this, easy};

  response.status = 0;
  response.headers.clear();
  response.body.clear();
  response.bytes_received = 0;
  Attempt attempt;
  attempt.request = &request;
  attempt.response = &response;
  attempt.max_body_bytes = options.max_body_bytes;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  // libcurl silently re-sends a request when a reused keep-alive connection turns out dead before
  // any response byte. For a write that dead connection may be a response lost after the server
  // committed it, so a write always goes out on a fresh connection: its loss then surfaces as
  // `ambiguous` and the ledger looks the object up instead of creating it twice.
  // It is closed afterwards, so one-shot connections do not pile up idle on the server's side.
  curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, request.is_idempotent() ? 0L : 1L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, request.is_idempotent() ? 0L : 1L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer.data());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.timeouts.connect.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT,
                   static_cast<long>(request.timeouts.low_speed_bytes_per_second));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(request.timeouts.low_speed_window.count()));
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &attempt);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &attempt);
  if (request.cancel != nullptr) {
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, request.cancel);
  }

  const bool insecure = options.allow_insecure_loopback_tls && is_loopback_host(target.host);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, insecure ? 0L : 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, insecure ? 0L : 2L);
  if (request.follow_redirects) {
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
    // Unverified TLS must not extend past loopback: then only plain-HTTP redirects are followed.
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, insecure ? "http" : "http,https");
  }

  std::unique_ptr<curl_slist, SlistDeleter> header_list;
  const auto append_header = [&](const std::string& line) {
    curl_slist* extended = curl_slist_append(header_list.get(), line.c_str());
    if (extended == nullptr)
      throw std::bad_alloc();
    (void)header_list.release();
    header_list.reset(extended);
  };
  for (const auto& [name, value] : request.headers.fields()) {
    // "Name;" is curl's way to send a header with an empty value.
    append_header(value.empty() ? name + ";" : name + ": " + value);
  }
  // No "Expect: 100-continue" round trip before bodies.
  if (!request.headers.contains("Expect"))
    append_header("Expect:");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_list.get());

  const std::string method = [&] {
    std::string upper = request.method;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return upper;
  }();
  std::unique_ptr<curl_mime, MimeDeleter> mime;
  if (!request.multipart.empty()) {
    mime.reset(curl_mime_init(easy));
    for (const auto& part : request.multipart) {
      curl_mimepart* mime_part = curl_mime_addpart(mime.get());
      curl_mime_name(mime_part, part.name.c_str());
      if (const auto* bytes = std::get_if<std::string>(&part.content)) {
        curl_mime_data(mime_part, bytes->data(), bytes->size());
      } else {
        curl_mime_filedata(mime_part, std::get<std::filesystem::path>(part.content).c_str());
      }
      if (!part.filename.empty())
        curl_mime_filename(mime_part, part.filename.c_str());
      if (!part.content_type.empty())
        curl_mime_type(mime_part, part.content_type.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_MIMEPOST, mime.get());
    if (method != "POST")
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else {
    if (method == "POST" || method == "PUT" || method == "PATCH" || !request.body.empty()) {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    }
    if (method != "POST")
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  AttemptResult result;
  result.code = curl_easy_perform(easy);
  result.bytes_to_sink = attempt.bytes_to_sink;
  result.sink_refused = attempt.sink_refused;
  result.body_too_large = attempt.body_too_large;
  if (attempt.sink_exception)
    std::rethrow_exception(attempt.sink_exception);
  if (result.code == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    response.status = status;
    transport_error.clear();
  } else {
    response.status = 0;
    transport_error =
        attempt.body_too_large
            ? fmt::format("the response body is larger than the {} MiB cap (HTTP {})",
                          options.max_body_bytes >> 20, attempt.status)
            : redact(error_buffer[0] != '\0' ? std::string(error_buffer.data())
                                             : std::string(curl_easy_strerror(result.code)));
    curl_off_t pretransfer = 0;
    long request_size = 0;
    curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_size);
    result.maybe_sent = pretransfer > 0 || request_size > 0;
  }
  return result;
}

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;

void HttpClient::Impl::count_attempt(AttemptOutcome attempt_kind, milliseconds attempt_ms,
                                     bool cut_short, const Response& response, AttemptTally& tally,
                                     HostHealth& host, RetryBudget& budget) {
  ++tally.outcomes[std::string(outcome_name(attempt_kind))];
  if (attempt_kind == AttemptOutcome::timed_out) {
    tally.in_timed_out_attempts += attempt_ms;
    budget.hang_timeouts += cut_short ? 1 : 0;
  }
  if (attempt_kind == AttemptOutcome::answered) {
    host.failure_streak = 0;
    host.latencies.add(attempt_ms);
  } else if (attempt_kind != AttemptOutcome::rate_limited && !response.cancelled) {
    ++host.failure_streak;
  }
}

void HttpClient::Impl::check_request(const Request& request,
                                     const std::string& loggable_url) const {
  if (!request.rate_limit_bucket.empty() &&
      (options.rate_limiter == nullptr ||
       !options.rate_limiter->has_bucket(request.rate_limit_bucket))) {
    throw std::invalid_argument(fmt::format("{} {}: rate limit bucket '{}' is not configured",
                                            request.method, loggable_url,
                                            request.rate_limit_bucket));
  }
  for (const auto& part : request.multipart) {
    if (const auto* path = std::get_if<std::filesystem::path>(&part.content)) {
      std::ifstream probe(*path, std::ios::binary);
      if (!probe) {
        throw std::invalid_argument(fmt::format("{} {}: multipart part '{}' cannot read file {}",
                                                request.method, loggable_url, part.name,
                                                path->string()));
      }
    }
  }
}

milliseconds HttpClient::Impl::attempt_timeout(const Request& request, bool may_cut_short,
                                               HostHealth& host, std::uint32_t attempt_number,
                                               const RetryBudget& budget) const {
  const bool last_attempt = attempt_number - budget.refusals >= budget.max_attempts;
  if (!may_cut_short || last_attempt)
    return request.timeouts.total;
  return std::min<milliseconds>(
      request.timeouts.total,
      hang_timeout(HangPolicy{}, host.latencies, true, request.timeouts.total) *
          (std::int64_t{1} << std::min<std::uint32_t>(budget.hang_timeouts, 20)));
}

Verdict HttpClient::Impl::judge(const Request& request, const AttemptResult& outcome,
                                Response& response, std::optional<milliseconds>& retry_after) {
  const bool idempotent = request.is_idempotent();
  response.malformed_body = false;
  if (outcome.body_too_large) {
    // The same request would bring the same body: refused at once, whatever the method. A
    // write the server answered was applied all the same: ambiguous, looked up before a retry.
    response.body_too_large = true;
    response.ambiguous = !idempotent && outcome.maybe_sent;
    return Verdict::kDone;
  }
  if (outcome.code == CURLE_OK) {
    const long status = response.status;
    if (const auto header = response.headers.get("Retry-After");
        header && (status == 429 || status == 503)) {
      if (const auto when = parse_retry_after(*header, clock)) {
        retry_after = std::max(milliseconds(0),
                               std::chrono::duration_cast<milliseconds>(*when - clock.now()));
      }
    }
    if (status == 429 || (status == 503 && retry_after))
      return Verdict::kRetry;  // the server refused the request unprocessed
    if (status == 500 || status == 502 || status == 503 || status == 504)
      return Verdict::kRetryIfIdempotent;
    if (request.expect_json && status >= 200 && status < 300 && outcome.bytes_to_sink == 0 &&
        !response.body.empty() && !is_json(response.body)) {
      // An HTML page from a proxy, random bytes or a truncated transfer: transient, like a 5xx
      // (a write may have been applied all the same).
      response.malformed_body = true;
      return Verdict::kRetryIfIdempotent;
    }
    return Verdict::kDone;
  }
  if (outcome.code == CURLE_ABORTED_BY_CALLBACK) {
    response.cancelled = true;
    response.ambiguous = !idempotent && outcome.maybe_sent;
    return Verdict::kDone;
  }
  if (outcome.sink_refused)
    return Verdict::kDone;
  if (not_sent_error(outcome.code) || (transient_error(outcome.code) && !outcome.maybe_sent))
    return Verdict::kRetry;
  if (transient_error(outcome.code))
    return Verdict::kRetryIfIdempotent;
  return Verdict::kDone;
}

Verdict HttpClient::Impl::limit_retry(Verdict verdict, const Request& request,
                                      const AttemptResult& outcome, std::uint32_t attempt_number,
                                      const std::optional<milliseconds>& retry_after,
                                      RetryBudget& budget, Response& response,
                                      std::string& decision) const {
  if (verdict == Verdict::kRetryIfIdempotent && !request.is_idempotent()) {
    response.ambiguous = true;
    return Verdict::kDone;
  }
  if (verdict == Verdict::kDone)
    return verdict;
  const bool refused = outcome.code == CURLE_OK && response.status == 429;
  budget.refusals += refused ? 1 : 0;
  if (retry_after && *retry_after > options.max_retry_after) {
    response.refused_retry_after = *retry_after;
    decision = fmt::format("; Retry-After {} s is beyond the {} s limit, not retrying",
                           retry_after->count() / 1000, options.max_retry_after.count() / 1000);
    return Verdict::kDone;
  }
  if (refused ? budget.refusals >= RetryBudget::kMaxRefusals
              : attempt_number - budget.refusals >= budget.max_attempts) {
    // Only not-processed outcomes reach here for a non-idempotent request: not ambiguous.
    decision = "; giving up, attempts exhausted";
    return Verdict::kDone;
  }
  if (outcome.bytes_to_sink > 0 && !request.download_restart) {
    decision = "; partial download cannot restart, not retrying";
    return Verdict::kDone;
  }
  return verdict;
}

Response HttpClient::perform(const Request& request) {
  const auto started = RealClock::now();
  const bool idempotent = request.is_idempotent();
  const UrlParts target = split_url(request.url);
  const std::string loggable_url = redact(request.url);
  register_header_secrets(request.headers);
  impl_->check_request(request, loggable_url);

  Response response;
  Impl::AttemptTally tally;
  const auto finish = [&]() -> Response {
    response.elapsed = std::chrono::duration_cast<milliseconds>(RealClock::now() - started);
    impl_->record(request, response, tally);
    return std::move(response);
  };

  Impl::RetryBudget budget;
  budget.max_attempts = std::max<std::uint32_t>(request.max_attempts, 1);
  Impl::HostHealth& host = impl_->health(target.server);
  // A read that hangs is abandoned after a few times the host's p90 and asked again, instead of
  // holding its worker for the request's whole limit; each such timeout doubles the next one,
  // and the last attempt gets the whole limit (a slow vendor is slow, not hung). Bodies streamed
  // to a sink and uploads keep their own limit: their size, not a hang, sets their time.
  // Only a read (a GET, HEAD or a request marked read_only): a POST a caller marks safe to repeat
  // (an update) may still have effects when an abandoned first copy lands after the second.
  const bool may_cut_short = may_abandon_hung_attempt(
      request.method, idempotent, request.read_only,
      static_cast<bool>(request.download_sink) || !request.multipart.empty());
  for (std::uint32_t attempt_number = 1;; ++attempt_number) {
    std::optional<Permit> permit;
    if (!request.rate_limit_bucket.empty()) {
      // A repeat goes ahead of requests that have not been tried yet.
      permit = impl_->options.rate_limiter->acquire(
          request.rate_limit_bucket, request.cancel,
          attempt_number > 1 ? RateLimiter::Turn::repeat : RateLimiter::Turn::fresh);
      if (!permit) {
        response.cancelled = true;
        response.transport_error = "cancelled while waiting for the rate limiter";
        return finish();
      }
    }
    if (request.cancel != nullptr && request.cancel->load()) {
      response.cancelled = true;
      response.transport_error = "cancelled";
      return finish();
    }

    response.attempts = attempt_number;
    const auto attempt_started = RealClock::now();
    std::string transport_error;
    const milliseconds timeout =
        impl_->attempt_timeout(request, may_cut_short, host, attempt_number, budget);
    const auto outcome = impl_->run_attempt(request, response, target, timeout, transport_error);
    response.transport_error = transport_error;
    const auto attempt_ms =
        std::chrono::duration_cast<milliseconds>(RealClock::now() - attempt_started);
    response.on_the_wire += attempt_ms;
    if (permit) {
      if (response.status != 0) {
        impl_->options.rate_limiter->observe(request.rate_limit_bucket, response.status,
                                             response.headers);
      }
      permit->release();
    }

    std::optional<milliseconds> retry_after;
    Verdict verdict = impl_->judge(request, outcome, response, retry_after);
    const AttemptOutcome attempt_kind = attempt_outcome(
        outcome.body_too_large ? CURLE_OK : outcome.code, response.status, response.malformed_body);
    Impl::count_attempt(attempt_kind, attempt_ms, timeout < request.timeouts.total, response, tally,
                        host, budget);
    std::string decision;
    verdict = impl_->limit_retry(verdict, request, outcome, attempt_number, retry_after, budget,
                                 response, decision);

    const auto delay =
        verdict == Verdict::kDone
            ? milliseconds(0)
            : impl_->retry_pause(FailedAttempt{
                  attempt_number, attempt_kind, retry_after, host.failure_streak.load(),
                  host.latencies.quantile(0.5).value_or(milliseconds(0)),
                  !request.rate_limit_bucket.empty()});
    if (verdict != Verdict::kDone)
      decision = fmt::format("; retrying in {} ms", delay.count());
    spdlog::default_logger_raw()->debug(
        "HTTP {} {} -> {} in {} ms (attempt {}/{}){}{}", request.method, loggable_url,
        response.status != 0 ? std::to_string(response.status) : response.transport_error,
        attempt_ms.count(), attempt_number, budget.max_attempts,
        response.ambiguous ? "; ambiguous" : "", decision);
    if (verdict == Verdict::kDone)
      return finish();

    if (retry_after && *retry_after > milliseconds(0) && impl_->options.on_wait) {
      // What the vendor asked for: a paced request waits it out in its bucket, not in `delay`.
      impl_->options.on_wait(WaitNotice{request.method + " " + without_query(loggable_url),
                                        request.rate_limit_bucket, std::max(delay, *retry_after),
                                        response.status});
    }
    if (outcome.bytes_to_sink > 0)
      request.download_restart();
    tally.backing_off += delay;
    response.backing_off += delay;
    if (!impl_->sleep_until(impl_->clock.now() + delay, request.cancel)) {
      response.cancelled = true;
      response.transport_error = "cancelled while backing off";
      return finish();
    }
  }
}

std::map<EndpointKey, EndpointMetrics> HttpClient::endpoint_metrics() const {
  std::lock_guard lock(impl_->metrics_mutex);
  return impl_->metrics;
}

}  // namespace atsm::net
