#include "verify/run.hpp"

#include <stdlib.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "host/plugin_registry.hpp"
#include "verify/child_runner.hpp"

namespace atsm::verify {

namespace json = boost::json;

namespace {

bool looks_like_path(const std::string& target) {
  return target.find('/') != std::string::npos || target.ends_with(".so") ||
         std::filesystem::exists(target);
}

}  // namespace

std::vector<std::string> select_checks(const std::vector<std::string>& only) {
  std::vector<std::string> selected;
  std::set<std::string> known;
  for (const CheckSpec& spec : all_checks())
    known.insert(spec.name);
  for (const std::string& names : only) {
    std::stringstream list(names);
    std::string name;
    while (std::getline(list, name, ',')) {
      if (name.empty())
        continue;
      // A group name selects its checks: --only source
      bool matched = false;
      for (const CheckSpec& spec : all_checks()) {
        std::string full = spec.name;
        if (full == name || full.starts_with(name + ".")) {
          if (std::find(selected.begin(), selected.end(), full) == selected.end())
            selected.push_back(full);
          matched = true;
        }
      }
      if (!matched)
        throw UsageError(
            fmt::format("--only {}: no such check (checks: {})", name, fmt::join(known, ", ")));
    }
  }
  std::vector<std::string> ordered;
  for (const CheckSpec& spec : all_checks()) {
    if (selected.empty() ||
        std::find(selected.begin(), selected.end(), spec.name) != selected.end())
      ordered.push_back(spec.name);
  }
  return ordered;
}

std::filesystem::path resolve_plugin(const std::string& target,
                                     const std::vector<std::string>& plugin_paths,
                                     unsigned timeout_s) {
  if (looks_like_path(target)) {
    std::filesystem::path path = std::filesystem::absolute(target);
    if (!std::filesystem::is_regular_file(path))
      throw UsageError(fmt::format("{} is not a file", path.string()));
    return path;
  }
  CheckResult found = run_in_child(
      [&] {
        CheckResult answer;
        host::PluginRegistry registry;
        registry.probe_in_child_process();
        registry.load_directories(host::plugin_search_path(plugin_paths));
        if (const host::LoadedPlugin* plugin = registry.find(target)) {
          answer.detail = plugin->path().string();
        } else {
          std::vector<std::string> names;
          for (const auto& loaded : registry.plugins())
            names.push_back(loaded->name());
          answer.outcome = Outcome::fail;
          answer.reason = fmt::format(
              "no plugin named '{}' (loaded: {})", target,
              names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")));
        }
        return answer;
      },
      timeout_s);
  if (found.outcome != Outcome::pass)
    throw UsageError(found.reason);
  return found.detail;
}

json::object read_config(const std::string& file_name) {
  std::ifstream file(file_name);
  std::stringstream text;
  text << file.rdbuf();
  boost::system::error_code ec;
  json::value value = json::parse(text.str(), ec);
  if (!file || ec || !value.is_object())
    throw UsageError(fmt::format("--config {}: not a JSON object{}", file_name,
                                 ec ? " (" + ec.message() + ")" : std::string()));
  return value.as_object();
}

CheckResult run_check(const std::string& check, ChildContext& context, unsigned timeout_s) {
  std::string blob_dir =
      (std::filesystem::temp_directory_path() / "atsm-verify-blobs-XXXXXX").string();
  if (::mkdtemp(blob_dir.data()) == nullptr)
    throw std::runtime_error(fmt::format("cannot create a temporary directory in {}: {}",
                                         std::filesystem::temp_directory_path().string(),
                                         std::strerror(errno)));
  context.blob_dir = blob_dir;
  CheckResult result = run_in_child([&] { return run_check_here(check, context); }, timeout_s);
  std::error_code ignored;
  std::filesystem::remove_all(blob_dir, ignored);
  return result;
}

}  // namespace atsm::verify
