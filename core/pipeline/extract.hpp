// Extract: streams every kind the source offers, in dependency order, into the staging store.
// Each batch and the checkpoint that follows it commit together, so a re-run resumes exactly
// after the last committed batch; a finished kind is not read again.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/session.hpp"

namespace atsm::pipeline {

// A record the source emitted that does not fit the canonical model: kept (raw) and reported.
struct RejectedRecord {
  std::string kind;
  std::string source_key;  // empty when the record had none
  std::string reason;      // names the record and the field
};

struct ExtractStats {
  std::map<std::string, int64_t> staged;  // per kind, this run (inserted + changed + unchanged)
  std::map<std::string, int64_t> changed;
  std::vector<RejectedRecord> rejected;
  std::vector<std::string> skipped_kinds;  // complete from an earlier run
};

// The checkpoint that marks a kind as completely extracted.
inline constexpr const char* kExtractComplete = "atsm:complete";
// Staging kind under which records the model rejects are kept with their error.
std::string rejected_kind(const std::string& kind);

ExtractStats extract(Session& session);

}  // namespace atsm::pipeline
