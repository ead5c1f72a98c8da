// The verifier's side of a plugin: every call into it goes through a Harness, which records
// each breach of the call contract, and the host services a verified instance gets.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "host/host_services.hpp"
#include "host/plugin_registry.hpp"
#include "host/run_services.hpp"
#include "services/net/http_client.hpp"
#include "services/net/rate_limiter.hpp"
#include "services/net/secrets.hpp"
#include "services/store/blob_store.hpp"
#include "verify/check.hpp"

namespace atsm::verify {

namespace json = boost::json;

// ------------------------------------------------------------------------------------------
// Contract recording: every call into the plugin goes through here
// ------------------------------------------------------------------------------------------

class Recorder {
 public:
  void add(const std::string& rule, const std::string& message) {
    std::lock_guard lock(mutex_);
    if (violations_.size() < 100)
      violations_.emplace_back(rule, message);
  }
  // The first violation (of `rule` when it is not empty).
  std::optional<std::pair<std::string, std::string>> first(const std::string& rule = "") const {
    std::lock_guard lock(mutex_);
    for (const auto& violation : violations_) {
      if (rule.empty() || violation.first == rule)
        return violation;
    }
    return std::nullopt;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> violations_;
};

// The host services a verified instance gets: the real ones, plus a watch for any call made
// after the instance's `close` returned.
class VerifyServices : public host::HostServices {
 public:
  VerifyServices(host::SharedServices& shared, const std::string& plugin, Recorder& recorder)
      : inner_(shared, plugin), recorder_(recorder) {}

  void mark_closed() { closed_ = true; }

  void log(atsm_log_level level, std::string_view message) override {
    watch("log");
    inner_.log(level, message);
  }
  std::optional<std::string> secret(const std::string& name) override {
    watch("get_secret");
    return inner_.secret(name);
  }
  void register_secret(const std::string& value) override {
    watch("register_secret");
    inner_.register_secret(value);
  }
  void declare_bucket(const atsm_rate_policy& policy) override {
    watch("declare_bucket");
    inner_.declare_bucket(policy);
  }
  void http(const atsm_http_request& request, atsm_http_response_fn on_response,
            void* context) override {
    watch("http");
    inner_.http(request, on_response, context);
  }
  std::string blob_put(std::string_view bytes) override {
    watch("blob_put");
    return inner_.blob_put(bytes);
  }
  std::optional<std::string> blob_get(const std::string& sha256_hex) override {
    watch("blob_get");
    return inner_.blob_get(sha256_hex);
  }
  std::optional<std::string> ledger_target(const std::string& kind,
                                           const std::string& source_key) override {
    watch("ledger_target");
    return inner_.ledger_target(kind, source_key);
  }
  void progress(const std::string& kind, uint64_t done, uint64_t total) override {
    watch("progress");
    inner_.progress(kind, done, total);
  }
  bool cancelled() override {
    watch("is_cancelled");
    return inner_.cancelled();
  }

 private:
  void watch(const char* service) {
    if (closed_)
      recorder_.add("contract.after_close",
                    fmt::format("host service '{}' was called after close returned", service));
  }

  host::RunServices inner_;
  Recorder& recorder_;
  std::atomic<bool> closed_{false};
};

struct Answer {
  atsm_status status = ATSM_OK;
  std::string output;
  std::string message;
  bool ok() const { return status == ATSM_OK; }
};

struct Batch {
  std::string kind;
  std::string records_json;
  std::string checkpoint;
};

struct ReadResult {
  Answer answer;
  std::vector<Batch> batches;
  std::string emit_problem;  // a malformed atsm_batch, described
};

atsm_status append_output(void* context, const char* data, size_t size);

struct EmitContext {
  ReadResult* result;
  std::size_t stop_after = 0;  // 0: never; else answer ATSM_CANCELLED after that many batches
};

atsm_status collect_batch(void* context, const atsm_batch* batch);

// Everything one child needs: the plugin, the real services, and the contract recorder.
class Harness {
 public:
  // `blob_dir` is made and removed by the parent process, so a crash leaves nothing behind.
  Harness(const host::LoadedPlugin& plugin, std::string config_json,
          const std::optional<std::filesystem::path>& credentials, std::uint64_t seed,
          std::filesystem::path blob_dir)
      : plugin_(plugin),
        d_(plugin.descriptor()),
        config_(std::move(config_json)),
        seed_(seed),
        blob_dir_(std::move(blob_dir)) {
    if (credentials)
      secrets_ = net::SecretStore(*credentials);
    net::HttpClientOptions http_options;
    http_options.rate_limiter = &limiter_;
    http_options.allow_insecure_loopback_tls = true;
    http_ = std::make_unique<net::HttpClient>(http_options);
    blobs_ = std::make_unique<store::BlobStore>(blob_dir_);
    shared_.reset(new host::SharedServices{
        secrets_, limiter_, *http_, *blobs_, spdlog::default_logger(), nullptr, "verify",
        [](const std::string&, const std::string&, uint64_t, uint64_t) {}});
  }
  const atsm_connector& d() const { return d_; }
  const host::LoadedPlugin& plugin() const { return plugin_; }
  const std::string& config() const { return config_; }
  Recorder& recorder() { return recorder_; }
  std::uint64_t seed() const { return seed_; }
  VerifyServices& last_services() { return *services_.back(); }
  // The blob store the plugin's blob_put writes to (fresh for each check).
  const store::BlobStore& blobs() const { return *blobs_; }

