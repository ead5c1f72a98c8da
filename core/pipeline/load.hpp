// Load: writes the plan into the sink, kind by kind in dependency order, with several writers at
// once. Every item goes through the ledger: an `intent` is committed before the write, `done`
// (with the target id) or `failed` (with the vendor's code and request id) after. An item left
// at `intent` by a crash or a lost response is written again with lookup_first, so the sink
// adopts what the earlier attempt created instead of creating a duplicate.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
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
  int64_t adopted = 0;        // items a lookup found already written by an earlier attempt
  unsigned peak_workers = 0;  // writers in flight at most
  // Records taken and not final yet, besides the postponed ones (which keep only their key), at
  // most: the records read into items, queued or being written at once, which the chunks and the
  // queue bound whatever the account's size.
  std::size_t peak_records_held = 0;
  // Keys the load kept in memory per record besides those (what it took of a kind, the files it
  // uploaded, the persons' first candidacies), at most: what the staging store, the ledger or a
  // scratch map on disk cannot answer, which must not grow with the account.
  std::size_t peak_keys_remembered = 0;
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
  // Items per `write` call. One: a sink of one vendor call per item (Ashby's API has no bulk
  // create) gains nothing from more, and each item of a batch waits for the one before it, so a
  // stalled write would hold the rest of its batch and everything that hangs off them.
  size_t batch_size = 1;
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

// ---- Writes kept in flight across chunks and kinds: the decisions, apart from any I/O ----
// The load reads the next records while earlier ones are written, the next kind's included. A
// record that points at one whose write has not ended yet (its ledger row is not final) waits:
// it is postponed, and taken again once what it points at is settled.

// A staged record by kind and source key.
struct RecordKey {
  std::string kind;
  std::string key;
  auto operator<=>(const RecordKey&) const = default;
};

// The records `record` (of `kind`) must wait for: every record of its kind or of an earlier one in
// dependency order that it references (for_each_reference), and every tag it carries by name
// (`tag_keys`: lower-case tag name -> the tag's key, for the tags this run writes; the sink creates
// a carried tag by name, so a candidate written while its tag is still being written could create
// it a second time) that `unsettled` says is not settled yet.
std::vector<RecordKey> unsettled_references(const std::string& kind,
                                            const boost::json::object& record,
                                            const std::function<bool(const RecordKey&)>& unsettled,
                                            const std::map<std::string, std::string>& tag_keys);

// What the load took whose ledger row is not final yet: items queued or being written, and
// records postponed until what they reference is settled. Not thread-safe (the load guards it).
class WritesInFlight {
 public:
  // `record` is queued (or postponed): unsettled until settle(). Taking it twice is one take.
  void take(const RecordKey& record);
  // Its ledger row is final (written, failed, skipped, or unchanged).
  void settle(const RecordKey& record);
  bool unsettled(const RecordKey& record) const { return unsettled_.contains(record); }
  std::size_t unsettled_of(const std::string& kind) const;
  // Postpones `record` (taken, so unsettled) until every one of `waits_for` is settled.
  void postpone(const RecordKey& record, std::vector<RecordKey> waits_for);
  // The postponed records none of whose `waits_for` is unsettled any more, in key order; they are
  // no longer postponed but still unsettled (taken again, they are queued, postponed or settled).
  std::vector<RecordKey> ready();
  // Every postponed record, whatever it waits for (records waiting for each other).
  std::vector<RecordKey> release_all();
  // How many postponed records ready() would hand out now (cheap: only those whose last wait
  // settled since are looked at, so the load may ask on every write that ends).
  std::size_t ready_count() const;
  std::size_t postponed() const { return postponed_.size(); }
  // Unsettled records that are not postponed, at most so far.
  std::size_t peak_held() const { return peak_held_; }

 private:
  bool waits_settled(const std::vector<RecordKey>& waits) const;
  void add_unsettled(const RecordKey& record);
  void forget_postponed(const RecordKey& record);

  std::set<RecordKey> unsettled_;
  std::size_t peak_held_ = 0;
  std::map<std::string, std::size_t> unsettled_per_kind_;
  std::map<RecordKey, std::vector<RecordKey>> postponed_;
  // Who waits for whom (record -> the postponed records that wait for it), and the postponed
  // records one of whose waits settled since ready() last looked: ready() and ready_count() look
  // at these only, not at every postponed record.
  std::map<RecordKey, std::set<RecordKey>> waiters_;
  std::set<RecordKey> maybe_ready_;
};

}  // namespace atsm::pipeline
