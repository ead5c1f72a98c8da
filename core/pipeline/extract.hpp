// Extract: streams every kind the source offers, in dependency order, into the staging store.
// Each batch and the checkpoint that follows it commit together, so a re-run resumes exactly
// after the last committed batch; a finished kind is not read again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
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
  // Kinds left open because the source could not fetch some records now (kind -> records); a
  // re-run resumes them at the source's checkpoint.
  std::map<std::string, int64_t> unfetched;
  // Every kind was complete from an earlier run when this one started: a source is read to its
  // end once per work dir, so nothing new of it was read (a fresh export needs --reread).
  bool complete_before = false;
  bool read_nothing() const { return complete_before && staged.empty() && unfetched.empty(); }
};

// The checkpoint that marks a kind as completely extracted.
inline constexpr const char* kExtractComplete = "atsm:complete";
// Staging kind under which records the model rejects are kept with their error.
std::string rejected_kind(const std::string& kind);

// Bookkeeping kinds of the staging store's checkpoint table, per source.
inline constexpr const char* kExtractionStarted = "atsm:extraction_started";  // of a full read
inline constexpr const char* kHighWaterMark = "atsm:high_water";  // what the last read covers
inline constexpr const char* kDeltaSince = "atsm:delta_since";    // the delta read under way

// Prepares the staging store for a delta read from `since`: every kind is read again (only what
// changed since), unless a delta read from the same time is already under way (it resumes).
void begin_delta(Session& session, const std::string& since);
// Prepares the staging store for reading the source's snapshot again (--reread: a fresh export in
// place of the one read): every kind's checkpoint goes back to the start, or only those of
// `kinds` when given (--reread-kind; UsageError for a kind the source does not read), and a delta
// under way is dropped. The records read again go through the ledger like any (unchanged:
// skipped, changed: updated, new: created); one the new snapshot lacks stays staged and in the
// target. Reading some kinds again leaves the high-water mark of --delta where it was.
void begin_reread(Session& session, const std::vector<std::string>& kinds = {});
// The time the last complete read of the source started: what `--delta` reads from.
std::optional<std::string> high_water_mark(Session& session);

// Told as extraction goes, from the extracting thread.
struct ExtractListener {
  std::function<void(const std::string& kind)> batch_staged;  // more records of kind committed
  std::function<void(const std::string& kind)> kind_complete;
};

ExtractStats extract(Session& session, const ExtractListener& listener = {});

// The kinds that make the plan (references, persons, candidacies); the others hang off a
// candidate or an application and can be written while they are still being extracted.
bool planned_kind(const std::string& kind);

// Extraction in a thread of its own, beside the load: kinds become available one by one. The
// load waits on a kind until it is completely staged, or streams a streamable kind as it comes.
class BackgroundExtraction {
 public:
  explicit BackgroundExtraction(Session& session);
  // Cancels a still running extraction (the run is failing) and waits for it.
  ~BackgroundExtraction();
  BackgroundExtraction(const BackgroundExtraction&) = delete;
  BackgroundExtraction& operator=(const BackgroundExtraction&) = delete;

  // True once `kind` is completely staged (a kind the source does not offer is complete).
  // Rethrows the extraction's failure.
  bool complete(const std::string& kind);
  // Blocks until `kind` is completely staged; rethrows the extraction's failure.
  void wait_complete(const std::string& kind);
  // Blocks until more records are staged, a kind completes or `timeout` passes.
  void wait_for_more(std::chrono::milliseconds timeout);
  // Waits for the end of extraction; rethrows its failure.
  ExtractStats finish();

 private:
  void rethrow_failure();

  Session& session_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<std::string> offered_;  // the kinds the source reads; any other is complete at once
  std::set<std::string> complete_;
  bool finished_ = false;
  std::exception_ptr failure_;
  ExtractStats stats_;
  std::uint64_t generation_ = 0;  // bumped on every batch, so waiters see progress
  std::thread thread_;
};

}  // namespace atsm::pipeline
