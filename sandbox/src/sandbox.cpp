// The in-process sandbox: dataset, three servers, credentials.
#include "sandbox/sandbox.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "ashby_state.hpp"
#include "servers.hpp"
#include "util.hpp"

namespace atsm::sandbox {

Credentials random_credentials() {
  std::random_device device;
  Rng rng((static_cast<std::uint64_t>(device()) << 32) ^ device() ^
          static_cast<std::uint64_t>(now_ms()));
  return Credentials{"lvr_" + rng.hex(40), "ghc_" + rng.hex(24), "ghs_" + rng.hex(40),
                     "ashby_" + rng.hex(40)};
}

Credentials read_credentials_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read credentials file " + path.string());
  Credentials credentials;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line[0] == '#')
      continue;
    auto equals = line.find('=');
    if (equals == std::string::npos)
      throw std::runtime_error("credentials file " + path.string() + " line " +
                               std::to_string(number) + ": expected NAME=value");
    std::string name = trim(line.substr(0, equals)), value = trim(line.substr(equals + 1));
    if (name == "LEVER_API_KEY")
      credentials.lever_api_key = value;
    else if (name == "GREENHOUSE_CLIENT_ID")
      credentials.greenhouse_client_id = value;
    else if (name == "GREENHOUSE_CLIENT_SECRET")
      credentials.greenhouse_client_secret = value;
    else if (name == "ASHBY_API_KEY")
      credentials.ashby_api_key = value;
  }
  for (auto [name, value] : {std::pair{"LEVER_API_KEY", &credentials.lever_api_key},
                             {"GREENHOUSE_CLIENT_ID", &credentials.greenhouse_client_id},
                             {"GREENHOUSE_CLIENT_SECRET", &credentials.greenhouse_client_secret},
                             {"ASHBY_API_KEY", &credentials.ashby_api_key}})
    if (value->empty())
      throw std::runtime_error("credentials file " + path.string() + " has no " + name);
  return credentials;
}

void write_credentials_file(const std::filesystem::path& path, const Credentials& credentials) {
  std::string text = "LEVER_API_KEY=" + credentials.lever_api_key +
                     "\nGREENHOUSE_CLIENT_ID=" + credentials.greenhouse_client_id +
                     "\nGREENHOUSE_CLIENT_SECRET=" + credentials.greenhouse_client_secret +
                     "\nASHBY_API_KEY=" + credentials.ashby_api_key + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error("cannot create credentials file " + path.string());
  ::fchmod(fd, 0600);  // an existing file keeps its old mode through O_CREAT
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok)
    throw std::runtime_error("cannot write credentials file " + path.string());
}

struct Sandbox::Impl {
  Options options;
  Credentials credentials;
  World world;
  Sleeper sleeper;
  std::unique_ptr<AshbyState> ashby_state;
  std::unique_ptr<LeverServer> lever;
  std::unique_ptr<GreenhouseServer> greenhouse;
  std::unique_ptr<AshbyServer> ashby;
  Endpoints endpoints;
  bool started = false;
  bool stopped = false;
};

Sandbox::Sandbox(Options options) : impl_(std::make_unique<Impl>()) {
  if (!(options.rate_scale > 0))
    throw std::invalid_argument("rate_scale must be positive");
  if (options.persons < 1)
    throw std::invalid_argument("persons must be at least 1");
  impl_->options = std::move(options);
  impl_->credentials =
      impl_->options.credentials ? *impl_->options.credentials : random_credentials();
}

Sandbox::~Sandbox() {
  stop();
}

void Sandbox::start() {
  Impl& impl = *impl_;
  if (impl.started)
    return;
  if (impl.stopped)
    throw std::logic_error("a Sandbox starts once; make a new one to start again");
  // Writes to a client that went away must fail with EPIPE, not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  impl.world.data = generate_dataset(impl.options.seed, impl.options.persons);
  impl.world.reindex();
  Rng rng(mix_seed(impl.options.seed, static_cast<std::uint64_t>(now_ms())));
  impl.world.secret = rng.hex(64);
  impl.world.lever_restricted_key = "lvr_restricted_" + rng.hex(32);
  json::object config;
  if (impl.options.ashby_config_file) {
    std::ifstream in(*impl.options.ashby_config_file);
    if (!in)
      throw std::runtime_error("cannot read Ashby config " +
                               impl.options.ashby_config_file->string());
    std::stringstream text;
    text << in.rdbuf();
    try {
      config = json::parse(text.str()).as_object();
    } catch (const std::exception& error) {
      throw std::runtime_error("Ashby config " + impl.options.ashby_config_file->string() + ": " +
                               error.what());
    }
  } else {
    config = default_ashby_config(impl.world.data);
  }
  impl.ashby_state = std::make_unique<AshbyState>(
      config, impl.options.state_dir, impl.options.seed, impl.options.rate_scale,
      impl.options.ashby_max_file_bytes, impl.options.ashby_download_url_ttl_s);
  impl.ashby_state->set_applications_on_closed_jobs(
      impl.options.ashby_applications_on_closed_jobs.value_or(
          (mix_seed(impl.options.seed, 0xC105ED) & 1) == 0));
  impl.lever =
      std::make_unique<LeverServer>(impl.options, impl.sleeper, impl.world, impl.credentials);
  impl.greenhouse =
      std::make_unique<GreenhouseServer>(impl.options, impl.sleeper, impl.world, impl.credentials);
  impl.ashby = std::make_unique<AshbyServer>(impl.options, impl.sleeper, impl.world,
                                             impl.credentials, *impl.ashby_state);
  try {
    impl.lever->start(impl.options.host, impl.options.port_lever);
    impl.greenhouse->start(impl.options.host, impl.options.port_greenhouse);
    impl.ashby->start(impl.options.host, impl.options.port_ashby);
  } catch (...) {
    // Stop what did start before the servers (and what their handlers use) are destroyed.
    impl.sleeper.stop();
    impl.lever->stop();
    impl.greenhouse->stop();
    impl.ashby->stop();
    impl.stopped = true;
    throw;
  }
  auto url = [&](int port) { return "http://" + impl.options.host + ":" + std::to_string(port); };
  impl.endpoints =
      Endpoints{impl.lever->port(),      impl.greenhouse->port(),      impl.ashby->port(),
                url(impl.lever->port()), url(impl.greenhouse->port()), url(impl.ashby->port())};
  impl.started = true;
}

void Sandbox::stop() {
  Impl& impl = *impl_;
  if (!impl.started)
    return;
  impl.sleeper.stop();
  impl.lever->stop();
  impl.greenhouse->stop();
  impl.ashby->stop();
  impl.started = false;
  impl.stopped = true;
}

const Endpoints& Sandbox::endpoints() const {
  return impl_->endpoints;
}
const Credentials& Sandbox::credentials() const {
  return impl_->credentials;
}
const std::string& Sandbox::lever_restricted_key() const {
  return impl_->world.lever_restricted_key;
}
const Options& Sandbox::options() const {
  return impl_->options;
}

std::string Sandbox::ready_line(const std::filesystem::path& credentials_path) const {
  const Endpoints& e = impl_->endpoints;
  return json::serialize(json::object{{"ready", true},
                                      {"lever", e.lever_url},
                                      {"greenhouse", e.greenhouse_url},
                                      {"ashby", e.ashby_url},
                                      {"credentials", credentials_path.string()}});
}

}  // namespace atsm::sandbox
