// What the dataset generator's files share: dataset.cpp (the persons, Lever) and
// dataset_greenhouse.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sandbox/dataset.hpp"
#include "util.hpp"

namespace atsm::sandbox::dataset_gen {

inline constexpr std::int64_t kDay = 86'400'000;
inline constexpr std::int64_t kEpoch2015 = 1'420'070'400'000;  // 2015-01-01
inline constexpr std::int64_t kDatasetNow =
    1'767'225'600'000;  // 2026-01-01: "now" for generated history

inline const std::vector<std::string> kTitles{
    "Software Engineer",         "Account Executive", "Data Scientist",    "Product Designer",
    "Site Reliability Engineer", "Recruiter",         "Marketing Manager", "Support Lead"};
inline const std::vector<std::string> kUserNames{
    "Rachel Green",   "Monica Geller", "Ross Geller",     "Chandler Bing",
    "Joey Tribbiani", "Phoebe Buffay", "Gunther Central", "Janice Hosenstein",
    "Carol Willick",  "Susan Bunch",   "Richard Burke",   "Emily Waltham",
    "Mike Hannigan",  "Tag Jones",     "Kathy Ling",      "David Sci"};
inline const std::vector<std::string> kSources{"LinkedIn", "Referral",    "Job Board",
                                               "Agency",   "Career Site", "Conference"};
inline const std::vector<std::string> kTags{"Engineering", "Senior", "Remote",   "Python",
                                            "Sales",       "Rehire", "Ünicode ✓"};
// Shared by both sources so the default Ashby plan maps every stage by title.
inline const std::vector<std::string> kGhStageNames{
    "Application Review", "Recruiter Screen", "Phone Interview", "On-site Interview", "Offer"};

inline const std::string kLongNoteParagraph =
    "Long-form debrief: the candidate walked through three systems in depth, with trade-offs, "
    "failure modes and what they would change next time. ";
struct Identity {
  std::string first, last, email_local, domain;
  bool has_email = true, malformed_email = false;
  std::vector<std::string> phones;
  std::string location, company, title;
};

int note_kind(Rng& rng);
SandboxFile make_file(Rng& rng, std::string id, const std::string& stem, bool resume,
                      std::int64_t at);

}  // namespace atsm::sandbox::dataset_gen

namespace atsm::sandbox {

void generate_lever(Dataset& data, Rng& rng, const std::vector<dataset_gen::Identity>& people,
                    const std::vector<int>& members);
void generate_greenhouse(Dataset& data, Rng& rng, const std::vector<dataset_gen::Identity>& people,
                         const std::vector<int>& members);

}  // namespace atsm::sandbox
