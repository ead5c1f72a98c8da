#include "pipeline/person_groups.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <atsmigrate/model/email.hpp>

namespace atsm::pipeline {
namespace {

// Union-find over persons, joined by normalised email.
class Groups {
 public:
  size_t add() {
    parent_.push_back(parent_.size());
    return parent_.size() - 1;
  }
  size_t find(size_t item) {
    while (parent_[item] != item)
      item = parent_[item] = parent_[parent_[item]];
    return item;
  }
  void join(size_t a, size_t b) { parent_[find(a)] = find(b); }

 private:
  std::vector<size_t> parent_;
};

}  // namespace

std::vector<PersonGroup> group_persons(const std::vector<PersonIdentity>& persons, bool by_email) {
  Groups groups;
  std::map<std::string, size_t> by_address;
  std::map<size_t, std::set<std::string>> emails_of;
  for (const PersonIdentity& person : persons) {
    size_t index = groups.add();
    if (!by_email)
      continue;
    for (const std::string& address : person.emails) {
      std::optional<std::string> normalized = model::normalize_email(address);
      if (!normalized)
        continue;
      auto [it, inserted] = by_address.emplace(*normalized, index);
      if (!inserted) {
        emails_of[it->second].insert(*normalized);
        emails_of[index].insert(*normalized);
        groups.join(index, it->second);
      }
    }
  }
  std::map<size_t, std::vector<size_t>> members;
  for (size_t i = 0; i < persons.size(); ++i)
    members[groups.find(i)].push_back(i);
  std::vector<PersonGroup> out;
  for (auto& [root, indexes] : members) {
    if (indexes.size() < 2)
      continue;
    // Newest first: the primary gives the candidate its name and first email (docs/mapping.md §3).
    std::sort(indexes.begin(), indexes.end(),
              [&](size_t a, size_t b) { return persons[a].recency > persons[b].recency; });
    PersonGroup group;
    std::set<std::string> matched;
    for (size_t index : indexes) {
      group.members.push_back(persons[index].source_key);
      for (const std::string& email : emails_of[index])
        matched.insert(email);
    }
    group.primary = group.members.front();
    group.matched_emails.assign(matched.begin(), matched.end());
    out.push_back(std::move(group));
  }
  return out;
}

}  // namespace atsm::pipeline
