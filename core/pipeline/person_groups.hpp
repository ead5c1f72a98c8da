// Person dedup (docs/mapping.md §3): persons sharing a normalised email, across every source staged
// in the work dir, become one candidate. A pure function of the persons' identities.
#pragma once

#include <string>
#include <vector>

namespace atsm::pipeline {

struct PersonGroup {
  std::string primary;               // most recently updated member
  std::vector<std::string> members;  // every member, newest first (primary included)
  std::vector<std::string> matched_emails;
};

// What dedup knows of a staged person.
struct PersonIdentity {
  std::string source_key;
  std::string recency;              // updated_at, else created_at (ISO 8601 UTC)
  std::vector<std::string> emails;  // addresses as staged
};

// The groups of two or more persons joined (transitively) by a normalised email; persons in
// staging order. With `by_email` false, no person joins another.
std::vector<PersonGroup> group_persons(const std::vector<PersonIdentity>& persons, bool by_email);

}  // namespace atsm::pipeline
