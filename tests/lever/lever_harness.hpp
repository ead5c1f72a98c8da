// The Lever plugin as the product runs it: loaded through the ABI by the plugin registry, opened
// on the real host services (libcurl HTTP, rate limiter, secrets file, blob store, redacting log)
// and reading the sandbox's emulated Lever over loopback HTTP.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "host/connector_instance.hpp"
#include "host/plugin_registry.hpp"
#include "host/run_services.hpp"
#include "sandbox/dataset.hpp"
#include "sandbox/sandbox.hpp"
#include "services/net/log.hpp"
#include "support/temp_dir.hpp"

namespace atsm::lever::testing {

namespace json = boost::json;

using TempDir = atsm::testing::TempDir;

// A started sandbox; the dataset it serves is generate_dataset(seed, persons).
inline std::unique_ptr<sandbox::Sandbox> start_sandbox(sandbox::Options options) {
  auto started = std::make_unique<sandbox::Sandbox>(std::move(options));
  started->start();
  return started;
}

// Records read per kind, keyed by source key, with how often each key was emitted.
struct Extracted {
  std::map<std::string, std::map<std::string, json::object>> records;  // kind -> key -> record
  std::map<std::string, std::map<std::string, int>> emitted;           // kind -> key -> count
  std::vector<std::string> checkpoints;                                // in emission order

  void add(const std::string& kind, const json::array& batch, const std::string& checkpoint) {
    for (const json::value& value : batch) {
      const json::object& record = value.as_object();
      std::string key(record.at("source_key").as_string());
      records[kind][key] = record;
      ++emitted[kind][key];
    }
    checkpoints.push_back(checkpoint);
  }
  std::set<std::string> keys(const std::string& kind) const {
    std::set<std::string> out;
    if (auto it = records.find(kind); it != records.end())
      for (const auto& [key, record] : it->second)
        out.insert(key);
    return out;
  }
  int max_emissions(const std::string& kind) const {
    int most = 0;
    if (auto it = emitted.find(kind); it != emitted.end())
      for (const auto& [key, count] : it->second)
        most = std::max(most, count);
    return most;
  }
};

// The host side of one run: services, the loaded plugin, and a way to open instances.
class LeverRun {
 public:
  // `secrets` become the credentials file (mode 0600).
  explicit LeverRun(const std::map<std::string, std::string>& secrets) {
    std::filesystem::path credentials = dir_.path() / "credentials";
    {
      std::ofstream out(credentials);
      for (const auto& [name, value] : secrets)
        out << name << "=" << value << "\n";
    }
    ::chmod(credentials.c_str(), 0600);
    secrets_ = std::make_unique<net::SecretStore>(credentials);
    blobs_ = std::make_unique<store::BlobStore>(dir_.path() / "blobs");
    net::HttpClientOptions options;
    options.rate_limiter = &limiter_;
    options.backoff_base = std::chrono::milliseconds(5);
    options.backoff_cap = std::chrono::milliseconds(200);
    http_ = std::make_unique<net::HttpClient>(options);
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text_);
    logger_ = std::make_shared<spdlog::logger>("lever-test", net::make_redacting(sink));
    logger_->set_level(spdlog::level::debug);
    shared_.reset(new host::SharedServices{
        *secrets_, limiter_, *http_, *blobs_, logger_, nullptr, "lever-test", {}});
    services_ = std::make_unique<host::RunServices>(*shared_, "lever");
    plugin_ = registry_.load_file(ATSM_LEVER_PLUGIN);
    if (plugin_ == nullptr) {
      std::string reasons;
      for (const auto& refusal : registry_.refusals())
        reasons += refusal.line() + "\n";
      throw std::runtime_error("cannot load the lever plugin: " + reasons);
    }
  }

  const host::LoadedPlugin& plugin() const { return *plugin_; }

  std::unique_ptr<host::ConnectorInstance> open(const json::object& config) {
    return std::make_unique<host::ConnectorInstance>(*plugin_, *services_, json::serialize(config));
  }

  // Reads every source kind in the descriptor's order into `out`.
  void read_all(host::ConnectorInstance& instance, Extracted& out) {
    for (const std::string& kind : plugin_->source_kinds())
      read(instance, kind, "", out);
  }

  void read(host::ConnectorInstance& instance, const std::string& kind,
            const std::string& checkpoint, Extracted& out) {
    instance.read(kind, checkpoint,
                  [&](const std::string& batch_kind, json::array& records,
                      const std::string& next) { out.add(batch_kind, records, next); });
  }

  std::string log() {
    logger_->flush();
    return log_text_.str();
  }
  store::BlobStore& blobs() { return *blobs_; }

 private:
  TempDir dir_;
  std::ostringstream log_text_;
  net::RateLimiter limiter_;
  std::unique_ptr<net::SecretStore> secrets_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<net::HttpClient> http_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<host::SharedServices> shared_;
  std::unique_ptr<host::RunServices> services_;
  host::PluginRegistry registry_;
  const host::LoadedPlugin* plugin_ = nullptr;
};

// What the sandbox's own dataset says a full extraction must contain, per kind.
inline std::map<std::string, std::set<std::string>> expected_keys(const sandbox::Dataset& data,
                                                                  bool with_confidential = true) {
  const sandbox::LeverData& lv = data.lever;
  std::map<std::string, std::set<std::string>> out;
  for (const auto& user : lv.users)
    out["user"].insert("lever:user:" + user.id);
  for (const auto& stage : lv.stages)
    out["stage"].insert("lever:stage:" + stage.id);
  for (const auto& reason : lv.archive_reasons)
    out["archive_reason"].insert("lever:archive_reason:" + reason.id);
  for (const auto& posting : lv.postings) {
    if (posting.confidential && !with_confidential)
      continue;
    out["job"].insert("lever:posting:" + posting.id);
    out["department"].insert("lever:department:" + posting.department);
    out["office"].insert("lever:office:" + posting.location);
  }
  for (const auto& opp : lv.opportunities) {
    // The sandbox counts sources and tags over every opportunity it holds.
    for (const auto& source : opp.sources)
      out["source"].insert("lever:source:" + source);
    for (const auto& tag : opp.tags)
      out["tag"].insert("lever:tag:" + tag);
    if (opp.deleted_at || (opp.confidential && !with_confidential))
      continue;
    out["candidacy"].insert("lever:opportunity:" + opp.id);
    out["person"].insert("lever:contact:" + opp.contact_id);
    for (const auto& note : opp.notes)
      if (!note.deleted_at)
        out["note"].insert("lever:note:" + note.id);
    for (const auto& form : opp.feedback)
      if (!form.deleted_at)
        out["feedback"].insert("lever:feedback:" + form.id);
    for (const auto& form : opp.profile_forms)
      out["feedback"].insert("lever:form:" + form.id);
    for (const auto& interview : opp.interviews)
      out["interview"].insert("lever:interview:" + interview.id);
    for (const auto& offer : opp.offers)
      out["offer"].insert("lever:offer:" + offer.id);
    for (const auto& file : opp.files)
      out["file"].insert((file.resume ? "lever:resume:" : "lever:file:") + file.id);
    for (const auto& offer : opp.offers) {
      if (offer.sent_document)
        out["file"].insert("lever:offer_document:" + offer.id + ":sent");
      if (offer.signed_document)
        out["file"].insert("lever:offer_document:" + offer.id + ":signed");
    }
    if (opp.application.answer_file)
      out["file"].insert("lever:application_file:" + opp.application.answer_file->id);
  }
  return out;
}

}  // namespace atsm::lever::testing
