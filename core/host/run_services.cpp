#include "host/run_services.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <optional>
#include <string_view>
#include <vector>

#include "services/net/base64.hpp"
#include "services/net/log.hpp"
#include "services/store/sha256.hpp"

namespace atsm::host {
namespace {

// Error bodies (4xx/5xx) of a download are kept in memory up to this size, for the plugin to read.
constexpr size_t kErrorBodyLimit = 64 * 1024;

spdlog::level::level_enum to_spdlog(atsm_log_level level) {
  switch (level) {
    case ATSM_LOG_TRACE:
      return spdlog::level::trace;
    case ATSM_LOG_DEBUG:
      return spdlog::level::debug;
    case ATSM_LOG_INFO:
      return spdlog::level::info;
    case ATSM_LOG_WARN:
      return spdlog::level::warn;
    case ATSM_LOG_ERROR:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void SharedServices::record_bucket(const std::string& plugin, const std::string& bucket) {
  std::lock_guard lock(traffic_mutex);
  traffic_by_plugin[plugin].buckets.insert(bucket);
}

void SharedServices::record_traffic(const std::string& plugin, std::uint32_t attempts,
                                    std::chrono::milliseconds on_the_wire) {
  std::lock_guard lock(traffic_mutex);
  PluginTraffic& traffic = traffic_by_plugin[plugin];
  traffic.attempts += attempts;
  traffic.on_the_wire += on_the_wire;
}

PluginTraffic SharedServices::traffic(const std::string& plugin) const {
  std::lock_guard lock(traffic_mutex);
  auto found = traffic_by_plugin.find(plugin);
  return found == traffic_by_plugin.end() ? PluginTraffic{} : found->second;
}

std::uint32_t SharedServices::suggested_in_flight(const std::string& plugin) const {
  constexpr double kMaxInFlight = 32;
  PluginTraffic measured = traffic(plugin);
  double limit = 0;
  for (const std::string& bucket : measured.buckets)
    limit = std::max(limit, limiter.metrics(bucket).limit_per_second);
  if (measured.attempts < 20 || limit <= 0)
    return 0;
  // A worker's time per permit: its attempts on the wire and its back-off between them.
  double latency_s = std::chrono::duration<double>(measured.on_the_wire).count() /
                     static_cast<double>(measured.attempts);
  // Twice the mean, plus two: latencies spread (a slow tail) and the work between requests
  // must not leave the limiter without a request waiting, for a pace without a burst cannot
  // make up a missed slot. Waiting requests cost nothing: the limiter holds them.
  double needed = std::ceil(limit * latency_s * 2) + 2;
  return static_cast<std::uint32_t>(std::clamp(needed, 2.0, kMaxInFlight));
}

void SharedServices::fail_run(const std::string& message) {
  {
    std::lock_guard lock(traffic_mutex);
    if (!failure)
      failure = message;
  }
  cancelled = true;
}

std::optional<std::string> SharedServices::run_failure() const {
  std::lock_guard lock(traffic_mutex);
  return failure;
}

RunServices::RunServices(SharedServices& shared, std::string plugin_name)
    : shared_(shared), plugin_name_(std::move(plugin_name)) {}

void RunServices::log(atsm_log_level level, std::string_view message) {
  // The logger's sinks redact too, but a warning is also stored (the run's notices): a plugin
  // quoting a vendor's error may quote a key.
  const std::string clean = net::redact(message);
  shared_.logger->log(to_spdlog(level), "[{}] {}", plugin_name_, clean);
  if (level >= ATSM_LOG_WARN && shared_.on_warning)
    shared_.on_warning(plugin_name_, clean);
}

std::optional<std::string> RunServices::secret(const std::string& name) {
  std::optional<std::string> value = shared_.secrets.get(name);
  if (value)
    net::Redactor::instance().add_secret(*value);
  return value;
}

void RunServices::register_secret(const std::string& value) {
  net::Redactor::instance().add_secret(value);
}

void RunServices::declare_bucket(const atsm_rate_policy& policy) {
  net::BucketPolicy converted;
  if (policy.kind == ATSM_RATE_TOKEN_BUCKET) {
    if (!(policy.rate_per_second > 0) || policy.burst == 0) {
      throw Error(
          ATSM_INVALID,
          fmt::format("bucket {}: a token bucket needs a positive rate and burst", policy.bucket));
    }
    converted = net::BucketPolicy::token_bucket(policy.rate_per_second, policy.burst);
  } else if (policy.kind == ATSM_RATE_FIXED_WINDOW) {
    if (policy.limit == 0 || policy.window_ms == 0) {
      throw Error(ATSM_INVALID,
                  fmt::format("bucket {}: a fixed window needs a positive limit and window",
                              policy.bucket));
    }
    converted =
        net::BucketPolicy::fixed_window(policy.limit, std::chrono::milliseconds(policy.window_ms));
  } else {
    throw Error(ATSM_INVALID, fmt::format("bucket {}: unknown rate policy kind {}", policy.bucket,
                                          static_cast<int>(policy.kind)));
  }
  if (policy.max_concurrency > 0)
    converted.with_max_concurrency(policy.max_concurrency);
  // A 429 that gives no hint (whether Ashby sends one is unverified, docs/vendors/ashby.md §4)
  // pauses the bucket for the time two permits take at its limit, doubling with each new 429 event
  // in a row up to 60 times the 20 permits' time (60 s at the vendors' documented limits: Lever
  // 10/s, Ashby 1,000/min, Greenhouse per 30 s): a vendor's passing storm costs two permits, an
  // overloaded key backs off.
  double limit = policy.kind == ATSM_RATE_TOKEN_BUCKET
                     ? policy.rate_per_second
                     : policy.limit * 1000.0 / static_cast<double>(policy.window_ms);
  converted.backoff_initial = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::clamp(2'000.0 / limit, 1.0, 1'000.0)));
  converted.backoff_max = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::clamp(20'000.0 / limit, 50.0, 1'000.0) * 60));
  converted.max_pause = shared_.max_retry_after;
  shared_.limiter.configure(policy.bucket, converted);
  shared_.record_bucket(plugin_name_, policy.bucket);
}

