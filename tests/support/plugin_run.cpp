#include "plugin_run.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <fstream>
#include <stdexcept>

#include "services/net/log.hpp"

namespace atsm::testing {

PluginRun::PluginRun(PluginRunOptions options) : options_(std::move(options)) {
  const std::filesystem::path credentials = dir_.path() / "credentials";
  {
    std::ofstream out(credentials);
    for (const auto& [name, value] : options_.secrets)
      out << name << "=" << value << "\n";
  }
  std::filesystem::permissions(
      credentials, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  secrets_ = std::make_unique<net::SecretStore>(credentials);
  blobs_ = std::make_unique<store::BlobStore>(dir_.path() / "blobs");
  if (options_.with_ledger)
    ledger_ = std::make_unique<store::Ledger>(dir_.path() / "ledger.sqlite");
  net::HttpClientOptions http_options;
  http_options.rate_limiter = &limiter_;
  http_options.backoff_base = options_.backoff_base;
  http_options.backoff_cap = options_.backoff_cap;
  http_ = std::make_unique<net::HttpClient>(http_options);
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text_);
  logger_ = std::make_shared<spdlog::logger>(options_.name, net::make_redacting(sink));
  logger_->set_level(spdlog::level::debug);
  shared_.reset(new host::SharedServices{
      *secrets_, limiter_, *http_, *blobs_, logger_, ledger_.get(), options_.name, {}});
  plugin_ = registry_.load_file(options_.plugin_file);
  if (plugin_ == nullptr) {
    std::string reasons;
    for (const auto& refusal : registry_.refusals())
      reasons += refusal.line() + "\n";
    throw std::runtime_error("the plugin " + options_.plugin_file.string() +
                             " did not load: " + reasons);
  }
}

PluginRun::~PluginRun() {
  // The services go before the client, whose keep-alive connections then close at once.
  services_.clear();
  http_.reset();
}

std::unique_ptr<host::ConnectorInstance> PluginRun::open(const boost::json::object& config) {
  services_.push_back(std::make_unique<host::RunServices>(*shared_, plugin_->name()));
  return std::make_unique<host::ConnectorInstance>(*plugin_, *services_.back(),
                                                   boost::json::serialize(config));
}

std::string PluginRun::log() {
  logger_->flush();
  return log_text_.str();
}

}  // namespace atsm::testing
