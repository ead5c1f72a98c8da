// One migration's open resources: the work dir, the two connector plugins with their
// configuration, the services they share, and the staging store and ledger on disk.
#pragma once

#include <spdlog/spdlog.h>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "host/connector_instance.hpp"
#include "host/plugin_registry.hpp"
#include "host/run_services.hpp"
#include "pipeline/audit.hpp"
#include "pipeline/work_dir_lock.hpp"
#include "services/net/http_client.hpp"
#include "services/net/rate_limiter.hpp"
#include "services/net/secrets.hpp"
#include "services/store/blob_store.hpp"
#include "services/store/ledger.hpp"
#include "services/store/staging.hpp"

namespace atsm::pipeline {

// A mistake in what the user gave (command line, config, mapping file): exit code 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SessionOptions {
  std::string source;  // plugin name; empty when the step needs no source
  std::string sink;    // plugin name; empty when the step needs no sink
  std::filesystem::path work_dir = "atsmigrate-work";
  std::optional<std::filesystem::path> config_file;
  std::vector<std::string> settings;  // PLUGIN.KEY=VALUE
  std::optional<std::filesystem::path> credentials_file;
  std::optional<std::filesystem::path> mapping_file;
  std::vector<std::string> plugin_paths;
  // Connectors compiled into this process (tests/pipeline's scripted fakes), registered before
  // any plugin directory is searched.
  std::vector<host::ConnectorEntry> in_process_connectors;
  // The step this session runs, recorded in the work dir's lock for a refused second run.
  std::string step = "run";
  // Steps that only read the work dir (status, export) run beside a migration; every other
  // step holds the work dir alone (WorkDirLock).
  bool lock_work_dir = true;
  // The source or target account changed its key or address but is the same account: record
  // the new identity instead of refusing the run (pipeline/accounts.hpp).
  bool rebind_accounts = false;
  // Largest vendor response kept in memory, and largest record a source may emit (MiB).
  std::uint64_t max_response_mb = 32;
  std::uint64_t max_record_mb = 16;
};

// Work dir layout: everything inside is private to the user (0700 dirs, 0600 files).
struct WorkDir {
  explicit WorkDir(std::filesystem::path root);
  std::filesystem::path root;
  std::filesystem::path staging() const { return root / "staging.sqlite"; }
  std::filesystem::path ledger() const { return root / "ledger.sqlite"; }
  std::filesystem::path blobs() const { return root / "blobs"; }
  std::filesystem::path plan() const { return root / "plan.json"; }
  std::filesystem::path starter_mapping() const { return root / "mapping.json"; }
  std::filesystem::path report_json() const { return root / "report.json"; }
  std::filesystem::path audit() const { return root / "audit.jsonl"; }
  // A step's scratch file (store::ScratchMap): replaced by the next run, removed at the step's end.
  std::filesystem::path scratch(const std::string& name) const {
    return root / ("scratch-" + name + ".sqlite");
  }
};

// Runs `call`, repeating it with growing pauses while it fails with a transient status that the
// HTTP layer's own retries did not absorb: a read or a prepare can always be repeated. Other
// failures, and the last transient one, propagate.
template <class Call>
auto with_retries(const std::string& what, Call&& call, int attempts = 6,
                  std::chrono::milliseconds first_pause = std::chrono::milliseconds(1000))
    -> decltype(call()) {
  for (int attempt = 1;; ++attempt) {
    try {
      return call();
    } catch (const host::Error& error) {
      bool transient = error.status() == ATSM_RETRY || error.status() == ATSM_RATE_LIMITED;
      if (!transient || attempt >= attempts)
        throw;
      spdlog::warn("{} failed ({}); trying again ({}/{})", what, error.what(), attempt,
                   attempts - 1);
      std::this_thread::sleep_for(first_pause * (1 << (attempt - 1)));
    }
  }
}

// Writes `text` to `file` atomically with mode 0600.
void write_private_file(const std::filesystem::path& file, std::string_view text);

class Session {
 public:
  explicit Session(const SessionOptions& options);
  ~Session();

  const SessionOptions& options() const { return options_; }
  const WorkDir& work_dir() const { return work_dir_; }
  store::StagingStore& staging() { return *staging_; }
  store::Ledger& ledger() { return *ledger_; }
  store::BlobStore& blobs() { return *blobs_; }
  AuditTrail& audit();  // opened on first use
  host::SharedServices& services() { return *shared_; }
  net::RateLimiter& limiter() { return limiter_; }
  net::HttpClient& http() { return *http_; }

  // Opened on first use; throw UsageError when the plugin was not named or not found.
  host::ConnectorInstance& source();
  host::ConnectorInstance& sink();
  // Another instance of the sink, for concurrent writers when it is not thread-safe.
  std::unique_ptr<host::ConnectorInstance> open_sink_instance();
  const host::LoadedPlugin& sink_plugin();
  const host::LoadedPlugin& source_plugin();
  // Every installed source's display name by plugin name (declared, else derived: connector.h
  // atsm.connector.display/1), for the sink's plan: records of any source in the work dir may
  // reach it.
  boost::json::object source_display_names() const;
  // Opens the source and the sink now (each when needed, or when named), so that a wrong
  // plugin name or configuration value is a UsageError before anything is read or written.
  void open_plugins(bool source_needed, bool sink_needed);

  // What the plugins warned about (a key that cannot see confidential records, deleted records
  // not carried over, records with bad fields), kept in the staging store so that every later
  // report of the work dir lists it: (plugin, message), each once, oldest first. Every notice is
  // kept (a warning per record of 100,000 persons too): the report lists the first and counts
  // them all.
  std::vector<std::pair<std::string, std::string>> notices() const;
  void for_each_notice(
      const std::function<void(const std::string& plugin, const std::string& message)>& each) const;

  // A delta run: the source reads only what changed since `since` (ISO 8601 UTC). Before the
  // source opens; UsageError when the source cannot read changes only.
  void set_source_since(const std::string& since);

  // Throws the reason the run was stopped for (a vendor's Retry-After beyond what the run
  // waits), if it was: a fatal error, whatever the plugin made of it.
  void throw_if_failed() const;

  // The ledger scope: one per target, so every source loaded into it shares dedup and ids.
  std::string ledger_scope() const { return "sink:" + options_.sink; }

 private:
  const host::LoadedPlugin& require_plugin(const std::string& name, const char* role);
  // Refuses a plugin whose account is not the one this work dir migrates (accounts.hpp).
  void check_account(const host::LoadedPlugin& plugin, const char* role);
  std::string plugin_config(const host::LoadedPlugin& plugin) const;
  std::unique_ptr<host::ConnectorInstance> open_instance(const host::LoadedPlugin& plugin);
  void record_notice(const std::string& plugin, std::string_view message);

  SessionOptions options_;
  WorkDir work_dir_;
  std::optional<WorkDirLock> lock_;  // declared before the stores: released after they close
  host::PluginRegistry registry_;
  boost::json::object config_;  // --config file merged with --set, keyed by plugin name
  net::SecretStore secrets_;
  net::RateLimiter limiter_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<store::StagingStore> staging_;
  std::unique_ptr<store::Ledger> ledger_;
  std::unique_ptr<host::SharedServices> shared_;
  std::vector<std::unique_ptr<host::RunServices>> run_services_;
  std::unique_ptr<host::ConnectorInstance> source_;
  std::unique_ptr<host::ConnectorInstance> sink_;
  std::once_flag audit_opened_;
  std::unique_ptr<AuditTrail> audit_;
  std::mutex notices_mutex_;
};

}  // namespace atsm::pipeline
