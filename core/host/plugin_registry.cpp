#include "host/plugin_registry.hpp"

#include <sys/stat.h>

#include "host/child_process.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <boost/dll/library_info.hpp>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/json.hpp>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace atsm::host {
namespace {

// The smallest descriptor an ABI 1.0 plugin can hand over: every field up to get_extension.
constexpr size_t kMinimumDescriptorSize =
    offsetof(atsm_connector, get_extension) + sizeof(atsm_connector::get_extension);

class Refused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bounds on what a descriptor may hand over: a listing prints these, and a plugin that hands
// over a megabyte of "description" is broken, not verbose.
constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxVersionLength = 64;
constexpr size_t kMaxDescriptionLength = 1024;
constexpr size_t kMaxJsonFieldLength = 256 * 1024;

// strlen that stops looking past `limit`: limit + 1 means "too long".
size_t bounded_length(const char* text, size_t limit) {
  return text == nullptr ? 0 : ::strnlen(text, limit + 1);
}

bool valid_name(const char* name) {
  if (name == nullptr || *name == '\0' || bounded_length(name, kMaxNameLength) > kMaxNameLength)
    return false;
  for (const char* c = name; *c != '\0'; ++c) {
    bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-';
    if (!ok)
      return false;
  }
  return true;
}

boost::json::array parse_array(const char* text, const char* field) {
  if (text == nullptr)
    return {};
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(text, error);
  if (error)
    throw Refused(fmt::format("descriptor field {} is not valid JSON: {}", field, error.message()));
  if (!value.is_array())
    throw Refused(fmt::format("descriptor field {} is not a JSON array", field));
  return value.as_array();
}

std::string string_member(const boost::json::object& object, const char* key, const char* field,
                          size_t index, bool required) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) {
    if (required)
      throw Refused(fmt::format("descriptor field {}[{}] lacks \"{}\"", field, index, key));
    return {};
  }
  if (!value->is_string()) {
    throw Refused(fmt::format("descriptor field {}[{}].{} is not a string", field, index, key));
  }
  return std::string(value->as_string());
}

std::vector<std::string> parse_kinds(const char* text, const char* field) {
  std::vector<std::string> kinds;
  size_t index = 0;
  for (const boost::json::value& value : parse_array(text, field)) {
    if (!value.is_string())
      throw Refused(fmt::format("descriptor field {}[{}] is not a string", field, index));
    kinds.emplace_back(value.as_string());
    ++index;
  }
  return kinds;
}

std::vector<ConfigKey> parse_config_keys(const char* text) {
  std::vector<ConfigKey> keys;
  size_t index = 0;
  for (const boost::json::value& value : parse_array(text, "config_keys_json")) {
    if (!value.is_object())
      throw Refused(fmt::format("descriptor field config_keys_json[{}] is not an object", index));
    const boost::json::object& object = value.as_object();
    ConfigKey key;
    key.name = string_member(object, "name", "config_keys_json", index, true);
    key.type = string_member(object, "type", "config_keys_json", index, false);
    key.description = string_member(object, "description", "config_keys_json", index, false);
    if (const boost::json::value* fallback = object.if_contains("default")) {
      key.default_value = boost::json::serialize(*fallback);
    }
    if (const boost::json::value* required = object.if_contains("required")) {
      key.required = required->is_bool() && required->as_bool();
    }
    keys.push_back(std::move(key));
    ++index;
  }
  return keys;
}

std::vector<SecretSpec> parse_secrets(const char* text) {
  std::vector<SecretSpec> secrets;
  size_t index = 0;
  for (const boost::json::value& value : parse_array(text, "secrets_json")) {
    if (!value.is_object())
      throw Refused(fmt::format("descriptor field secrets_json[{}] is not an object", index));
    const boost::json::object& object = value.as_object();
    SecretSpec secret;
    secret.name = string_member(object, "name", "secrets_json", index, true);
    secret.description = string_member(object, "description", "secrets_json", index, false);
    if (const boost::json::value* required = object.if_contains("required")) {
      secret.required = required->is_bool() && required->as_bool();
    }
    secrets.push_back(std::move(secret));
    ++index;
  }
  return secrets;
}

constexpr size_t kMaxDisplayNameLength = 64;

// The name's words between '_' and '-', each capitalised, joined by a space: "legacy_ats" gives
// "Legacy Ats" (connector.h, atsm.connector.display/1, for a connector that declares none).
std::string derived_display_name(std::string_view name) {
  std::string label;
  bool word_start = true;
  for (char c : name) {
    if (c == '_' || c == '-') {
      word_start = true;
      continue;
    }
    if (word_start && !label.empty())
      label += ' ';
    label += word_start && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    word_start = false;
  }
  return label;
}