  // One line per call into the plugin on the check's log, so the log tail of a crash or a hang
  // says which call it was.
  static void trace(const char* function, std::string_view kind, std::string_view argument) {
    std::cerr << "verify -> " << function << "(" << shorten(kind, 40) << ", "
              << shorten(argument, 80) << ")" << std::endl;
  }

  // Checks a returned status and error against the contract; records what is wrong.
  void inspect(const char* function, atsm_status status, const atsm_error& error, Answer& answer) {
    answer.status = status;
    auto value = static_cast<std::uint32_t>(status);
    if (value > static_cast<std::uint32_t>(ATSM_AMBIGUOUS)) {
      recorder_.add(
          "contract.statuses",
          fmt::format("{} returned status {}, which is not an atsm_status", function, value));
      return;
    }
    if (status == ATSM_OK)
      return;
    const void* end = std::memchr(error.message, '\0', sizeof error.message);
    if (end == nullptr) {
      recorder_.add("contract.errors",
                    fmt::format("{} returned '{}' with an atsm_error.message not NUL-terminated",
                                function, atsm_status_name(status)));
      return;
    }
    answer.message = error.message;
    if (answer.message.empty())
      recorder_.add("contract.errors",
                    fmt::format("{} returned '{}' and left atsm_error.message empty", function,
                                atsm_status_name(status)));
  }

  // Opens an instance; nullptr with the answer when open fails.
  void* open(const std::string& config_json, Answer& answer) {
    services_.push_back(std::make_unique<VerifyServices>(*shared_, plugin_.name(), recorder_));
    atsm_error error;
    atsm_error_init(&error);
    void* instance = nullptr;
    trace("open", "", config_json);
    atsm_status status = d_.open(services_.back()->table(), config_json.c_str(), &instance, &error);
    inspect("open", status, error, answer);
    if (status != ATSM_OK) {
      services_.back()->mark_closed();
      return nullptr;
    }
    open_.emplace_back(instance, services_.back().get());
    return instance;
  }

  // Closes an instance; from then on its services record every call as a breach.
  void close(void* instance) {
    d_.close(instance);
    for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
      if (it->first == instance) {
        it->second->mark_closed();
        open_.erase(std::next(it).base());
        break;
      }
    }
  }

  ReadResult read(void* instance, const std::string& kind, const std::string& checkpoint,
                  std::size_t stop_after = 0) {
    ReadResult result;
    EmitContext context{&result, stop_after};
    atsm_emitter emitter{&context, &collect_batch};
    atsm_error error;
    atsm_error_init(&error);
    trace("read", kind, checkpoint);
    atsm_status status = d_.read(instance, kind.c_str(), checkpoint.c_str(), &emitter, &error);
    inspect("read", status, error, result.answer);
    return result;
  }

  Answer with_output(const char* function,
                     const std::function<atsm_status(const atsm_output*, atsm_error*)>& call) {
    Answer answer;
    atsm_output out{&answer.output, &append_output};
    atsm_error error;
    atsm_error_init(&error);
    atsm_status status = call(&out, &error);
    inspect(function, status, error, answer);
    return answer;
  }
  Answer prepare(void* instance, const std::string& plan) {
    return with_output("prepare", [&](const atsm_output* out, atsm_error* error) {
      trace("prepare", "", plan);
      return d_.prepare(instance, plan.c_str(), out, error);
    });
  }
  Answer write(void* instance, const std::string& kind, const std::string& items) {
    return with_output("write", [&](const atsm_output* out, atsm_error* error) {
      trace("write", kind, items);
      return d_.write(instance, kind.c_str(), items.c_str(), out, error);
    });
  }
  Answer find(void* instance, const std::string& kind, const std::string& item) {
    return with_output("find", [&](const atsm_output* out, atsm_error* error) {
      trace("find", kind, item);
      return d_.find(instance, kind.c_str(), item.c_str(), out, error);
    });
  }
  Answer read_back(void* instance, const std::string& kind, const std::string& id) {
    return with_output("read_back", [&](const atsm_output* out, atsm_error* error) {
      trace("read_back", kind, id);
      return d_.read_back(instance, kind.c_str(), id.c_str(), out, error);
    });
  }

  // Opens with the verification config or fails the check naming the status and message.
  void* open_or_fail() {
    Answer answer;
    void* instance = open(config_, answer);
    if (!answer.ok())
      fail(fmt::format("open with the --config object failed: {}: {}",
                       atsm_status_name(answer.status), shorten(answer.message)));
    return instance;
  }

 private:
  const host::LoadedPlugin& plugin_;
  atsm_connector d_;
  std::string config_;
  std::uint64_t seed_;
  std::filesystem::path blob_dir_;
  Recorder recorder_;
  net::SecretStore secrets_;
  net::RateLimiter limiter_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<host::SharedServices> shared_;
  std::vector<std::unique_ptr<VerifyServices>> services_;
  std::vector<std::pair<void*, VerifyServices*>> open_;  // open instances and their services
};

// Closes an instance at scope exit.
class Instance {
 public:
  explicit Instance(Harness& harness) : harness_(harness), handle_(harness.open_or_fail()) {}
  ~Instance() { harness_.close(handle_); }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  void* get() const { return handle_; }

 private:
  Harness& harness_;
  void* handle_;
};

// The kinds of a descriptor's JSON list (empty when it is not one).
std::vector<std::string> kinds_of(const char* json_text);

bool is_source(const atsm_connector& d);
bool is_sink(const atsm_connector& d);

// Every reference of a record as (referenced kind, source key): the pipeline's own definition.
std::vector<std::pair<std::string, std::string>> references_of(const json::value& record);

}  // namespace atsm::verify
