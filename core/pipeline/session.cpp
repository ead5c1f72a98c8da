#include "pipeline/session.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <fstream>

#include "pipeline/accounts.hpp"
#include "pipeline/migration_options.hpp"
#include "pipeline/progress.hpp"
#include "services/net/log.hpp"
#include "services/store/private_fs.hpp"
#include "services/store/sha256.hpp"

namespace atsm::pipeline {
namespace {

boost::json::object read_config_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw UsageError(fmt::format("--config {}: cannot read the file", file.string()));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(text, error);
  if (error)
    throw UsageError(
        fmt::format("--config {}: not valid JSON: {}", file.string(), error.message()));
  if (!value.is_object()) {
    throw UsageError(
        fmt::format("--config {}: expected a JSON object keyed by plugin name", file.string()));
  }
  for (const auto& [plugin, keys] : value.as_object()) {
    if (!keys.is_object()) {
      throw UsageError(
          fmt::format("--config {}: the value of \"{}\" must be an object of that plugin's keys",
                      file.string(), std::string(plugin)));
    }
  }
  return value.as_object();
}

// --set PLUGIN.KEY=VALUE: VALUE is taken as JSON when it parses (numbers, true, objects), else as
// a string, so `--set lever.page_size=50` and `--set ashby.base_url=http://...` both do the
// obvious.
void apply_setting(boost::json::object& config, const std::string& setting) {
  size_t dot = setting.find('.');
  size_t equals = setting.find('=');
  if (dot == std::string::npos || equals == std::string::npos || dot > equals || dot == 0 ||
      equals == dot + 1) {
    // The value is not echoed: a secret put here by mistake must not reach the terminal.
    throw UsageError(fmt::format("--set {}: expected PLUGIN.KEY=VALUE",
                                 equals == std::string::npos ? std::string("(value not shown)")
                                                             : setting.substr(0, equals) + "=..."));
  }
  std::string plugin = setting.substr(0, dot);
  std::string key = setting.substr(dot + 1, equals - dot - 1);
  std::string text = setting.substr(equals + 1);
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(text, error);
  if (error)
    value = boost::json::string(text);
  boost::json::value& entry = config[plugin];
  if (!entry.is_object())
    entry = boost::json::object();
  entry.as_object()[key] = std::move(value);
}

// Every key of `keys` is one `plugin` declares.
void check_config_keys(const host::LoadedPlugin& plugin, const boost::json::object& keys) {
  std::vector<std::string> unknown;
  for (const auto& [key, value] : keys) {
    bool known = false;
    for (const host::ConfigKey& spec : plugin.config_keys())
      known = known || spec.name == key;
    if (!known)
      unknown.emplace_back(key);
  }
  if (unknown.empty())
    return;
  std::vector<std::string> valid;
  for (const host::ConfigKey& spec : plugin.config_keys())
    valid.push_back(spec.name);
  // Migration options were once sink keys (`--set ashby.scorecards=note`): say where they went.
  std::vector<std::string> moved;
  for (const std::string& key : unknown) {
    for (const MigrationOptionSpec& option : migration_option_specs())
      if (key == option.name)
        moved.push_back(
            fmt::format("{} is a migration option, set in the mapping file's \"options\"", key));
  }
  if (!moved.empty())
    throw UsageError(fmt::format("configuration key{} for plugin {}: {}",
                                 moved.size() > 1 ? "s" : "", plugin.name(),
                                 fmt::join(moved, "; ")));
  throw UsageError(
      fmt::format("unknown configuration key{} for plugin {}: {} (valid: {})",
                  unknown.size() > 1 ? "s" : "", plugin.name(), fmt::join(unknown, ", "),
                  valid.empty() ? std::string("none") : fmt::format("{}", fmt::join(valid, ", "))));
}

}  // namespace

WorkDir::WorkDir(std::filesystem::path dir) : root(std::move(dir)) {
  store::fs::ensure_private_directory(root);
}

void write_private_file(const std::filesystem::path& file, std::string_view text) {
  std::filesystem::path temp = file;
  temp += ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
  store::fs::UniqueFd owned(fd);
  ::fchmod(fd, 0600);  // an older file of that name may have had another mode
  store::fs::write_all(fd, text, temp);
  store::fs::fsync_fd(fd, temp);
  owned.close(temp);
  std::filesystem::rename(temp, file);
}

