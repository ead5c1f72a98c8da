// Header-only C++20 helpers over the connector C ABI (connector.h, which remains the spec).
//
// Write one class per connector that derives from atsm::sdk::Source, atsm::sdk::Sink or both,
// constructible from (atsm::sdk::Host, std::string_view config_json), then generate the C tables:
//
//   struct MySource : atsm::sdk::Source {
//     MySource(atsm::sdk::Host host, std::string_view config_json);
//     void read(const std::string& kind, const std::string& checkpoint,
//               atsm::sdk::Emitter& emitter) override;
//   };
//   ATSM_DEFINE_CONNECTOR(MySource, (atsm::sdk::ConnectorInfo{.name = "my", ...}))
//
// Exceptions never leave the library: the generated trampolines catch them and turn them into
// statuses (atsm::sdk::Error carries its own; anything else is ATSM_INTERNAL). Only the standard
// library is used, so the helper adds no dependency to a connector.
#ifndef ATSMIGRATE_CONNECTOR_HPP
#define ATSMIGRATE_CONNECTOR_HPP

#include <atsmigrate/connector.h>

#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace atsm::sdk {

// A failure with the status the host should see. Throw it from any connector method.
class Error : public std::runtime_error {
 public:
  Error(atsm_status status, const std::string& message, std::string vendor_code = {},
        std::string vendor_request_id = {}, int http_status = 0, int retry_after_ms = 0)
      : std::runtime_error(message),
        status_(status),
        vendor_code_(std::move(vendor_code)),
        vendor_request_id_(std::move(vendor_request_id)),
        http_status_(http_status),
        retry_after_ms_(retry_after_ms) {}

  // Rebuilds an Error from what a callee filled in.
  Error(atsm_status status, const atsm_error& error)
      : Error(status, error.message, error.vendor_code, error.vendor_request_id, error.http_status,
              error.retry_after_ms) {}

  atsm_status status() const noexcept { return status_; }
  const std::string& vendor_code() const noexcept { return vendor_code_; }
  const std::string& vendor_request_id() const noexcept { return vendor_request_id_; }
  int http_status() const noexcept { return http_status_; }
  int retry_after_ms() const noexcept { return retry_after_ms_; }

  void fill(atsm_error* error) const noexcept {
    if (error == nullptr)
      return;
    atsm_copy_text(error->message, sizeof error->message, what());
    atsm_copy_text(error->vendor_code, sizeof error->vendor_code, vendor_code_.c_str());
    atsm_copy_text(error->vendor_request_id, sizeof error->vendor_request_id,
                   vendor_request_id_.c_str());
    error->http_status = http_status_;
    error->retry_after_ms = retry_after_ms_;
  }

 private:
  atsm_status status_;
  std::string vendor_code_;
  std::string vendor_request_id_;
  int http_status_;
  int retry_after_ms_;
};

namespace detail {

inline atsm_status append_to_string(void* context, const char* data, size_t size) {
  try {
    static_cast<std::string*>(context)->append(data, size);
    return ATSM_OK;
  } catch (...) {
    return ATSM_INTERNAL;
  }
}

inline atsm_output string_output(std::string& target) {
  return {&target, &append_to_string};
}

inline atsm_error fresh_error() {
  atsm_error error;
  atsm_error_init(&error);
  return error;
}

// Writes all of `text` through a caller's output, turning a refusal into an Error.
inline void write_all(const atsm_output* out, std::string_view text) {
  atsm_status status = out->write(out->context, text.data(), text.size());
  if (status != ATSM_OK)
    throw Error(status, "the host refused the output");
}

// Runs `body`, converting any exception into a status and an error description.
template <class Body>
atsm_status guarded(atsm_error* error, Body&& body) noexcept {
  try {
    body();
    return ATSM_OK;
  } catch (const Error& failure) {
    failure.fill(error);
    return failure.status();
  } catch (const std::bad_alloc&) {
    return atsm_fail(error, ATSM_INTERNAL, "out of memory");
  } catch (const std::exception& failure) {
    return atsm_fail(error, ATSM_INTERNAL, failure.what());
  } catch (...) {
    return atsm_fail(error, ATSM_INTERNAL, "unknown exception inside the connector");
  }
}

}  // namespace detail