// The declared display name (atsm.connector.display/1), checked as connector.h says; nullopt when
// the connector declares none (before 1.2, or by choice).
std::optional<std::string> declared_display_name(const atsm_connector& descriptor) {
  if (descriptor.get_extension == nullptr)
    return std::nullopt;
  const auto* display = static_cast<const atsm_connector_display_v1*>(
      descriptor.get_extension(ATSM_EXT_CONNECTOR_DISPLAY));
  if (display == nullptr)
    return std::nullopt;
  if (display->struct_size < sizeof(atsm_connector_display_v1) || display->display_name == nullptr)
    throw Refused("its display name extension (atsm.connector.display/1) is short or names none");
  size_t length = bounded_length(display->display_name, kMaxDisplayNameLength);
  if (length == 0 || length > kMaxDisplayNameLength)
    throw Refused(
        fmt::format("its display name is empty or longer than {} bytes", kMaxDisplayNameLength));
  std::string name(display->display_name, length);
  // boost::json's parser checks the UTF-8; quotes and backslashes are escaped for it.
  std::string quoted = "\"";
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw Refused("its display name contains a control character");
    if (c == '"' || c == '\\')
      quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  boost::system::error_code error;
  boost::json::parse(quoted, error);
  if (error)
    throw Refused("its display name is not valid UTF-8");
  return name;
}

void check_permissions(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw Refused(fmt::format("cannot stat: {}", std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode))
    throw Refused("not a regular file");
  // Anyone who can write the file can run code as the user who migrates the data.
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    throw Refused(fmt::format("writable by group or others (mode {:04o}); run chmod go-w on it",
                              info.st_mode & 07777));
  }
}

void check_entry_symbol(const std::filesystem::path& path) {
  std::vector<std::string> symbols;
  try {
    // Reads the ELF symbol table without running any of the plugin's code.
    boost::dll::library_info info(boost::dll::fs::path(path.string()));
    symbols = info.symbols();
  } catch (const std::exception& error) {
    throw Refused(fmt::format("not a loadable shared library ({})", error.what()));
  }
  if (std::find(symbols.begin(), symbols.end(), ATSM_ENTRY_SYMBOL) == symbols.end()) {
    throw Refused(
        fmt::format("no entry symbol {} (is it an atsmigrate connector?)", ATSM_ENTRY_SYMBOL));
  }
}

void check_descriptor(const atsm_connector& descriptor) {
  if (!valid_name(descriptor.name)) {
    throw Refused("descriptor name is missing or not of [a-z0-9_-]{1,64}");
  }
  if (descriptor.version == nullptr || *descriptor.version == '\0') {
    throw Refused("descriptor has no version");
  }
  if (bounded_length(descriptor.version, kMaxVersionLength) > kMaxVersionLength)
    throw Refused(fmt::format("descriptor version is longer than {} bytes", kMaxVersionLength));
  if (bounded_length(descriptor.description, kMaxDescriptionLength) > kMaxDescriptionLength) {
    throw Refused(
        fmt::format("descriptor description is longer than {} bytes", kMaxDescriptionLength));
  }
  const std::pair<const char*, const char*> json_fields[] = {
      {"source_kinds_json", descriptor.source_kinds_json},
      {"sink_kinds_json", descriptor.sink_kinds_json},
      {"config_keys_json", descriptor.config_keys_json},
      {"secrets_json", descriptor.secrets_json}};
  for (const auto& [field, text] : json_fields) {
    if (bounded_length(text, kMaxJsonFieldLength) > kMaxJsonFieldLength)
      throw Refused(
          fmt::format("descriptor field {} is longer than {} bytes", field, kMaxJsonFieldLength));
  }
  if ((descriptor.roles & (ATSM_ROLE_SOURCE | ATSM_ROLE_SINK)) == 0) {
    throw Refused("descriptor declares neither the source nor the sink role");
  }
  if (descriptor.open == nullptr || descriptor.close == nullptr) {
    throw Refused("descriptor lacks open or close");
  }
  if ((descriptor.roles & ATSM_ROLE_SOURCE) && descriptor.read == nullptr) {
    throw Refused("a source without read");
  }
  if ((descriptor.roles & ATSM_ROLE_SINK) &&
      (descriptor.prepare == nullptr || descriptor.write == nullptr)) {
    throw Refused("a sink without prepare or write");
  }
  if ((descriptor.capabilities & ATSM_CAP_FIND) && descriptor.find == nullptr) {
    throw Refused("declares the find capability without a find function");
  }
  if ((descriptor.capabilities & ATSM_CAP_READ_BACK) && descriptor.read_back == nullptr) {
    throw Refused("declares the read_back capability without a read_back function");
  }
}

}  // namespace