Session::Session(const SessionOptions& options) : options_(options), work_dir_(options.work_dir) {
  if (options_.lock_work_dir)
    lock_.emplace(work_dir_.root, options_.step);
  // A plugin that crashes when loaded must not take down a run that does not even use it.
  registry_.probe_in_child_process();
  for (host::ConnectorEntry entry : options_.in_process_connectors)
    registry_.add_static(entry, "in-process");
  registry_.load_directories(host::plugin_search_path(options_.plugin_paths));
  for (const host::PluginRefusal& refusal : registry_.refusals())
    spdlog::warn("{}", refusal.line());

  if (options_.config_file)
    config_ = read_config_file(*options_.config_file);
  for (const std::string& setting : options_.settings)
    apply_setting(config_, setting);
  // One config file may serve every vendor an operator migrates (Lever, then Greenhouse):
  // sections of plugins this run does not use are checked and kept aside; only a plugin or key
  // that does not exist is a mistake.
  for (const auto& [plugin, keys] : config_) {
    std::string name(plugin);
    const host::LoadedPlugin* known = registry_.find(name);
    if (known == nullptr) {
      if (name == options_.source || name == options_.sink)
        continue;  // the missing plugin itself is the error, reported by require_plugin
      std::vector<std::string> names;
      for (const auto& loaded : registry_.plugins())
        names.push_back(loaded->name());
      throw UsageError(fmt::format(
          "configuration for plugin '{}', which is not installed (loaded: {})", name,
          names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
    }
    check_config_keys(*known, keys.as_object());
    if (name != options_.source && name != options_.sink)
      spdlog::info("configuration for plugin '{}' is not used by this run", name);
  }

  if (options_.credentials_file) {
    try {
      secrets_ = net::SecretStore(*options_.credentials_file);
    } catch (const net::SecretsError& error) {
      throw UsageError(error.what());
    }
  }
  net::HttpClientOptions http_options;
  http_options.rate_limiter = &limiter_;
  // The sandbox and rehearsal targets run on loopback with self-signed certificates at most.
  http_options.allow_insecure_loopback_tls = true;
  if (options_.max_response_mb == 0 || options_.max_record_mb == 0)
    throw UsageError("--max-response-mb and --max-record-mb must be at least 1");
  http_options.max_body_bytes = options_.max_response_mb << 20;
  http_options.on_wait = [](const net::WaitNotice& wait) {
    Progress::note_wait(
        fmt::format("{} answered HTTP {} with Retry-After", wait.endpoint, wait.status),
        std::chrono::steady_clock::now() + wait.delay);
  };
  http_ = std::make_unique<net::HttpClient>(http_options);
  blobs_ = std::make_unique<store::BlobStore>(work_dir_.blobs());
  staging_ = std::make_unique<store::StagingStore>(work_dir_.staging());
  ledger_ = std::make_unique<store::Ledger>(work_dir_.ledger());
  shared_.reset(new host::SharedServices{secrets_,
                                         limiter_,
                                         *http_,
                                         *blobs_,
                                         spdlog::default_logger(),
                                         ledger_.get(),
                                         ledger_scope(),
                                         {}});
  shared_->on_warning = [this](const std::string& plugin, std::string_view message) {
    record_notice(plugin, message);
  };
  shared_->max_retry_after = http_options.max_retry_after;
}

void Session::throw_if_failed() const {
  if (std::optional<std::string> failure = shared_->run_failure())
    throw std::runtime_error(*failure);
}

namespace {
constexpr const char* kNoticeKind = "notice";
constexpr std::size_t kMaxNoticeLength = 500;
}  // namespace

AuditTrail& Session::audit() {
  std::call_once(audit_opened_,
                 [this] { audit_ = std::make_unique<AuditTrail>(work_dir_.audit()); });
  return *audit_;
}

void Session::record_notice(const std::string& plugin, std::string_view message) {
  std::lock_guard lock(notices_mutex_);
  std::string text(message.substr(0, kMaxNoticeLength));
  // Keyed by the text: the same warning from a resumed run is stored once.
  const store::RecordToStage notice{store::sha256_hex(text),
                                    boost::json::serialize(boost::json::object{{"message", text}}),
                                    "null"};
  staging_->put_batch(plugin, kNoticeKind, std::span(&notice, 1), std::nullopt);
}

void Session::for_each_notice(
    const std::function<void(const std::string& plugin, const std::string& message)>& each) const {
  staging_->for_each({kNoticeKind, std::nullopt}, [&](const store::StagedRecord& staged) {
    boost::json::value record = boost::json::parse(staged.record_json);
    const boost::json::value* text = record.as_object().if_contains("message");
    each(staged.source, text && text->is_string() ? std::string(text->as_string()) : "");
  });
}

std::vector<std::pair<std::string, std::string>> Session::notices() const {
  std::vector<std::pair<std::string, std::string>> out;
  for_each_notice([&](const std::string& plugin, const std::string& message) {
    out.emplace_back(plugin, message);
  });
  return out;
}

Session::~Session() {
  // Instances close before the services they borrow go away.
  sink_.reset();
  source_.reset();
}

const host::LoadedPlugin& Session::require_plugin(const std::string& name, const char* role) {
  if (name.empty())
    throw UsageError(fmt::format("no {} given (--{} NAME)", role, role));
  const host::LoadedPlugin* plugin = registry_.find(name);
  if (plugin == nullptr) {
    std::vector<std::string> names;
    for (const auto& loaded : registry_.plugins())
      names.push_back(loaded->name());
    throw UsageError(fmt::format(
        "no {} plugin named '{}' (loaded: {}; see `atsmigrate plugins list`)", role, name,
        names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
  }
  bool fits = std::string(role) == "source" ? plugin->is_source() : plugin->is_sink();
  if (!fits)
    throw UsageError(fmt::format("plugin '{}' cannot be a {}", name, role));
  return *plugin;
}

const host::LoadedPlugin& Session::source_plugin() {
  return require_plugin(options_.source, "source");
}
boost::json::object Session::source_display_names() const {
  boost::json::object names;
  for (const auto& plugin : registry_.plugins()) {
    if (plugin->is_source())
      names[plugin->name()] = plugin->display_name();
  }
  return names;
}
const host::LoadedPlugin& Session::sink_plugin() {
  return require_plugin(options_.sink, "sink");
}

std::string Session::plugin_config(const host::LoadedPlugin& plugin) const {
  boost::json::object keys;
  if (const boost::json::value* given = config_.if_contains(plugin.name()))
    keys = given->as_object();
  check_config_keys(plugin, keys);
  return boost::json::serialize(keys);
}

std::unique_ptr<host::ConnectorInstance> Session::open_instance(const host::LoadedPlugin& plugin) {
  run_services_.push_back(std::make_unique<host::RunServices>(*shared_, plugin.name()));
  try {
    return std::make_unique<host::ConnectorInstance>(plugin, *run_services_.back(),
                                                     plugin_config(plugin));
  } catch (const host::Error& error) {
    // A plugin refuses a configuration value (wrong type, out of range) with ATSM_INVALID at
    // open: the user's mistake (exit 1), not a failed run.
    if (error.status() == ATSM_INVALID)
      throw UsageError(error.what());
    throw;
  }
}

void Session::open_plugins(bool source_needed, bool sink_needed) {
  if (source_needed || !options_.source.empty())
    source();
  if (sink_needed || !options_.sink.empty())
    sink();
}

void Session::set_source_since(const std::string& since) {
  const host::LoadedPlugin& plugin = source_plugin();
  if (source_)
    throw std::logic_error("set_source_since after the source opened");
  if ((plugin.descriptor().capabilities & ATSM_CAP_INCREMENTAL) == 0)
    throw UsageError(fmt::format(
        "source '{}' cannot read only what changed (no incremental capability): run without "
        "--since/--delta",
        plugin.name()));
  boost::json::value& entry = config_[plugin.name()];
  if (!entry.is_object())
    entry = boost::json::object();
  entry.as_object()["since"] = since;
}

host::ConnectorInstance& Session::source() {
  if (!source_) {
    check_account(source_plugin(), "source");
    source_ = open_instance(source_plugin());
    source_->set_max_record_bytes(options_.max_record_mb << 20);
  }
  return *source_;
}

host::ConnectorInstance& Session::sink() {
  if (!sink_) {
    check_account(sink_plugin(), "target");
    sink_ = open_sink_instance();
  }
  return *sink_;
}

void Session::check_account(const host::LoadedPlugin& plugin, const char* role) {
  boost::json::object config;
  if (const boost::json::value* given = config_.if_contains(plugin.name()))
    config = given->as_object();
  // The work dir belongs to an account once it holds what was read from it (the source's staged
  // records) or written to it (the target's ledger rows).
  bool holds_its_data = std::string_view(role) == "source"
                            ? !staging_->counts(plugin.name()).empty()
                            : !ledger_->counts(ledger_scope()).empty();
  bind_account(work_dir_.root, plugin.name(), role, account_of(plugin, config, secrets_),
               holds_its_data, options_.rebind_accounts);
}

std::unique_ptr<host::ConnectorInstance> Session::open_sink_instance() {
  return open_instance(sink_plugin());
}

}  // namespace atsm::pipeline