std::string RunServices::authorization(const atsm_http_request& request) {
  auto required = [&](const char* name) {
    if (name == nullptr || *name == '\0')
      throw Error(ATSM_INVALID, "HTTP request names no secret for its auth scheme");
    std::optional<std::string> value = secret(name);
    if (!value) {
      throw Error(
          ATSM_AUTH,
          fmt::format("secret {} is not set: put {}=value in the file given with --credentials "
                      "(mode 0600) or set it in the environment",
                      name, name));
    }
    return *value;
  };
  std::string header;
  switch (request.auth_scheme) {
    case ATSM_AUTH_NONE:
      return {};
    case ATSM_AUTH_BASIC_SECRET_AS_USER:
      header = "Basic " + net::base64_encode(required(request.auth_secret) + ":");
      break;
    case ATSM_AUTH_BASIC_SECRET_PAIR:
      header = "Basic " + net::base64_encode(required(request.auth_secret) + ":" +
                                             required(request.auth_secret2));
      break;
    case ATSM_AUTH_BEARER_SECRET:
      header = "Bearer " + required(request.auth_secret);
      break;
    default:
      throw Error(ATSM_INVALID,
                  fmt::format("unknown auth scheme {}", static_cast<int>(request.auth_scheme)));
  }
  net::Redactor::instance().add_secret(header);
  return header;
}

bool is_read_request(const atsm_http_request& request) {
  return request.idempotent == ATSM_HTTP_READ &&
         ATSM_ABI_MAJOR(request.abi_version) == ATSM_ABI_VERSION_MAJOR &&
         ATSM_ABI_MINOR(request.abi_version) >= 3u;
}