std::string abi_version_text(uint32_t version) {
  return fmt::format("{}.{}", ATSM_ABI_MAJOR(version), ATSM_ABI_MINOR(version));
}

std::string PluginRefusal::line() const {
  return fmt::format("refused plugin {}: {}", path.string(), reason);
}

LoadedPlugin::LoadedPlugin(boost::dll::shared_library library, std::filesystem::path path,
                           const atsm_connector& descriptor)
    : library_(std::move(library)), path_(std::move(path)), descriptor_(descriptor) {
  name_ = descriptor_.name;
  version_ = descriptor_.version;
  description_ = descriptor_.description ? descriptor_.description : "";
  source_kinds_ = parse_kinds(descriptor_.source_kinds_json, "source_kinds_json");
  sink_kinds_ = parse_kinds(descriptor_.sink_kinds_json, "sink_kinds_json");
  config_keys_ = parse_config_keys(descriptor_.config_keys_json);
  secrets_ = parse_secrets(descriptor_.secrets_json);
  if (is_source() && source_kinds_.empty())
    throw Refused("a source that lists no source kinds");
  if (is_sink() && sink_kinds_.empty())
    throw Refused("a sink that lists no sink kinds");
  std::optional<std::string> declared = declared_display_name(descriptor_);
  declares_display_name_ = declared.has_value();
  display_name_ = declared ? *declared : derived_display_name(name_);
}

std::vector<std::string> LoadedPlugin::roles() const {
  std::vector<std::string> roles;
  if (is_source())
    roles.emplace_back("source");
  if (is_sink())
    roles.emplace_back("sink");
  return roles;
}

std::vector<std::string> LoadedPlugin::capabilities() const {
  std::vector<std::string> names;
  uint32_t caps = descriptor_.capabilities;
  if (caps & ATSM_CAP_THREAD_SAFE)
    names.emplace_back("thread_safe");
  if (caps & ATSM_CAP_INCREMENTAL)
    names.emplace_back("incremental");
  if (caps & ATSM_CAP_FIND)
    names.emplace_back("find");
  if (caps & ATSM_CAP_READ_BACK)
    names.emplace_back("read_back");
  if (caps & ATSM_CAP_VERBATIM)
    names.emplace_back("verbatim");
  return names;
}

void PluginRegistry::probe(const std::filesystem::path& path) const {
  ChildOutcome outcome = run_in_child(
      [&path]() -> std::string {
        PluginRegistry alone;
        if (alone.load_file(path) != nullptr)
          return {};
        return alone.refusals().empty() ? std::string("refused") : alone.refusals().back().reason;
      },
      probe_timeout_s_, 3);
  if (!outcome.answer) {
    std::string failure =
        outcome.timed_out ? fmt::format("no answer within {} s (a hang); killed", probe_timeout_s_)
                          : outcome.failure();
    // The child's last line (a sanitizer's or the plugin's own) often says what went wrong.
    std::string last = outcome.log_tail.empty() ? std::string() : outcome.log_tail.back();
    throw Refused(fmt::format("its entry point or descriptor broke a probe process: {}{}{}",
                              failure, last.empty() ? "" : "; its last output: ", last));
  }
  if (!outcome.answer->empty())
    throw Refused(*outcome.answer);
}

void PluginRegistry::refuse(const std::filesystem::path& path, const std::string& reason) {
  spdlog::debug("refused plugin {}: {}", path.string(), reason);
  refusals_.push_back({path, reason});
}