struct HttpPart {
  std::string name;
  std::string file_name;     // empty for a plain field
  std::string content_type;  // empty for the default
  std::string data;
  std::string blob_sha256;  // when set, the bytes come from this blob and `data` is ignored
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<HttpPart> parts;
  std::string bucket;
  atsm_auth_scheme auth_scheme = ATSM_AUTH_NONE;
  std::string auth_secret;
  std::string auth_secret2;
  uint32_t timeout_ms = 0;
  std::optional<bool> idempotent;  // default: true for GET/HEAD, false otherwise
  // [since 1.3] A read, with no effect at the vendor whatever the method (a POST search): sent as
  // ATSM_HTTP_READ, so the host may abandon an attempt that hangs and send it again. Implies
  // idempotent.
  bool read = false;
  bool download_to_blob = false;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string blob_sha256;
  uint64_t blob_size = 0;
  uint32_t attempts = 0;
  uint32_t elapsed_ms = 0;

  // The first header of that name (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key.size() != name.size())
        continue;
      bool same = true;
      for (size_t i = 0; i < key.size() && same; ++i) {
        same = ascii_lower(key[i]) == ascii_lower(name[i]);
      }
      if (same)
        return value;
    }
    return std::nullopt;
  }

 private:
  static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }
};

// The host's services, as lent to one connector instance. Cheap to copy.
class Host {
 public:
  explicit Host(const atsm_host_services* services) : services_(services) {}

  void log(atsm_log_level level, const std::string& message) const {
    services_->log(services_->host, level, message.c_str());
  }

  // The named secret, or nullopt when the user has not provided it.
  std::optional<std::string> secret(const std::string& name) const {
    std::string value;
    atsm_output out = detail::string_output(value);
    atsm_error error = detail::fresh_error();
    atsm_status status = services_->get_secret(services_->host, name.c_str(), &out, &error);
    if (status == ATSM_NOT_FOUND)
      return std::nullopt;
    if (status != ATSM_OK)
      throw Error(status, error);
    return value;
  }

  void register_secret(const std::string& value) const {
    services_->register_secret(services_->host, value.c_str());
  }

  void declare_token_bucket(const std::string& bucket, double rate_per_second, uint32_t burst,
                            uint32_t max_concurrency = 0) const {
    atsm_rate_policy policy{};
    policy.struct_size = sizeof policy;
    policy.abi_version = ATSM_ABI_VERSION;
    policy.bucket = bucket.c_str();
    policy.kind = ATSM_RATE_TOKEN_BUCKET;
    policy.rate_per_second = rate_per_second;
    policy.burst = burst;
    policy.max_concurrency = max_concurrency;
    declare(policy);
  }

  void declare_fixed_window(const std::string& bucket, uint32_t limit, uint32_t window_ms,
                            uint32_t max_concurrency = 0) const {
    atsm_rate_policy policy{};
    policy.struct_size = sizeof policy;
    policy.abi_version = ATSM_ABI_VERSION;
    policy.bucket = bucket.c_str();
    policy.kind = ATSM_RATE_FIXED_WINDOW;
    policy.limit = limit;
    policy.window_ms = window_ms;
    policy.max_concurrency = max_concurrency;
    declare(policy);
  }

