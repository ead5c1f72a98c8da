// Finds connector plugins, loads them through the C ABI and refuses the ones that cannot be
// trusted to work, each with one line that names the file and the reason.
#pragma once

#include <atsmigrate/connector.h>

#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace atsm::host {

// A connector's entry function (what a plugin exports as atsm_connector_entry).
using ConnectorEntry = const atsm_connector* (*)(uint32_t host_abi_version);

struct ConfigKey {
  std::string name;
  std::string type;
  std::string description;
  std::string default_value;  // as JSON text; empty when there is no default
  bool required = false;
};

struct SecretSpec {
  std::string name;
  std::string description;
  bool required = false;
};

// A loaded plugin library and its validated descriptor. The library object outlives every table
// and instance that came from it, so LoadedPlugin is neither copied nor moved once created.
class LoadedPlugin {
 public:
  LoadedPlugin(boost::dll::shared_library library, std::filesystem::path path,
               const atsm_connector& descriptor);
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The descriptor, zero-filled beyond the plugin's struct_size (fields it does not know).
  const atsm_connector& descriptor() const { return descriptor_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& description() const { return description_; }
  // What people call the connector's system ("Lever"): the one it declares
  // (atsm.connector.display/1, ABI 1.2), else derived from the name ("legacy_ats": "Legacy Ats").
  const std::string& display_name() const { return display_name_; }
  bool declares_display_name() const { return declares_display_name_; }
  bool is_source() const { return (descriptor_.roles & ATSM_ROLE_SOURCE) != 0; }
  bool is_sink() const { return (descriptor_.roles & ATSM_ROLE_SINK) != 0; }
  std::vector<std::string> roles() const;
  std::vector<std::string> capabilities() const;
  const std::vector<std::string>& source_kinds() const { return source_kinds_; }
  const std::vector<std::string>& sink_kinds() const { return sink_kinds_; }
  const std::vector<ConfigKey>& config_keys() const { return config_keys_; }
  const std::vector<SecretSpec>& secrets() const { return secrets_; }
  uint32_t abi_version() const { return descriptor_.abi_version; }

 private:
  friend class PluginRegistry;
  boost::dll::shared_library library_;  // declared first: destroyed last
  std::filesystem::path path_;
  atsm_connector descriptor_;
  std::string name_, version_, description_, display_name_;
  bool declares_display_name_ = false;
  std::vector<std::string> source_kinds_, sink_kinds_;
  std::vector<ConfigKey> config_keys_;
  std::vector<SecretSpec> secrets_;
};

struct PluginRefusal {
  std::filesystem::path path;
  std::string reason;

  std::string line() const;  // "refused plugin PATH: REASON"
};

class PluginRegistry {
 public:
  // From now on, each file's entry point and descriptor are first tried in a child process
  // (host/child_process.hpp): a plugin that crashes, aborts, calls exit or hangs there (killed
  // after `timeout_s`) is refused with the reason, and the others still load. One fork per
  // file; the file that passes is then loaded here as usual.
  void probe_in_child_process(unsigned timeout_s = 5) { probe_timeout_s_ = timeout_s; }

  // Loads every plugin library in `directories`, in order; the first plugin of a name wins and
  // later ones are refused. A directory that does not exist is noted as a refusal of its path.
  void load_directories(const std::vector<std::filesystem::path>& directories);

  // Loads one file. Returns the plugin, or nullptr after recording why it was refused.
  const LoadedPlugin* load_file(const std::filesystem::path& path);

  // Registers a connector compiled into this process (a test's scripted fake) by its entry
  // function: the same checks as a file's descriptor, no library to load. `label` stands where
  // a plugin's path would (listings, refusals). Returns the plugin, or nullptr after recording
  // why it was refused.
  const LoadedPlugin* add_static(ConnectorEntry entry, const std::string& label);

  const std::vector<std::unique_ptr<LoadedPlugin>>& plugins() const { return plugins_; }
  const std::vector<PluginRefusal>& refusals() const { return refusals_; }
  const LoadedPlugin* find(const std::string& name) const;

 private:
  // Loads `path` in a child process first; throws the refusal when that fails.
  void probe(const std::filesystem::path& path) const;
  void refuse(const std::filesystem::path& path, const std::string& reason);
  // Asks `entry` for its descriptor, checks it and keeps the plugin (with `library`, empty for a
  // connector compiled into this process); throws the refusal.
  const LoadedPlugin* register_entry(boost::dll::shared_library library,
                                     const std::filesystem::path& path, ConnectorEntry entry);

  std::vector<std::unique_ptr<LoadedPlugin>> plugins_;
  std::vector<PluginRefusal> refusals_;
  unsigned probe_timeout_s_ = 0;  // 0: load in this process without a probe
};

// Where plugins are looked for: `--plugin-path` entries, then ATSMIGRATE_PLUGIN_PATH
// (colon-separated), then the plugin directory of this installation or build tree
// (<dir of the executable>/../lib/atsmigrate/plugins).
std::vector<std::filesystem::path> plugin_search_path(
    const std::vector<std::string>& command_line_paths);

// The ABI version as "MAJOR.MINOR".
std::string abi_version_text(uint32_t version);

}  // namespace atsm::host