void RunServices::http(const atsm_http_request& request, atsm_http_response_fn on_response,
                       void* context) {
  net::Request converted;
  converted.method = request.method;
  converted.url = request.url;
  for (size_t i = 0; i < request.header_count; ++i) {
    if (request.headers[i].name == nullptr || request.headers[i].value == nullptr) {
      throw Error(ATSM_INVALID, fmt::format("HTTP header {} has no name or value", i));
    }
    converted.headers.add(request.headers[i].name, request.headers[i].value);
  }
  if (std::string auth = authorization(request); !auth.empty())
    converted.headers.set("Authorization", auth);
  if (request.body != nullptr)
    converted.body.assign(request.body, request.body_size);
  for (size_t i = 0; i < request.part_count; ++i) {
    const atsm_multipart_part& part = request.parts[i];
    net::MultipartPart copy;
    copy.name = part.name ? part.name : "";
    copy.filename = part.file_name ? part.file_name : "";
    copy.content_type = part.content_type ? part.content_type : "";
    if (part.blob_sha256 != nullptr) {
      if (!shared_.blobs.contains(part.blob_sha256)) {
        throw Error(ATSM_INVALID,
                    fmt::format("multipart part '{}' names blob {} which is not stored", copy.name,
                                part.blob_sha256));
      }
      // Bytes damaged on disk since they were fetched must never reach the target as the file.
      if (!shared_.blobs.verify(part.blob_sha256)) {
        throw Error(
            ATSM_PERMANENT,
            fmt::format("multipart part '{}': the stored bytes of blob {} no longer hash to "
                        "their name (damaged on disk since they were fetched): not sent",
                        copy.name, part.blob_sha256));
      }
      copy.content = shared_.blobs.path_of(part.blob_sha256);  // streamed from disk, not loaded
    } else {
      copy.content = std::string(part.data ? part.data : "", part.data ? part.data_size : 0);
    }
    converted.multipart.push_back(std::move(copy));
  }
  if (request.bucket != nullptr && *request.bucket != '\0')
    converted.rate_limit_bucket = request.bucket;
  if (request.timeout_ms > 0)
    converted.timeouts.total = std::chrono::milliseconds(request.timeout_ms);
  converted.idempotent = request.idempotent != ATSM_HTTP_WRITE;
  converted.read_only = is_read_request(request);
  converted.cancel = &shared_.cancelled;
  // A connector asking for JSON reads the body as JSON: one that is not (an HTML error page
  // with status 200, a truncated transfer) is a transient failure, retried before it gets here.
  if (!request.download_to_blob) {
    const std::optional<std::string> accept = converted.headers.get("Accept");
    converted.expect_json = accept && accept->find("json") != std::string::npos;
  }

  // A download streams into the blob store; the writer restarts when a retry restarts the body.
  std::optional<store::BlobStore::Writer> writer;
  if (request.download_to_blob) {
    writer.emplace(shared_.blobs.writer());
    converted.download_sink = [&writer](std::string_view chunk) {
      writer->append(chunk);
      return true;
    };
    converted.download_restart = [&writer, this] { writer.emplace(shared_.blobs.writer()); };
  }

  net::Response response = shared_.http.perform(converted);
  // A worker is busy with a request on the wire and while it backs off between attempts (not
  // while its bucket holds it): under faults the in-flight advice grows by what they cost.
  shared_.record_traffic(plugin_name_, response.attempts,
                         response.on_the_wire + response.backing_off);
  const std::string endpoint = net::redact(
      fmt::format("{} {}", converted.method, converted.url.substr(0, converted.url.find('?'))));
  if (response.refused_retry_after) {
    // Waiting that long would look like a hang and may be a bogus header: the run stops,
    // whatever the plugin would make of a 429.
    const std::string message = fmt::format(
        "{} answered HTTP {} with Retry-After {} s, longer than the {} s this run waits for a "
        "vendor; the run stops here and resumes when run again",
        endpoint, response.status, response.refused_retry_after->count() / 1000,
        std::chrono::duration_cast<std::chrono::seconds>(shared_.max_retry_after).count());
    shared_.fail_run(message);
    throw Error(ATSM_CANCELLED, message, std::to_string(response.status), {},
                static_cast<int>(response.status));
  }
  if (response.cancelled)
    throw Error(ATSM_CANCELLED, shared_.run_failure().value_or("cancelled"));
  if (response.body_too_large && !response.ambiguous) {
    throw Error(ATSM_PERMANENT,
                fmt::format("{}: {} (--max-response-mb); nothing of it was used", endpoint,
                            response.transport_error),
                "response_too_large", {}, 0);
  }
  const std::string malformed =
      response.malformed_body
          ? fmt::format("HTTP {} with a body that is not JSON ({}, {} bytes)", response.status,
                        response.headers.get("Content-Type").value_or("no Content-Type"),
                        response.body.size())
          : std::string();
  if (response.ambiguous) {
    throw Error(ATSM_AMBIGUOUS,
                net::redact(fmt::format(
                    "{}: the request may have been applied ({}, after {} attempts)", endpoint,
                    !malformed.empty()                 ? malformed
                    : response.transport_error.empty() ? fmt::format("HTTP {}", response.status)
                                                       : response.transport_error,
                    response.attempts)),
                {}, {}, static_cast<int>(response.status));
  }
  if (response.malformed_body) {
    throw Error(ATSM_RETRY,
                net::redact(fmt::format("{}: {}, after {} attempts", endpoint, malformed,
                                        response.attempts)),
                "malformed_response", {}, static_cast<int>(response.status));
  }
  if (response.status == 0) {
    throw Error(ATSM_RETRY, net::redact(fmt::format("{} {}: no response after {} attempts: {}",
                                                    converted.method, converted.url,
                                                    response.attempts, response.transport_error)));
  }

  std::string blob_hex;
  uint64_t blob_size = 0;
  if (writer && response.ok()) {
    blob_size = writer->size();
    blob_hex = writer->commit();
  }
  std::vector<atsm_header> headers;
  headers.reserve(response.headers.size());
  for (const auto& [name, value] : response.headers.fields())
    headers.push_back({name.c_str(), value.c_str()});
  if (response.body.size() > kErrorBodyLimit && writer)
    response.body.resize(kErrorBodyLimit);
  // What a vendor says reaches the plugin without the run's secrets: an error that quotes the
  // key (or its Basic base64) cannot travel on into a message, a record or a file.
  response.body = net::redact_secrets(response.body);

  atsm_http_response raw{};
  raw.struct_size = sizeof raw;
  raw.abi_version = ATSM_ABI_VERSION;
  raw.status = static_cast<int32_t>(response.status);
  raw.headers = headers.data();
  raw.header_count = headers.size();
  raw.body = response.body.data();
  raw.body_size = response.body.size();
  raw.blob_sha256 = blob_hex.empty() ? nullptr : blob_hex.c_str();
  raw.blob_size = blob_size;
  raw.attempts = response.attempts;
  raw.elapsed_ms = static_cast<uint32_t>(response.elapsed.count());
  on_response(context, &raw);
}