  // Performs a request; throws Error when no response arrived (retries exhausted, ambiguous
  // write, cancellation). Any HTTP status is returned for the connector to classify.
  HttpResponse http(const HttpRequest& request) const {
    std::vector<atsm_header> headers;
    headers.reserve(request.headers.size());
    for (const auto& [name, value] : request.headers)
      headers.push_back({name.c_str(), value.c_str()});
    std::vector<atsm_multipart_part> parts;
    parts.reserve(request.parts.size());
    for (const HttpPart& part : request.parts) {
      parts.push_back({part.name.c_str(), part.file_name.empty() ? nullptr : part.file_name.c_str(),
                       part.content_type.empty() ? nullptr : part.content_type.c_str(),
                       part.data.data(), part.data.size(),
                       part.blob_sha256.empty() ? nullptr : part.blob_sha256.c_str()});
    }
    atsm_http_request raw{};
    raw.struct_size = sizeof raw;
    raw.abi_version = ATSM_ABI_VERSION;
    raw.method = request.method.c_str();
    raw.url = request.url.c_str();
    raw.headers = headers.data();
    raw.header_count = headers.size();
    raw.body = request.body.data();
    raw.body_size = request.body.size();
    raw.parts = parts.data();
    raw.part_count = parts.size();
    raw.bucket = request.bucket.empty() ? nullptr : request.bucket.c_str();
    raw.auth_scheme = request.auth_scheme;
    raw.auth_secret = request.auth_secret.empty() ? nullptr : request.auth_secret.c_str();
    raw.auth_secret2 = request.auth_secret2.empty() ? nullptr : request.auth_secret2.c_str();
    raw.timeout_ms = request.timeout_ms;
    // A host before 1.3 reads every non-zero value as "repeatable"; it gets 1 all the same.
    const bool host_knows_reads = ATSM_ABI_MINOR(services_->abi_version) >= 3u;
    if (request.read)
      raw.idempotent = host_knows_reads ? ATSM_HTTP_READ : ATSM_HTTP_REPEATABLE;
    else
      raw.idempotent =
          request.idempotent.value_or(request.method == "GET" || request.method == "HEAD")
              ? ATSM_HTTP_REPEATABLE
              : ATSM_HTTP_WRITE;
    raw.download_to_blob = request.download_to_blob;

    HttpResponse response;
    atsm_error error = detail::fresh_error();
    atsm_status status = services_->http(services_->host, &raw, &copy_response, &response, &error);
    if (status != ATSM_OK)
      throw Error(status, error);
    return response;
  }

  std::string blob_put(std::string_view bytes) const {
    char hex[65] = {};
    atsm_error error = detail::fresh_error();
    atsm_status status =
        services_->blob_put(services_->host, bytes.data(), bytes.size(), hex, &error);
    if (status != ATSM_OK)
      throw Error(status, error);
    return hex;
  }

  std::optional<std::string> blob_get(const std::string& sha256_hex) const {
    std::string bytes;
    atsm_output out = detail::string_output(bytes);
    atsm_error error = detail::fresh_error();
    atsm_status status = services_->blob_get(services_->host, sha256_hex.c_str(), &out, &error);
    if (status == ATSM_NOT_FOUND)
      return std::nullopt;
    if (status != ATSM_OK)
      throw Error(status, error);
    return bytes;
  }

  std::optional<std::string> ledger_target(const std::string& kind,
                                           const std::string& source_key) const {
    std::string target;
    atsm_output out = detail::string_output(target);
    atsm_error error = detail::fresh_error();
    atsm_status status =
        services_->ledger_target(services_->host, kind.c_str(), source_key.c_str(), &out, &error);
    if (status == ATSM_NOT_FOUND)
      return std::nullopt;
    if (status != ATSM_OK)
      throw Error(status, error);
    return target;
  }

  void progress(const std::string& kind, uint64_t done, uint64_t total) const {
    services_->progress(services_->host, kind.c_str(), done, total);
  }

  bool cancelled() const { return services_->is_cancelled(services_->host) != 0; }

  // Requests to keep in flight for this connector's buckets to run at their limit, from the
  // latency the host has measured (extension atsm.host.in_flight/1); nullopt while the host has
  // measured too little, or offers no such advice.
  std::optional<uint32_t> suggested_in_flight() const {
    const auto* extension = static_cast<const atsm_host_in_flight_v1*>(
        services_->get_extension(services_->host, ATSM_EXT_HOST_IN_FLIGHT));
    if (extension == nullptr || extension->struct_size < sizeof(atsm_host_in_flight_v1) ||
        extension->suggested_in_flight == nullptr)
      return std::nullopt;
    uint32_t suggested = extension->suggested_in_flight(services_->host);
    return suggested > 0 ? std::optional<uint32_t>(suggested) : std::nullopt;
  }

