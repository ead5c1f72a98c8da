// A run's host services around the real libashby.so and an in-process emulated Ashby: the plugin
// is loaded through the registry and driven through ConnectorInstance, as the product does.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ashby_spec_validator.hpp"
#include "host/connector_instance.hpp"
#include "host/plugin_registry.hpp"
#include "host/run_services.hpp"
#include "net/test_support.hpp"
#include "sandbox/sandbox.hpp"

namespace atsm::ashby::testing {

namespace json = boost::json;

class AshbyHarness {
 public:
  // Starts a sandbox of `persons` with `faults` on its Ashby, and opens the plugin on it with
  // `extra_config` merged into the default config. The plugin talks to the emulator through the
  // validating proxy (ATSM_ASHBY_SPEC, tests/support/ashby_spec_validator.hpp): a request that
  // Ashby's OpenAPI document forbids is refused as Ashby refuses it, and the destructor fails
  // the test on any violation either way.
  // `rate_scale` multiplies the emulator's limits and divides its latencies; the plugin is told
  // the scaled limit.
  // `applications_on_closed_jobs` sets the emulator's switch (unset: drawn from the seed).
  // `stall_ms`: how long a stall fault holds a request (before rate_scale; the sandbox's default).
  explicit AshbyHarness(int persons = 20, sandbox::FaultRates faults = {},
                        const json::object& extra_config = {}, int latency_ms = 0,
                        double rate_scale = 100,
                        std::optional<bool> applications_on_closed_jobs = std::nullopt,
                        int stall_ms = sandbox::Options{}.stall_ms);
  ~AshbyHarness();

  host::ConnectorInstance& sink() { return *instance_; }
  // A second instance of the same run (shared limiter, blobs, ledger), e.g. for another thread.
  std::unique_ptr<host::ConnectorInstance> open_instance(const json::object& extra_config = {});

  // The emulated Ashby's state (/_sandbox/state), its request counts and its ground truth.
  json::object state(bool details = true);
  std::map<std::string, int64_t> request_counts();
  json::object truth(const std::string& source);
  // A direct call to the emulated Ashby, bypassing the plugin and the validator (for setting up
  // and checking).
  json::object ashby(const std::string& method, const json::object& body);

  // Stores bytes in the run's blob store; returns their SHA-256.
  std::string put_blob(const std::string& bytes);
  // The prepare catalog of the plugin instance (or `sink`), with plan_options() as the plan's
  // options unless `plan` gives its own (members of `plan` replace the default plan's).
  json::object prepare(const json::object& plan = {});
  json::object prepare_on(host::ConnectorInstance& sink, const json::object& plan = {});

  const sandbox::Sandbox& emulator() const { return *sandbox_; }
  // The loaded libashby.so (its descriptor: config keys and their defaults).
  const host::LoadedPlugin& plugin() const { return *plugin_; }
  const std::string& log_text() const;
  // What the run's HTTP client saw, per endpoint (attempts by outcome).
  std::map<net::EndpointKey, net::EndpointMetrics> http_metrics() const {
    return http_->endpoint_metrics();
  }

 private:
  json::object config(const json::object& extra) const;

  net::testing::TempDir dir_;
  std::unique_ptr<sandbox::Sandbox> sandbox_;
  std::unique_ptr<atsm::testing::AshbySpecValidator> spec_validator_;
  std::unique_ptr<net::SecretStore> secrets_;
  net::RateLimiter limiter_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<store::Ledger> ledger_;
  std::shared_ptr<std::ostringstream> log_stream_;
  mutable std::string log_copy_;
  std::unique_ptr<host::SharedServices> shared_;
  std::vector<std::unique_ptr<host::RunServices>> services_;
  host::PluginRegistry registry_;
  const host::LoadedPlugin* plugin_ = nullptr;
  json::object extra_config_;
  double rate_scale_ = 100;
  std::unique_ptr<host::ConnectorInstance> instance_;
};

// The plan's options as the host sends them: every migration option with its default, the
// sandbox's interview plan and the fallback user it seeds.
json::object plan_options();

// Builds a write item.
json::object item(const std::string& key, json::object record,
                  const std::map<std::string, std::string>& refs = {});

// The sum of requests whose endpoint contains `method` ("POST /candidate.create").
int64_t calls(const std::map<std::string, int64_t>& counts, const std::string& method);
// after - before, per endpoint.
std::map<std::string, int64_t> delta(const std::map<std::string, int64_t>& before,
                                     const std::map<std::string, int64_t>& after);

}  // namespace atsm::ashby::testing
