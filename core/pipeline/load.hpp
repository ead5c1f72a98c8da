// Load: writes the plan into the sink, kind by kind in dependency order, with several writers at
// once. Every item goes through the ledger: an `intent` is committed before the write, `done`
// (with the target id) or `failed` (with the vendor's code and request id) after. An item left
// at `intent` by a crash or a lost response is written again with lookup_first, so the sink
// adopts what the earlier attempt created instead of creating a duplicate.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/extract.hpp"
#include "pipeline/ledger_protocol.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/session.hpp"

namespace atsm::pipeline {

struct LoadFailure {
  std::string kind;
  std::string key;
  std::string status;
  std::string message;
  std::string vendor_code;
  std::string vendor_request_id;
};

struct KindCounts {
  int64_t created = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;  // done in an earlier run with the same payload
  int64_t merged = 0;     // persons written as part of another person's candidate
  int64_t failed = 0;
  int64_t held = 0;                        // waiting for an operator's step in the target
  std::map<std::string, int64_t> skipped;  // by reason
};

struct LoadStats {
  std::map<std::string, KindCounts> kinds;
  std::vector<LoadFailure> failures;
  std::vector<std::string> lossy;  // what the sink said it could not keep, per record
  int64_t adopted = 0;             // items a lookup found already written by an earlier attempt
  unsigned peak_workers = 0;       // writers in flight at most
  // Why every record was looked up in the target before it was written (the ledger knew nothing
  // of what the target holds), or "" on a normal run.
  std::string adopting;
};

struct LoadOptions {
  // Writers in flight; 0 derives them from the sink's rate limit times its measured latency
  // (Little's law). The limiter keeps them from exceeding the limit either way.
  unsigned workers = 0;
  // When set, extraction runs beside the load: each kind is written once it is completely
  // staged, and the kinds that hang off candidates and applications as they are staged.
  BackgroundExtraction* extraction = nullptr;
  size_t batch_size = 8;
  // Records of a kind read from staging and held at once (the kinds whose items stand alone), so
  // memory stays flat whatever the account's size.
  int64_t chunk_records = 2000;
  unsigned max_attempts = 6;
  // The first pause before writing again after transient vendor trouble (doubling after).
  std::chrono::milliseconds retry_pause = std::chrono::milliseconds(200);
};

LoadStats load(Session& session, const Plan& plan, const LoadOptions& options);

// The ledger's payload hash of an item: a changed hash makes an update of the written object.
std::string payload_hash(const boost::json::object& record, const boost::json::array& group);

// Why a staged record is not written at all, by the plan and its options (docs/mapping.md §10), or
// "" to write it; the record as staged (canonical JSON).
std::string skip_reason(const std::string& kind, const boost::json::object& record,
                        const Plan& plan);

}  // namespace atsm::pipeline
