// The Greenhouse plugin loaded through the ABI, with the real host services (libcurl HTTP, the
// shared rate limiter, secrets, blob store), reading the sandbox's emulated Greenhouse over
// loopback; shared by the connector tests (connector_test.cpp, connector_faults_test.cpp).
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include <atsmigrate/model/codec.hpp>
#include <atsmigrate/model/email.hpp>
#include <atsmigrate/model/time.hpp>
#include "host/connector_instance.hpp"
#include "host/plugin_registry.hpp"
#include "host/run_services.hpp"
#include "sandbox/dataset.hpp"
#include "sandbox/sandbox.hpp"
#include "services/net/log.hpp"
#include "store/temp_dir.hpp"

namespace atsm::greenhouse::testing {
namespace json = boost::json;
namespace model = atsm::model;
namespace sandbox = atsm::sandbox;
using atsm::sdk::Error;

constexpr std::uint64_t kSeed = 11;
constexpr int kPersons = 80;
// The sandbox's 30-s window shrinks to 30/kRateScale s; the plugin is told the same.
constexpr double kRateScale = 30.0;

inline std::string key(const char* object, std::int64_t id) {
  return std::string("greenhouse:") + object + ":" + std::to_string(id);
}

inline sandbox::Options sandbox_options() {
  sandbox::Options options;
  options.seed = kSeed;
  options.persons = kPersons;
  options.rate_scale = kRateScale;
  return options;
}

// Everything a run lends the plugin, over a sandbox started in-process.
class Harness {
 public:
  // `file_credentials`: what the run's credentials file holds; default the sandbox's own.
  explicit Harness(sandbox::Options options,
                   std::optional<sandbox::Credentials> file_credentials = std::nullopt)
      : sandbox_(options) {
    sandbox_.start();
    sandbox::write_credentials_file(dir_.path() / "credentials",
                                    file_credentials.value_or(sandbox_.credentials()));
    secrets_ = std::make_unique<atsm::net::SecretStore>(dir_.path() / "credentials");
    blobs_ = std::make_unique<atsm::store::BlobStore>(dir_.path() / "blobs");
    atsm::net::HttpClientOptions http_options;
    http_options.rate_limiter = &limiter_;
    http_options.backoff_base = std::chrono::milliseconds(1);
    http_options.backoff_cap = std::chrono::milliseconds(50);
    http_ = std::make_unique<atsm::net::HttpClient>(http_options);
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    logger_ = std::make_shared<spdlog::logger>("greenhouse-test", atsm::net::make_redacting(sink));
    logger_->set_level(spdlog::level::debug);
    shared_.reset(new atsm::host::SharedServices{
        *secrets_, limiter_, *http_, *blobs_, logger_, nullptr, "greenhouse-test", {}});
    services_ = std::make_unique<atsm::host::RunServices>(*shared_, "greenhouse");
    plugin_ = registry_.load_file(GREENHOUSE_PLUGIN);
    if (plugin_ == nullptr)
      throw std::runtime_error(registry_.refusals().back().line());
  }

  json::object config(const std::string& base_url = {}) const {
    const std::string& url = sandbox_.endpoints().greenhouse_url;
    return json::object{{"base_url", base_url.empty() ? url : base_url},
                        {"token_url", url + "/token"},
                        {"rate_scale", kRateScale}};
  }

  std::unique_ptr<atsm::host::ConnectorInstance> open(const json::object& config) {
    return std::make_unique<atsm::host::ConnectorInstance>(*plugin_, *services_,
                                                           json::serialize(config));
  }

  // Every record of `kind`, parsed by the model codec (as the host's extract does).
  std::vector<model::Record> read(atsm::host::ConnectorInstance& instance, const std::string& kind,
                                  const std::string& checkpoint = "") {
    std::vector<model::Record> out;
    instance.read(kind, checkpoint,
                  [&](const std::string& batch_kind, json::array& records, const std::string&) {
                    EXPECT_EQ(batch_kind, kind);
                    for (const json::value& record : records)
                      out.push_back(model::record_from_json(record));
                  });
    return out;
  }

  std::vector<model::Record> read(const std::string& kind) {
    auto instance = open(config());
    return read(*instance, kind);
  }

  json::object stats() const {
    httplib::Client client("127.0.0.1", sandbox_.endpoints().greenhouse_port);
    auto response = client.Get("/_sandbox/stats");
    return json::parse(response->body).as_object();
  }

