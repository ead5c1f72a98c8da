// The services a run lends to its connectors, backed by the real ones: libcurl HTTP through the
// shared rate limiter, the secrets store, the blob store, the ledger and the run's logger. One
// RunServices per connector instance (so log lines name their plugin); they share SharedServices.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <functional>
#include <memory>
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
  std::atomic<bool> cancelled{false};
};

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

 private:
  // The Authorization header value for a request's auth scheme, built from named secrets.
  std::string authorization(const atsm_http_request& request);

  SharedServices& shared_;
  std::string plugin_name_;
};

}  // namespace atsm::host