  // Durable intents (extension atsm.host.intents/1): nullptr when the host offers none.
  const atsm_host_intents_v1* intents() const {
    const auto* extension = static_cast<const atsm_host_intents_v1*>(
        services_->get_extension(services_->host, ATSM_EXT_HOST_INTENTS));
    if (extension == nullptr || extension->struct_size < sizeof(atsm_host_intents_v1) ||
        extension->begin == nullptr || extension->end == nullptr || extension->list == nullptr)
      return nullptr;
    return extension;
  }
  // Commits the intent before returning; throws Error when the host cannot record it (no
  // extension: ATSM_NOT_FOUND).
  void begin_intent(const std::string& topic, const std::string& key,
                    const std::string& value) const {
    const atsm_host_intents_v1* extension = intents();
    if (extension == nullptr)
      throw Error(ATSM_NOT_FOUND, "the host keeps no durable intents (atsm.host.intents/1)");
    atsm_error error = detail::fresh_error();
    atsm_status status =
        extension->begin(services_->host, topic.c_str(), key.c_str(), value.c_str(), &error);
    if (status != ATSM_OK)
      throw Error(status, error);
  }
  void end_intent(const std::string& topic, const std::string& key) const {
    const atsm_host_intents_v1* extension = intents();
    if (extension == nullptr)
      return;
    atsm_error error = detail::fresh_error();
    atsm_status status = extension->end(services_->host, topic.c_str(), key.c_str(), &error);
    if (status != ATSM_OK)
      throw Error(status, error);
  }
  // The topic's unfinished intents, a JSON array of {"key", "value"}; "[]" without the extension.
  std::string open_intents_json(const std::string& topic) const {
    const atsm_host_intents_v1* extension = intents();
    if (extension == nullptr)
      return "[]";
    std::string json;
    atsm_output out = detail::string_output(json);
    atsm_error error = detail::fresh_error();
    atsm_status status = extension->list(services_->host, topic.c_str(), &out, &error);
    if (status != ATSM_OK)
      throw Error(status, error);
    return json;
  }

  // Throws Error(ATSM_CANCELLED) when the host asked to stop.
  void check_cancelled() const {
    if (cancelled())
      throw Error(ATSM_CANCELLED, "cancelled by the host");
  }

  const atsm_host_services* raw() const { return services_; }

 private:
  void declare(const atsm_rate_policy& policy) const {
    atsm_error error = detail::fresh_error();
    atsm_status status = services_->declare_bucket(services_->host, &policy, &error);
    if (status != ATSM_OK)
      throw Error(status, error);
  }

  static void copy_response(void* context, const atsm_http_response* raw) {
    auto* response = static_cast<HttpResponse*>(context);
    try {
      response->status = raw->status;
      for (size_t i = 0; i < raw->header_count; ++i) {
        response->headers.emplace_back(raw->headers[i].name, raw->headers[i].value);
      }
      if (raw->body != nullptr)
        response->body.assign(raw->body, raw->body_size);
      if (raw->blob_sha256 != nullptr)
        response->blob_sha256 = raw->blob_sha256;
      response->blob_size = raw->blob_size;
      response->attempts = raw->attempts;
      response->elapsed_ms = raw->elapsed_ms;
    } catch (...) {
      // Out of memory while copying: leave the status at 0 so the caller sees no response.
      response->status = 0;
    }
  }

  const atsm_host_services* services_;
};

// Hands batches of records to the host during Source::read.
class Emitter {
 public:
  explicit Emitter(const atsm_emitter* raw) : raw_(raw) {}

  // Emits a JSON array of canonical records of `kind` and the checkpoint that resumes after
  // them ("" when the kind is complete). Throws Error when the host wants the read to stop.
  void emit(const std::string& kind, std::string_view records_json, const std::string& checkpoint) {
    std::string records(records_json);  // the ABI wants NUL-terminated text
    atsm_batch batch{};
    batch.struct_size = sizeof batch;
    batch.abi_version = ATSM_ABI_VERSION;
    batch.kind = kind.c_str();
    batch.records_json = records.c_str();
    batch.records_size = records.size();
    batch.checkpoint = checkpoint.c_str();
    atsm_status status = raw_->emit(raw_->context, &batch);
    if (status != ATSM_OK) {
      throw Error(status, std::string("the host stopped the read of ") + kind + " (" +
                              atsm_status_name(status) + ")");
    }
  }

 private:
  const atsm_emitter* raw_;
};