const LoadedPlugin* PluginRegistry::load_file(const std::filesystem::path& path) {
  try {
    check_permissions(path);
    check_entry_symbol(path);
    if (probe_timeout_s_ > 0)
      probe(path);

    boost::dll::shared_library library;
    try {
      // rtld_now: an unresolved symbol fails here, with the file named, not on first call.
      library.load(boost::dll::fs::path(path.string()),
                   boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& error) {
      throw Refused(fmt::format("cannot be loaded: {}", error.what()));
    }
    ConnectorEntry entry = library.get<const atsm_connector*(uint32_t)>(ATSM_ENTRY_SYMBOL);
    return register_entry(std::move(library), path, entry);
  } catch (const std::exception& refusal) {
    refuse(path, refusal.what());
  }
  return nullptr;
}

const LoadedPlugin* PluginRegistry::register_entry(boost::dll::shared_library library,
                                                   const std::filesystem::path& path,
                                                   ConnectorEntry entry) {
  const atsm_connector* raw = nullptr;
  try {
    raw = entry(ATSM_ABI_VERSION);
  } catch (...) {
    // A C entry point must not throw; one that does is refused rather than trusted.
    throw Refused("its entry point threw an exception");
  }
  if (raw == nullptr) {
    throw Refused(fmt::format("its entry point returned no descriptor for host ABI {}",
                              abi_version_text(ATSM_ABI_VERSION)));
  }
  if (ATSM_ABI_MAJOR(raw->abi_version) != ATSM_ABI_VERSION_MAJOR) {
    throw Refused(fmt::format("built for connector ABI {}, but this atsmigrate speaks ABI {}",
                              abi_version_text(raw->abi_version),
                              abi_version_text(ATSM_ABI_VERSION)));
  }
  if (raw->struct_size < kMinimumDescriptorSize) {
    throw Refused(fmt::format("descriptor is {} bytes; ABI {} needs at least {}", raw->struct_size,
                              abi_version_text(ATSM_ABI_VERSION), kMinimumDescriptorSize));
  }
  // Read only what the plugin wrote; zero what a newer host knows and it does not.
  atsm_connector descriptor{};
  std::memcpy(&descriptor, raw, std::min<size_t>(raw->struct_size, sizeof descriptor));
  // Mixed minors (connector.h): a bit its own minor did not define, or a required one unknown.
  if (uint32_t bits = atsm_capabilities_unservable(descriptor.abi_version, descriptor.capabilities))
    throw Refused(fmt::format(
        "built for ABI {}, it sets capability bits 0x{:x} that this "
        "atsmigrate (ABI {}) cannot honour for it",
        abi_version_text(descriptor.abi_version), bits, abi_version_text(ATSM_ABI_VERSION)));
  check_descriptor(descriptor);
  if (const LoadedPlugin* existing = find(descriptor.name)) {
    throw Refused(fmt::format("the name '{}' is already taken by {}", descriptor.name,
                              existing->path().string()));
  }
  plugins_.push_back(std::make_unique<LoadedPlugin>(std::move(library), path, descriptor));
  spdlog::debug("loaded plugin {} {} (ABI {}) from {}", descriptor.name, descriptor.version,
                abi_version_text(descriptor.abi_version), path.string());
  return plugins_.back().get();
}

const LoadedPlugin* PluginRegistry::add_static(ConnectorEntry entry, const std::string& label) {
  std::filesystem::path path = "<static>/" + label;
  try {
    if (entry == nullptr)
      throw Refused("no entry function");
    return register_entry(boost::dll::shared_library(), path, entry);
  } catch (const std::exception& refusal) {
    refuse(path, refusal.what());
  }
  return nullptr;
}

void PluginRegistry::load_directories(const std::vector<std::filesystem::path>& directories) {
  const std::string suffix = boost::dll::shared_library::suffix().string();
  for (const std::filesystem::path& directory : directories) {
    std::error_code error;
    if (!std::filesystem::is_directory(directory, error)) {
      refusals_.push_back({directory, "plugin directory does not exist"});
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
      if (entry.path().extension() == suffix) {
        files.push_back(std::filesystem::absolute(entry.path()).lexically_normal());
      }
    }
    // Sorted, so which of two same-named plugins wins does not depend on the file system.
    std::sort(files.begin(), files.end());
    for (const std::filesystem::path& file : files)
      load_file(file);
  }
}

const LoadedPlugin* PluginRegistry::find(const std::string& name) const {
  for (const auto& plugin : plugins_) {
    if (plugin->name() == name)
      return plugin.get();
  }
  return nullptr;
}

std::vector<std::filesystem::path> plugin_search_path(
    const std::vector<std::string>& command_line_paths) {
  std::vector<std::filesystem::path> directories;
  for (const std::string& path : command_line_paths)
    directories.emplace_back(path);
  if (const char* environment = std::getenv("ATSMIGRATE_PLUGIN_PATH")) {
    std::string_view rest(environment);
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view item = rest.substr(0, colon);
      if (!item.empty())
        directories.emplace_back(std::string(item));
      if (colon == std::string_view::npos)
        break;
      rest.remove_prefix(colon + 1);
    }
  }
  std::filesystem::path executable = boost::dll::program_location().string();
  std::filesystem::path own =
      executable.parent_path().parent_path() / "lib" / "atsmigrate" / "plugins";
  std::error_code error;
  if (std::filesystem::is_directory(own, error))
    directories.push_back(own.lexically_normal());
  return directories;
}

}  // namespace atsm::host
