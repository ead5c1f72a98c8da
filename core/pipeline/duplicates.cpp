#include "pipeline/duplicates.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <vector>

#include <atsmigrate/model/email.hpp>

namespace atsm::pipeline {
namespace {

namespace json = boost::json;

std::vector<std::string> strings_at(const json::object& entry, const char* name) {
  std::vector<std::string> out;
  if (const json::value* list = entry.if_contains(name); list && list->is_array())
    for (const json::value& item : list->as_array())
      if (item.is_string())
        out.emplace_back(item.as_string());
  return out;
}

std::string source_of(const std::string& key) {
  return key.substr(0, key.find(':'));
}

}  // namespace

json::array duplicates_in_census(const std::string& kind, const json::array& census,
                                 const std::set<std::string>& sources,
                                 const LedgerTargetOf& ledger_target_of) {
  std::map<std::string, std::set<std::string>> targets_of_key;
  std::map<std::string, std::set<std::string>> targets_of_email;
  std::map<std::string, std::vector<std::string>> keys_of_target;
  for (const json::value& value : census) {
    if (!value.is_object())
      continue;
    const json::object& entry = value.as_object();
    const json::value* id = entry.if_contains("target_id");
    if (id == nullptr || !id->is_string() || id->as_string().empty())
      continue;
    std::string target(id->as_string());
    bool ours = false;
    for (const std::string& key : strings_at(entry, "keys")) {
      if (sources.count(source_of(key)) == 0)
        continue;
      ours = true;
      targets_of_key[key].insert(target);
      keys_of_target[target].push_back(key);
    }
    if (!ours)
      continue;
    for (const std::string& email : strings_at(entry, "emails"))
      if (std::optional<std::string> normalized = model::normalize_email(email))
        targets_of_email[*normalized].insert(target);
  }

  for (auto& [target, keys] : keys_of_target)
    std::sort(keys.begin(), keys.end());  // the same problem line whatever the census's order

  json::array problems;
  for (const auto& [key, targets] : targets_of_key) {
    if (targets.size() > 1) {
      problems.push_back(json::object{
          {"kind", kind},
          {"key", key},
          {"problem", fmt::format("duplicate: the target holds this record {} times ({})",
                                  targets.size(), fmt::join(targets, ", "))}});
      continue;
    }
    std::optional<std::string> recorded = ledger_target_of(key);
    if (recorded && *recorded != *targets.begin()) {
      problems.push_back(json::object{
          {"kind", kind},
          {"key", key},
          {"problem", fmt::format("the target holds this record as {}, the ledger says {}",
                                  *targets.begin(), *recorded)}});
    }
  }
  for (const auto& [email, targets] : targets_of_email) {
    if (targets.size() < 2)
      continue;
    std::vector<std::string> held;
    for (const std::string& target : targets)
      held.push_back(fmt::format("{} ({})", target, fmt::join(keys_of_target[target], ", ")));
    problems.push_back(json::object{
        {"kind", kind},
        {"key", keys_of_target[*targets.begin()].front()},
        {"problem", fmt::format("duplicate: {} migrated objects share an email address: {}",
                                targets.size(), fmt::join(held, "; "))}});
  }
  return problems;
}

}  // namespace atsm::pipeline