class Source {
 public:
  virtual ~Source() = default;
  // Streams every record of `kind` after `checkpoint` ("" = from the start) through `emitter`.
  virtual void read(const std::string& kind, const std::string& checkpoint, Emitter& emitter) = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Returns the prepare report JSON (see connector.h).
  virtual std::string prepare(const std::string& plan_json) = 0;
  // Writes the write items of `kind` (sdk/docs/sink-protocol.md); returns the results array.
  virtual std::string write(const std::string& kind, const std::string& items_json) = 0;
  // The target id of the object an ambiguous write of this item may have created, or nullopt.
  virtual std::optional<std::string> find(const std::string& kind, const std::string& item_json) {
    (void)kind;
    (void)item_json;
    throw Error(ATSM_INVALID, "this connector does not implement find");
  }
  // The target's record as canonical JSON, or nullopt when it does not exist.
  virtual std::optional<std::string> read_back(const std::string& kind,
                                               const std::string& target_id) {
    (void)kind;
    (void)target_id;
    throw Error(ATSM_INVALID, "this connector does not implement read_back");
  }
};

// What the descriptor says about a connector. Strings must have static storage duration.
struct ConnectorInfo {
  const char* name = nullptr;
  const char* version = nullptr;
  const char* description = "";
  uint32_t capabilities = 0;
  const char* source_kinds_json = "[]";
  const char* sink_kinds_json = "[]";
  const char* config_keys_json = "[]";
  const char* secrets_json = "[]";
  const void* (*get_extension)(const char* id) = nullptr;
  // [since 1.2] What people call the connector's system ("Lever"), shown wherever the name would
  // become visible text (atsm.connector.display/1 in connector.h); nullptr: the host derives one
  // from the name. The generated get_extension answers that id and passes any other to the one
  // above.
  const char* display_name = nullptr;
};

// Generates the C trampolines for `Impl`.
template <class Impl>
struct Adapter {
  static constexpr bool is_source = std::is_base_of_v<Source, Impl>;
  static constexpr bool is_sink = std::is_base_of_v<Sink, Impl>;
  static_assert(is_source || is_sink, "a connector derives from atsm::sdk::Source or Sink");
  static_assert(std::is_constructible_v<Impl, Host, std::string_view>,
                "a connector is constructible from (atsm::sdk::Host, std::string_view config)");

  static atsm_status open(const atsm_host_services* services, const char* config_json,
                          void** instance, atsm_error* error) {
    return detail::guarded(error, [&] {
      *instance = new Impl(Host(services), std::string_view(config_json ? config_json : "{}"));
    });
  }

  static void close(void* instance) {
    try {
      delete static_cast<Impl*>(instance);
    } catch (...) {
      // Destructors must not throw; nothing sensible is left to do with one that does.
    }
  }

  static atsm_status read(void* instance, const char* kind, const char* checkpoint,
                          const atsm_emitter* emitter, atsm_error* error) {
    if constexpr (is_source) {
      return detail::guarded(error, [&] {
        Emitter wrapped(emitter);
        static_cast<Impl*>(instance)->read(kind, checkpoint ? checkpoint : "", wrapped);
      });
    } else {
      return atsm_fail(error, ATSM_INVALID, "not a source");
    }
  }

  static atsm_status prepare(void* instance, const char* plan_json, const atsm_output* out,
                             atsm_error* error) {
    return detail::guarded(error, [&] {
      if constexpr (is_sink) {
        detail::write_all(out, static_cast<Impl*>(instance)->prepare(plan_json));
      }
    });
  }

  static atsm_status write(void* instance, const char* kind, const char* records_json,
                           const atsm_output* out, atsm_error* error) {
    return detail::guarded(error, [&] {
      if constexpr (is_sink) {
        detail::write_all(out, static_cast<Impl*>(instance)->write(kind, records_json));
      }
    });
  }

  static atsm_status find(void* instance, const char* kind, const char* record_json,
                          const atsm_output* out, atsm_error* error) {
    atsm_status status = ATSM_OK;
    atsm_status guard = detail::guarded(error, [&] {
      if constexpr (is_sink) {
        std::optional<std::string> target = static_cast<Impl*>(instance)->find(kind, record_json);
        if (!target) {
          status = atsm_fail(error, ATSM_NOT_FOUND, "no such object in the target");
          return;
        }
        detail::write_all(out, std::string("{\"target_id\":\"") + json_escape(*target) + "\"}");
      }
    });
    return guard != ATSM_OK ? guard : status;
  }

