// The shared state behind the three servers: the dataset (Lever + Greenhouse), its indexes and the
// secret that signs pagination tokens and attachment URLs.
#pragma once

#include <boost/json.hpp>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "sandbox/dataset.hpp"
#include "sandbox/sandbox.hpp"

namespace atsm::sandbox {

struct World {
  Dataset data;
  mutable std::shared_mutex mutex;
  std::string secret;  // HMAC key: pagination tokens, signed URLs
  std::string lever_restricted_key;

  std::unordered_map<std::string, std::size_t> opportunity_by_id, contact_by_id, user_by_id,
      stage_by_id, posting_by_id, reason_by_id;
  std::unordered_map<std::int64_t, std::size_t> gh_candidate_by_id, gh_application_by_id,
      gh_job_by_id, gh_stage_job, gh_attachment_by_id;
  std::uint64_t mutations = 0;  // bumps invalidate cached truth
  std::uint64_t mutation_rng_counter = 0;

  void reindex();  // caller holds the unique lock
};

// Ground truth (the rules of docs/mapping.md, sandbox-only code): source = lever | greenhouse |
// both. Files over `max_file_bytes` (when > 0) are refused by the emulated Ashby: the truth leaves
// them out.
boost::json::object compute_truth(const Dataset& data, const std::string& source,
                                  std::int64_t max_file_bytes = 0);

// Recruiter activity during a parallel run; caller holds the unique lock. Returns what changed.
boost::json::array mutate_lever(World& world, int count);
boost::json::array mutate_greenhouse(World& world, int count);

// Recruiters moving opportunities between pipeline stages (issue 16 §4): `count` live applicants
// (seeded), alternately to an earlier and a later stage, each move a new stage change at now, so
// lastAdvancedAt and the list order move; updatedAt is left as it was (null on most real
// opportunities, issue 16 §4). Caller holds the unique lock. Returns what moved.
boost::json::array move_lever_stages(World& world, int count);

// Bad data as real accounts hold it, for the tests of how a migration reports it; caller holds
// the unique lock. "note_time_in_microseconds": one note's createdAt written in microseconds (an
// importer's classic mistake), far outside years 0000-9999. Returns what changed; throws
// std::invalid_argument for an unknown `what`.
boost::json::object corrupt_lever(World& world, const std::string& what);

}  // namespace atsm::sandbox
