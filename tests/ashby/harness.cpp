#include "harness.hpp"

#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "services/net/log.hpp"

namespace atsm::ashby::testing {

AshbyHarness::AshbyHarness(int persons, sandbox::FaultRates faults,
                           const json::object& extra_config, int latency_ms, double rate_scale,
                           std::optional<bool> applications_on_closed_jobs, int stall_ms)
    : extra_config_(extra_config), rate_scale_(rate_scale) {
  sandbox::Options options;
  options.stall_ms = stall_ms;
  options.ashby_applications_on_closed_jobs = applications_on_closed_jobs;
  options.persons = persons;
  options.seed = 7;
  // Limits scaled up so the tests are fast; the plugin declares the scaled limit too.
  options.rate_scale = rate_scale;
  options.latency_ms = latency_ms;
  options.faults[static_cast<size_t>(sandbox::Vendor::ashby)] = faults;
  sandbox_ = std::make_unique<sandbox::Sandbox>(options);
  sandbox_->start();
  spec_validator_ = atsm::testing::start_ashby_spec_validator(sandbox_->endpoints().ashby_url);

  std::filesystem::path credentials = dir_.path() / "credentials";
  {
    std::ofstream out(credentials);
    out << "ASHBY_API_KEY=" << sandbox_->credentials().ashby_api_key << "\n";
  }
  std::filesystem::permissions(
      credentials, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  secrets_ = std::make_unique<net::SecretStore>(credentials);
  net::HttpClientOptions http_options;
  http_options.rate_limiter = &limiter_;
  http_options.backoff_base = std::chrono::milliseconds(1);
  http_options.backoff_cap = std::chrono::milliseconds(20);
  http_ = std::make_unique<net::HttpClient>(http_options);
  blobs_ = std::make_unique<store::BlobStore>(dir_.path() / "blobs");
  ledger_ = std::make_unique<store::Ledger>(dir_.path() / "ledger.sqlite");
  log_stream_ = std::make_shared<std::ostringstream>();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*log_stream_);
  auto logger = std::make_shared<spdlog::logger>("ashby-test", net::make_redacting(sink));
  logger->set_level(spdlog::level::debug);
  shared_.reset(new host::SharedServices{
      *secrets_, limiter_, *http_, *blobs_, logger, ledger_.get(), "ashby-test", {}});
  plugin_ = registry_.load_file(ATSM_ASHBY_PLUGIN);
  if (plugin_ == nullptr) {
    std::string reasons;
    for (const auto& refusal : registry_.refusals())
      reasons += refusal.line() + "\n";
    throw std::runtime_error("the Ashby plugin did not load: " + reasons);
  }
  instance_ = open_instance();
}

AshbyHarness::~AshbyHarness() {
  // Close the client's keep-alive connections first, so the emulator does not wait them out.
  instance_.reset();
  services_.clear();
  http_.reset();
  atsm::testing::expect_no_ashby_spec_violations(spec_validator_.get());
  spec_validator_.reset();
  sandbox_->stop();
}

json::object AshbyHarness::config(const json::object& extra) const {
  json::object config{{"base_url", atsm::testing::ashby_url_through(
                                       spec_validator_.get(), sandbox_->endpoints().ashby_url)},
                      {"rate_limit_per_minute", 1000 * rate_scale_},
                      // The datasets hold confidential jobs; the tests of the hold ask for it.
                      {"confidential_jobs", "proceed"}};
  for (const auto& [key, value] : extra_config_)
    config[key] = value;
  for (const auto& [key, value] : extra)
    config[key] = value;
  return config;
}

std::unique_ptr<host::ConnectorInstance> AshbyHarness::open_instance(
    const json::object& extra_config) {
  services_.push_back(std::make_unique<host::RunServices>(*shared_, "ashby"));
  return std::make_unique<host::ConnectorInstance>(*plugin_, *services_.back(),
                                                   json::serialize(config(extra_config)));
}

namespace {

json::value get_json(const std::string& base_url, const std::string& path) {
  httplib::Client client(base_url);
  auto response = client.Get(path);
  if (!response || response->status != 200)
    throw std::runtime_error("GET " + path + " failed");
  return json::parse(response->body);
}

}  // namespace

json::object AshbyHarness::state(bool details) {
  return get_json(sandbox_->endpoints().ashby_url,
                  std::string("/_sandbox/state?details=") + (details ? "true" : "false"))
      .as_object();
}

std::map<std::string, int64_t> AshbyHarness::request_counts() {
  std::map<std::string, int64_t> counts;
  json::value stats = get_json(sandbox_->endpoints().ashby_url, "/_sandbox/stats");
  for (const auto& [endpoint, count] : stats.at("requests").as_object())
    counts[std::string(endpoint)] = count.to_number<int64_t>();
  return counts;
}

json::object AshbyHarness::truth(const std::string& source) {
  return get_json(sandbox_->endpoints().ashby_url, "/_sandbox/truth?source=" + source).as_object();
}

json::object AshbyHarness::ashby(const std::string& method, const json::object& body) {
  httplib::Client client(sandbox_->endpoints().ashby_url);
  client.set_basic_auth(sandbox_->credentials().ashby_api_key, "");
  auto response = client.Post("/" + method, json::serialize(body), "application/json");
  if (!response)
    throw std::runtime_error("POST /" + method + " got no response");
  return json::parse(response->body).as_object();
}

std::string AshbyHarness::put_blob(const std::string& bytes) {
  return blobs_->put(bytes);
}

json::object AshbyHarness::prepare(const json::object& plan) {
  return prepare_on(*instance_, plan);
}

json::object AshbyHarness::prepare_on(host::ConnectorInstance& sink, const json::object& plan) {
  json::object full{{"source", "lever"},
                    {"options", plan_options()},
                    {"counts", json::object{}},
                    {"references", json::object{}},
                    {"mapping", json::object{}}};
  for (const auto& [key, value] : plan)
    full[key] = value;
  return sink.prepare(json::serialize(full));
}

json::object plan_options() {
  // Every option with the host's default (README's mapping file, pipeline::MigrationOptions), as
  // the host sends them, and the sandbox's interview plan and API user.
  return json::object{{"dedup", "email"},
                      {"jobless", "candidate_only"},
                      {"scorecards", "feedback_and_note"},
                      {"private_notes", "private"},
                      {"interviews", "note"},
                      {"offers", "note"},
                      {"confidential", "migrate"},
                      {"prospects", "migrate"},
                      {"feedback_form", "Migrated feedback"},
                      {"default_interview_plan", "Default Interview Plan"},
                      {"fallback_user", "migration-bot@acme.example"}};
}

const std::string& AshbyHarness::log_text() const {
  log_copy_ = log_stream_->str();
  return log_copy_;
}

json::object item(const std::string& key, json::object record,
                  const std::map<std::string, std::string>& refs) {
  json::object refs_json;
  for (const auto& [source, target] : refs)
    refs_json[source] = target;
  return json::object{{"key", key}, {"record", std::move(record)}, {"refs", std::move(refs_json)}};
}

int64_t calls(const std::map<std::string, int64_t>& counts, const std::string& method) {
  int64_t total = 0;
  for (const auto& [endpoint, count] : counts)
    if (endpoint == "POST /" + method)
      total += count;
  return total;
}

std::map<std::string, int64_t> delta(const std::map<std::string, int64_t>& before,
                                     const std::map<std::string, int64_t>& after) {
  std::map<std::string, int64_t> out;
  for (const auto& [endpoint, count] : after) {
    auto it = before.find(endpoint);
    int64_t difference = count - (it == before.end() ? 0 : it->second);
    if (difference != 0)
      out[endpoint] = difference;
  }
  return out;
}

}  // namespace atsm::ashby::testing