  std::int64_t requests(const std::string& route) const {
    json::object all = stats();
    const json::value* count = all.at("requests").as_object().if_contains(route);
    return count == nullptr ? 0 : count->as_int64();
  }

  std::string log_text() {
    logger_->flush();
    return log_.str();
  }

  sandbox::Sandbox& box() { return sandbox_; }
  atsm::store::BlobStore& blobs() { return *blobs_; }

 private:
  atsm::store::testing::TempDir dir_;
  sandbox::Sandbox sandbox_;
  atsm::net::RateLimiter limiter_;
  std::unique_ptr<atsm::net::SecretStore> secrets_;
  std::unique_ptr<atsm::store::BlobStore> blobs_;
  std::unique_ptr<atsm::net::HttpClient> http_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<atsm::host::SharedServices> shared_;
  std::unique_ptr<atsm::host::RunServices> services_;
  atsm::host::PluginRegistry registry_;
  const atsm::host::LoadedPlugin* plugin_ = nullptr;
};

// Records of type T by source key; each once, and clean unless `may_have_problems` says it may
// carry validation problems (the dataset's deliberately malformed data).
template <class T>
std::map<std::string, T> by_key(const std::vector<model::Record>& records,
                                const std::function<bool(const T&)>& may_have_problems = {}) {
  std::map<std::string, T> out;
  for (const model::Record& record : records) {
    const T* typed = std::get_if<T>(&record);
    EXPECT_NE(typed, nullptr) << model::record_label(record);
    if (typed == nullptr)
      continue;
    EXPECT_TRUE(out.emplace(typed->source_key, *typed).second)
        << "emitted twice: " << typed->source_key;
    if (!may_have_problems || !may_have_problems(*typed)) {
      EXPECT_FALSE(typed->extra.contains("validation_errors"))
          << typed->source_key << ": " << json::serialize(typed->extra);
    }
  }
  return out;
}

inline bool malformed_email(const model::Person& person) {
  for (const model::Email& email : person.emails)
    if (!model::normalize_email(email.address))
      return true;
  return false;
}

inline const sandbox::GreenhouseData& dataset() {
  static const sandbox::Dataset data = sandbox::generate_dataset(kSeed, kPersons);
  return data.greenhouse;
}

// A prospect's pool and pool stage (names) and its owner, as /v3/prospect_details says; an
// application without a detail keeps its recruiter as owner and has no pool.
inline void expect_prospect_details(const std::map<std::string, model::Candidacy>& candidacies) {
  const auto& gh = dataset();
  std::map<std::int64_t, std::string> names;
  for (const auto& pool : gh.prospect_pools) {
    names[pool.id] = pool.name;
    for (const auto& stage : pool.stages)
      names[stage.id] = stage.name;
  }
  std::map<std::int64_t, const sandbox::GreenhouseData::ProspectDetail*> details;
  for (const auto& detail : gh.prospect_details)
    details[detail.application_id] = &detail;
  int pooled = 0, unpooled = 0, other_owner = 0, unowned = 0;
  for (const auto& app : gh.applications) {
    const model::Candidacy& mapped = candidacies.at(key("application", app.id));
    const std::optional<std::string>& pool = mapped.prospect_pool;
    const std::optional<std::string>& stage = mapped.prospect_pool_stage;
    auto found = details.find(app.id);
    if (found == details.end() || found->second->pool_id == 0) {
      EXPECT_EQ(pool, std::nullopt) << mapped.source_key;
      EXPECT_EQ(stage, std::nullopt) << mapped.source_key;
      unpooled += found != details.end();
    } else {
      ++pooled;
      EXPECT_EQ(pool, names.at(found->second->pool_id)) << mapped.source_key;
      EXPECT_EQ(stage, names.at(found->second->pool_stage_id)) << mapped.source_key;
    }
    std::int64_t owner = app.recruiter_id;
    if (found != details.end() && found->second->owner_id != 0) {
      owner = found->second->owner_id;
      other_owner += owner != app.recruiter_id;
    }
    unowned += found != details.end() && found->second->owner_id == 0;
    EXPECT_EQ(mapped.owner_user_key, key("user", owner)) << mapped.source_key;
  }
  EXPECT_GT(pooled, 0);
  EXPECT_GT(unpooled, 0) << "prospects outside any pool";
  EXPECT_GT(other_owner, 0) << "prospects owned by someone else than the recruiter";
  EXPECT_GT(unowned, 0) << "unowned prospects";
}

}  // namespace atsm::greenhouse::testing
