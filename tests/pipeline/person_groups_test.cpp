// The plan's person dedup as a pure function (pipeline/person_groups.hpp): docs/mapping.md §3's
// rule that persons sharing a normalised email become one candidate, the newest record its primary.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "pipeline/person_groups.hpp"

namespace {

using atsm::pipeline::group_persons;
using atsm::pipeline::PersonGroup;
using atsm::pipeline::PersonIdentity;

TEST(PersonGroups, PersonsWithoutASharedEmailStayApart) {
  std::vector<PersonIdentity> persons = {{"a", "2024-01-01T00:00:00Z", {"a@x.com"}},
                                         {"b", "2024-01-02T00:00:00Z", {"b@x.com"}},
                                         {"c", "2024-01-03T00:00:00Z", {}}};
  EXPECT_TRUE(group_persons(persons, true).empty());
}

TEST(PersonGroups, AnEmailSharedUpToCaseAndSpaceJoinsTwoPersonsNewestFirst) {
  std::vector<PersonIdentity> persons = {{"old", "2023-05-01T00:00:00Z", {"Ada@Example.COM"}},
                                         {"new", "2025-05-01T00:00:00Z", {" ada@example.com"}}};
  std::vector<PersonGroup> groups = group_persons(persons, true);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].primary, "new");
  EXPECT_EQ(groups[0].members, (std::vector<std::string>{"new", "old"}));
  EXPECT_EQ(groups[0].matched_emails, std::vector<std::string>{"ada@example.com"});
}

TEST(PersonGroups, EmailsJoinTransitivelyIntoOneGroup) {
  // a and b share e1, b and c share e2: one candidate of three, though a and c share nothing.
  std::vector<PersonIdentity> persons = {{"a", "2024-01-02T00:00:00Z", {"e1@x.com"}},
                                         {"b", "2024-01-01T00:00:00Z", {"e1@x.com", "e2@x.com"}},
                                         {"c", "2024-01-03T00:00:00Z", {"e2@x.com", "own@x.com"}},
                                         {"d", "2024-01-04T00:00:00Z", {"other@x.com"}}};
  std::vector<PersonGroup> groups = group_persons(persons, true);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].members, (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(groups[0].primary, "c");
  EXPECT_EQ(groups[0].matched_emails, (std::vector<std::string>{"e1@x.com", "e2@x.com"}));
}

TEST(PersonGroups, APersonWithoutAKnownTimeIsNeverThePrimary) {
  std::vector<PersonIdentity> persons = {{"undated", "", {"same@x.com"}},
                                         {"dated", "2020-01-01T00:00:00Z", {"same@x.com"}}};
  std::vector<PersonGroup> groups = group_persons(persons, true);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].primary, "dated");
}

TEST(PersonGroups, AddressesThatAreNotEmailsJoinNothing) {
  std::vector<PersonIdentity> persons = {{"a", "2024-01-01T00:00:00Z", {"n/a", ""}},
                                         {"b", "2024-01-02T00:00:00Z", {"n/a", ""}}};
  EXPECT_TRUE(group_persons(persons, true).empty());
}

TEST(PersonGroups, DedupNoneKeepsEveryPersonItsOwn) {
  std::vector<PersonIdentity> persons = {{"a", "2024-01-01T00:00:00Z", {"same@x.com"}},
                                         {"b", "2024-01-02T00:00:00Z", {"same@x.com"}}};
  EXPECT_TRUE(group_persons(persons, false).empty());
}

TEST(PersonGroups, TwoSeparateGroups) {
  std::vector<PersonIdentity> persons = {{"a1", "2024-01-01T00:00:00Z", {"a@x.com"}},
                                         {"b1", "2024-01-01T00:00:00Z", {"b@x.com"}},
                                         {"a2", "2024-02-01T00:00:00Z", {"A@x.com"}},
                                         {"b2", "2023-02-01T00:00:00Z", {"b@X.com"}}};
  std::vector<PersonGroup> groups = group_persons(persons, true);
  ASSERT_EQ(groups.size(), 2u);
  std::vector<std::string> primaries = {groups[0].primary, groups[1].primary};
  std::sort(primaries.begin(), primaries.end());
  EXPECT_EQ(primaries, (std::vector<std::string>{"a2", "b1"}));
}

}  // namespace
