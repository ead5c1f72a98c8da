// The host side of a run around one real plugin, for tests that drive a connector in-process as
// the product does: a private work dir, the secrets store (a 0600 credentials file), the rate
// limiter, the HTTP client, the blob store, optionally the ledger, a log captured in memory, and
// the plugin loaded through the registry. The shared plugin harness of issue 20 (tests/lever and
// tests/ashby each kept their own).
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "host/connector_instance.hpp"
#include "host/plugin_registry.hpp"
#include "host/run_services.hpp"
#include "temp_dir.hpp"

namespace atsm::testing {

struct PluginRunOptions {
  std::filesystem::path plugin_file;
  std::map<std::string, std::string> secrets;  // written as the credentials file
  std::string name = "plugin-test";            // the logger's name and the ledger's scope
  std::chrono::milliseconds backoff_base{5};
  std::chrono::milliseconds backoff_cap{200};
  bool with_ledger = false;  // WORKDIR/ledger.sqlite, for ledger_target and intents
};

class PluginRun {
 public:
  // Throws std::runtime_error with the registry's reasons when the plugin is refused.
  explicit PluginRun(PluginRunOptions options);
  ~PluginRun();
  PluginRun(const PluginRun&) = delete;
  PluginRun& operator=(const PluginRun&) = delete;

  const host::LoadedPlugin& plugin() const { return *plugin_; }
  // An instance with `config`, on services of its own that share the run's limiter, blobs and
  // ledger (one RunServices per instance, as the product lends them).
  std::unique_ptr<host::ConnectorInstance> open(const boost::json::object& config = {});

  // What was logged so far (debug and up, secrets redacted).
  std::string log();
  const std::filesystem::path& dir() const { return dir_.path(); }
  store::BlobStore& blobs() { return *blobs_; }
  store::Ledger* ledger() { return ledger_.get(); }
  host::SharedServices& shared() { return *shared_; }

 private:
  PluginRunOptions options_;
  TempDir dir_{"atsm-plugin-run"};
  std::ostringstream log_text_;
  net::RateLimiter limiter_;
  std::unique_ptr<net::SecretStore> secrets_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<store::Ledger> ledger_;
  std::unique_ptr<net::HttpClient> http_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<host::SharedServices> shared_;
  std::vector<std::unique_ptr<host::RunServices>> services_;
  host::PluginRegistry registry_;
  const host::LoadedPlugin* plugin_ = nullptr;
};

}  // namespace atsm::testing