std::string RunServices::blob_put(std::string_view bytes) {
  return shared_.blobs.put(bytes);
}

std::optional<std::string> RunServices::blob_get(const std::string& sha256_hex) {
  if (!shared_.blobs.contains(sha256_hex))
    return std::nullopt;
  std::string bytes = shared_.blobs.read(sha256_hex);
  if (store::sha256_hex(bytes) != sha256_hex) {
    throw Error(ATSM_PERMANENT,
                fmt::format("the stored bytes of blob {} no longer hash to their name (damaged on "
                            "disk since they were fetched)",
                            sha256_hex));
  }
  return bytes;
}

std::optional<std::string> RunServices::ledger_target(const std::string& kind,
                                                      const std::string& source_key) {
  if (shared_.ledger == nullptr)
    return std::nullopt;
  return shared_.ledger->target_of({shared_.ledger_scope, kind, source_key});
}

namespace {
// The ledger row of an intent: its own scope, so the run's counts and report never see it. The
// payload hash holds "<value>\x1f<attempt>": a new intent after an ended one with the same value
// is a new payload, which the ledger's done -> intent transition requires.
constexpr char kIntentSeparator = '\x1f';
}  // namespace

bool RunServices::keeps_intents() {
  return shared_.ledger != nullptr;
}

void RunServices::begin_intent(const std::string& topic, const std::string& key,
                               const std::string& value) {
  if (shared_.ledger == nullptr)
    throw Error(ATSM_NOT_FOUND, "no ledger is open to keep durable intents");
  store::LedgerKey row{shared_.ledger_scope + " intents", plugin_name_ + ":" + topic, key};
  std::optional<store::LedgerEntry> prior = shared_.ledger->get(row);
  shared_.ledger->record_intent(
      row, value + kIntentSeparator + std::to_string(prior ? prior->attempts + 1 : 1));
}

void RunServices::end_intent(const std::string& topic, const std::string& key) {
  if (shared_.ledger == nullptr)
    return;
  store::LedgerKey row{shared_.ledger_scope + " intents", plugin_name_ + ":" + topic, key};
  std::optional<store::LedgerEntry> prior = shared_.ledger->get(row);
  if (prior && prior->state == store::LedgerState::intent)
    shared_.ledger->mark_done(row, "ended");
}

std::vector<std::pair<std::string, std::string>> RunServices::open_intents(
    const std::string& topic) {
  std::vector<std::pair<std::string, std::string>> open;
  if (shared_.ledger == nullptr)
    return open;
  shared_.ledger->for_each(shared_.ledger_scope + " intents", plugin_name_ + ":" + topic,
                           store::LedgerState::intent, [&](const store::LedgerEntry& entry) {
                             const std::string& payload = entry.payload_hash;
                             open.emplace_back(entry.key.source_key,
                                               payload.substr(0, payload.rfind(kIntentSeparator)));
                           });
  return open;
}

void RunServices::progress(const std::string& kind, uint64_t done, uint64_t total) {
  if (shared_.progress)
    shared_.progress(plugin_name_, kind, done, total);
}

bool RunServices::cancelled() {
  return shared_.cancelled.load();
}

std::uint32_t RunServices::suggested_in_flight() {
  return shared_.suggested_in_flight(plugin_name_);
}

}  // namespace atsm::host
