#include "cli/plugins_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/json.hpp>
#include <iostream>
#include <memory>

#include "cli/exit_codes.hpp"
#include "host/plugin_registry.hpp"

namespace atsm::cli {
namespace {

host::PluginRegistry load_plugins(const GlobalOptions& global) {
  host::PluginRegistry registry;
  registry.probe_in_child_process();
  registry.load_directories(host::plugin_search_path(global.plugin_paths));
  for (const host::PluginRefusal& refusal : registry.refusals()) {
    std::cerr << refusal.line() << '\n';
  }
  return registry;
}

boost::json::array to_json_array(const std::vector<std::string>& items) {
  boost::json::array array;
  for (const std::string& item : items)
    array.emplace_back(item);
  return array;
}

boost::json::object plugin_json(const host::LoadedPlugin& plugin, bool detailed) {
  boost::json::object object{
      {"name", plugin.name()},
      {"display_name", plugin.display_name()},
      {"display_name_declared", plugin.declares_display_name()},
      {"version", plugin.version()},
      {"description", plugin.description()},
      {"roles", to_json_array(plugin.roles())},
      {"source_kinds", to_json_array(plugin.source_kinds())},
      {"sink_kinds", to_json_array(plugin.sink_kinds())},
      {"capabilities", to_json_array(plugin.capabilities())},
      {"abi_version", host::abi_version_text(plugin.abi_version())},
      {"path", plugin.path().string()},
  };
  if (detailed) {
    boost::json::array keys;
    for (const host::ConfigKey& key : plugin.config_keys()) {
      boost::json::object entry{{"name", key.name},
                                {"type", key.type},
                                {"description", key.description},
                                {"required", key.required}};
      if (!key.default_value.empty())
        entry["default"] = boost::json::parse(key.default_value);
      keys.push_back(std::move(entry));
    }
    boost::json::array secrets;
    for (const host::SecretSpec& secret : plugin.secrets()) {
      secrets.push_back(boost::json::object{{"name", secret.name},
                                            {"description", secret.description},
                                            {"required", secret.required}});
    }
    object["config_keys"] = std::move(keys);
    object["secrets"] = std::move(secrets);
  }
  return object;
}

int list_plugins(const GlobalOptions& global, bool as_json) {
  host::PluginRegistry registry = load_plugins(global);
  if (as_json) {
    boost::json::array plugins;
    for (const auto& plugin : registry.plugins())
      plugins.push_back(plugin_json(*plugin, false));
    boost::json::array refused;
    for (const auto& refusal : registry.refusals()) {
      refused.push_back(
          boost::json::object{{"path", refusal.path.string()}, {"reason", refusal.reason}});
    }
    std::cout << boost::json::serialize(
                     boost::json::object{{"plugins", plugins}, {"refused", refused}})
              << '\n';
    return kExitOk;
  }
  if (registry.plugins().empty()) {
    std::cout << "No connector plugins found. Searched: ";
    std::vector<std::string> searched;
    for (const auto& dir : host::plugin_search_path(global.plugin_paths))
      searched.push_back(dir.string());
    std::cout << (searched.empty() ? std::string("(no plugin directory)")
                                   : fmt::format("{}", fmt::join(searched, ", ")))
              << '\n';
    return kExitOk;
  }
  std::cout << fmt::format("{:<14} {:<16} {:<9} {:<12} {:<5} {:<60} {}\n", "NAME", "DISPLAY",
                           "VERSION", "ROLES", "ABI", "KINDS", "PATH");
  for (const auto& plugin : registry.plugins()) {
    std::vector<std::string> kinds = plugin->source_kinds();
    for (const std::string& kind : plugin->sink_kinds()) {
      if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
        kinds.push_back(kind);
    }
    // Joined first: a width applied to fmt::join would pad each element instead of the whole.
    std::string roles = fmt::format("{}", fmt::join(plugin->roles(), ","));
    std::string kind_list = fmt::format("{}", fmt::join(kinds, ","));
    std::cout << fmt::format("{:<14} {:<16} {:<9} {:<12} {:<5} {:<60} {}\n", plugin->name(),
                             plugin->display_name(), plugin->version(), roles,
                             host::abi_version_text(plugin->abi_version()), kind_list,
                             plugin->path().string());
  }
  return kExitOk;
}

int show_plugin(const GlobalOptions& global, const std::string& name, bool as_json) {
  host::PluginRegistry registry = load_plugins(global);
  const host::LoadedPlugin* plugin = registry.find(name);
  if (plugin == nullptr) {
    std::vector<std::string> names;
    for (const auto& loaded : registry.plugins())
      names.push_back(loaded->name());
    std::cerr << fmt::format(
        "error: no plugin named '{}' (loaded: {})\n", name,
        names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")));
    return kExitUsage;
  }
  if (as_json) {
    std::cout << boost::json::serialize(plugin_json(*plugin, true)) << '\n';
    return kExitOk;
  }
  std::cout << fmt::format("{} {}: {}\n", plugin->name(), plugin->version(), plugin->description());
  std::cout << fmt::format("  display name: {}{}\n", plugin->display_name(),
                           plugin->declares_display_name() ? "" : " (derived from the name)");
  std::cout << fmt::format("  path:         {}\n", plugin->path().string());
  std::cout << fmt::format("  ABI:          {}\n", host::abi_version_text(plugin->abi_version()));
  std::cout << fmt::format("  roles:        {}\n", fmt::join(plugin->roles(), ", "));
  std::cout << fmt::format("  capabilities: {}\n", fmt::join(plugin->capabilities(), ", "));
  if (plugin->is_source())
    std::cout << fmt::format("  source kinds: {}\n", fmt::join(plugin->source_kinds(), ", "));
  if (plugin->is_sink())
    std::cout << fmt::format("  sink kinds:   {}\n", fmt::join(plugin->sink_kinds(), ", "));
  std::cout << "  config keys (--config {\"" << plugin->name() << "\": {...}} or --set "
            << plugin->name() << ".KEY=VALUE):\n";
  if (plugin->config_keys().empty())
    std::cout << "    (none)\n";
  for (const host::ConfigKey& key : plugin->config_keys()) {
    std::cout << fmt::format(
        "    {:<20} {:<8} {}{}{}\n", key.name, key.type, key.description,
        key.required ? " (required)" : "",
        key.default_value.empty() ? "" : " [default " + key.default_value + "]");
  }
  std::cout << "  secrets (environment or --credentials FILE):\n";
  if (plugin->secrets().empty())
    std::cout << "    (none)\n";
  for (const host::SecretSpec& secret : plugin->secrets()) {
    std::cout << fmt::format("    {:<28} {}{}\n", secret.name, secret.description,
                             secret.required ? " (required)" : "");
  }
  return kExitOk;
}

}  // namespace

void add_plugins_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  CLI::App* plugins = app.add_subcommand("plugins", "List and describe connector plugins");
  plugins->require_subcommand(1);

  auto as_json = std::make_shared<bool>(false);
  CLI::App* list = plugins->add_subcommand("list", "List loaded plugins (refused ones on stderr)");
  list->add_flag("--json", *as_json, "Print JSON instead of a table");
  list->callback([&global, &exit_code, as_json] { exit_code = list_plugins(global, *as_json); });

  auto name = std::make_shared<std::string>();
  auto info_json = std::make_shared<bool>(false);
  CLI::App* info =
      plugins->add_subcommand("info", "Describe one plugin: kinds, config keys, secrets");
  info->add_option("name", *name, "Plugin name")->required();
  info->add_flag("--json", *info_json, "Print JSON instead of text");
  info->callback([&global, &exit_code, name, info_json] {
    exit_code = show_plugin(global, *name, *info_json);
  });
}

}  // namespace atsm::cli
