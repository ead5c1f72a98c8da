// The services a run lends to its connectors, backed by the real ones: libcurl HTTP through the
// shared rate limiter, the secrets store, the blob store, the ledger and the run's logger. One
// RunServices per connector instance (so log lines name their plugin); they share SharedServices.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "host/host_services.hpp"
#include "services/net/http_client.hpp"
#include "services/net/rate_limiter.hpp"
#include "services/net/secrets.hpp"
#include "services/store/blob_store.hpp"
#include "services/store/ledger.hpp"

namespace atsm::host {

using ProgressFn = std::function<void(const std::string& plugin, const std::string& kind,
                                      uint64_t done, uint64_t total)>;

// What one plugin asked of the network in this run: the buckets it declared and the time its
// requests spent on the wire, so the host can size its concurrency by Little's law.
struct PluginTraffic {
  std::set<std::string> buckets;
  std::uint64_t attempts = 0;
  std::chrono::milliseconds on_the_wire{0};  // and backing off between attempts: a worker's time
};

// Owned by the run; every connector instance of the run borrows it.
struct SharedServices {
  net::SecretStore& secrets;
  net::RateLimiter& limiter;
  net::HttpClient& http;
  store::BlobStore& blobs;
  std::shared_ptr<spdlog::logger> logger;
  store::Ledger* ledger = nullptr;  // set once the load step opens it
  std::string ledger_scope;
  ProgressFn progress;
  // Called with every warning or error a plugin logs, so the run's report can carry it.
  std::function<void(const std::string& plugin, std::string_view message)> on_warning{};
  std::atomic<bool> cancelled{false};
  // The longest Retry-After the run waits out (as the HttpClient's max_retry_after): a longer one
  // stops the run (fail_run), and no bucket pauses longer on a server's word.
  std::chrono::milliseconds max_retry_after{std::chrono::minutes(5)};

  void record_bucket(const std::string& plugin, const std::string& bucket);
  void record_traffic(const std::string& plugin, std::uint32_t attempts,
                      std::chrono::milliseconds on_the_wire);
  PluginTraffic traffic(const std::string& plugin) const;
  // Requests to keep in flight for the plugin to run at its buckets' limit: Little's law on its
  // measured time on the wire (x2 + 2 for the latencies' spread and the work between requests),
  // from 2 to 32; 0 while fewer than 20 attempts are measured. One rule for the host's writers, its
  // read-back and a source connector's own workers (extension atsm.host.in_flight/1).
  std::uint32_t suggested_in_flight(const std::string& plugin) const;

  // Stops the run for a reason no plugin may absorb (a vendor asking for a pause longer than the
  // run waits): the first message is kept and every request and wait is cancelled.
  void fail_run(const std::string& message);
  std::optional<std::string> run_failure() const;

  // Guarded by traffic_mutex; left out of the aggregate initialisation.
  mutable std::mutex traffic_mutex{};
  std::map<std::string, PluginTraffic> traffic_by_plugin{};
  std::optional<std::string> failure{};  // guarded by traffic_mutex
};

// Whether a connector's request says "a read, no effect at the vendor" (ATSM_HTTP_READ), which
// lets the host abandon an attempt that hangs and send it again. Only from a 1.3 connector on: to
// an older one, 2 was just "non-zero" (repeatable, possibly with an effect).
bool is_read_request(const atsm_http_request& request);

class RunServices : public HostServices {
 public:
  RunServices(SharedServices& shared, std::string plugin_name);

  void log(atsm_log_level level, std::string_view message) override;
  std::optional<std::string> secret(const std::string& name) override;
  void register_secret(const std::string& value) override;
  void declare_bucket(const atsm_rate_policy& policy) override;
  void http(const atsm_http_request& request, atsm_http_response_fn on_response,
            void* context) override;
  std::string blob_put(std::string_view bytes) override;
  std::optional<std::string> blob_get(const std::string& sha256_hex) override;
  std::optional<std::string> ledger_target(const std::string& kind,
                                           const std::string& source_key) override;
  void progress(const std::string& kind, uint64_t done, uint64_t total) override;
  bool cancelled() override;
  std::uint32_t suggested_in_flight() override;
  // Intents live in the work dir's ledger, scope "<sink scope> intents", kind "<plugin>:<topic>".
  bool keeps_intents() override;
  void begin_intent(const std::string& topic, const std::string& key,
                    const std::string& value) override;
  void end_intent(const std::string& topic, const std::string& key) override;
  std::vector<std::pair<std::string, std::string>> open_intents(const std::string& topic) override;

 private:
  // The Authorization header value for a request's auth scheme, built from named secrets.
  std::string authorization(const atsm_http_request& request);

  SharedServices& shared_;
  std::string plugin_name_;
};

}  // namespace atsm::host