  static atsm_status read_back(void* instance, const char* kind, const char* target_id,
                               const atsm_output* out, atsm_error* error) {
    atsm_status status = ATSM_OK;
    atsm_status guard = detail::guarded(error, [&] {
      if constexpr (is_sink) {
        std::optional<std::string> record =
            static_cast<Impl*>(instance)->read_back(kind, target_id);
        if (!record) {
          status = atsm_fail(error, ATSM_NOT_FOUND, "no such object in the target");
          return;
        }
        detail::write_all(out, *record);
      }
    });
    return guard != ATSM_OK ? guard : status;
  }

  static atsm_connector descriptor(const ConnectorInfo& info) {
    atsm_connector table{};
    table.struct_size = sizeof table;
    table.abi_version = ATSM_ABI_VERSION;
    table.name = info.name;
    table.version = info.version;
    table.description = info.description;
    table.roles = (is_source ? ATSM_ROLE_SOURCE : 0u) | (is_sink ? ATSM_ROLE_SINK : 0u);
    table.capabilities = info.capabilities;
    table.source_kinds_json = info.source_kinds_json;
    table.sink_kinds_json = info.sink_kinds_json;
    table.config_keys_json = info.config_keys_json;
    table.secrets_json = info.secrets_json;
    table.open = &open;
    table.close = &close;
    table.read = is_source ? &read : nullptr;
    table.prepare = is_sink ? &prepare : nullptr;
    table.write = is_sink ? &write : nullptr;
    table.find = (is_sink && (info.capabilities & ATSM_CAP_FIND)) ? &find : nullptr;
    table.read_back = (is_sink && (info.capabilities & ATSM_CAP_READ_BACK)) ? &read_back : nullptr;
    connector_extension = info.get_extension;
    display.display_name = info.display_name;
    table.get_extension = &get_extension;
    return table;
  }

 private:
  // The descriptor's get_extension: the display name, then what the connector answers itself.
  static const void* get_extension(const char* id) {
    if (id != nullptr && display.display_name != nullptr &&
        std::string_view(id) == ATSM_EXT_CONNECTOR_DISPLAY)
      return &display;
    return connector_extension != nullptr ? connector_extension(id) : nullptr;
  }
  static inline const void* (*connector_extension)(const char* id) = nullptr;
  static inline atsm_connector_display_v1 display = {sizeof(atsm_connector_display_v1),
                                                     ATSM_ABI_VERSION, nullptr};

  static std::string json_escape(const std::string& text) {
    std::string escaped;
    for (char c : text) {
      if (c == '"' || c == '\\') {
        escaped += '\\';
        escaped += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        static const char* const hex = "0123456789abcdef";
        escaped += "\\u00";
        escaped += hex[(c >> 4) & 0xf];
        escaped += hex[c & 0xf];
      } else {
        escaped += c;
      }
    }
    return escaped;
  }
};

}  // namespace atsm::sdk

// Defines the exported entry point for connector class `Impl` described by `info_expr` (an
// atsm::sdk::ConnectorInfo; wrap it in parentheses). Use once per library. It declines a host of
// another major, and a host whose minor is too old for the capabilities (connector.h, "Mixed
// minors": a 1.0 host would treat a VERBATIM sink as an ordinary one).
#define ATSM_DEFINE_CONNECTOR(Impl, info_expr)                                                    \
  extern "C" ATSM_EXPORT const atsm_connector* atsm_connector_entry(uint32_t host_abi_version) {  \
    if (ATSM_ABI_MAJOR(host_abi_version) != ATSM_ABI_VERSION_MAJOR)                               \
      return nullptr;                                                                             \
    static const atsm_connector table = ::atsm::sdk::Adapter<Impl>::descriptor(info_expr);        \
    if (ATSM_ABI_MINOR(host_abi_version) < atsm_connector_minimum_host_minor(table.capabilities)) \
      return nullptr;                                                                             \
    return &table;                                                                                \
  }

#endif  // ATSMIGRATE_CONNECTOR_HPP
