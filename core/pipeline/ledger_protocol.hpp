// The ledger protocol's decisions, apart from any I/O: given what the ledger's row of an item
// says and what the sink answered, what the load does next. load.cpp does the reading and
// writing; tests/pipeline/ledger_protocol_test.cpp covers every branch here in-process.
//
// An item's life: `intent` is committed before the write, `done` (with the target id) or
// `failed` after. A row left at `intent` (a crash, a lost answer) or `failed` (after a write that
// may have created something) makes the next write ask the sink to look the item up first, so it
// adopts what the earlier attempt created instead of creating it again.
#pragma once

#include <atsmigrate/connector.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "services/store/ledger.hpp"

namespace atsm::pipeline {

// The vendor code under which the ledger keeps a record the sink held back until an operator's
// step in the target (a `held` result, sink-protocol.md): failed in the ledger, so a re-run writes
// it, but reported apart from failures, and the run exits 4 (kExitHeld) when nothing else differs.
inline constexpr const char* kHeldVendorCode = "held_for_operator";

// Before a write: what the item's ledger row says to do with it.
enum class BeforeWrite {
  write,      // never written (or not to the end): create it
  update,     // written with another payload: update its target
  unchanged,  // written with this very payload: nothing to do
};
struct BeforeWriteDecision {
  BeforeWrite action = BeforeWrite::write;
  std::optional<std::string> target_id;  // update: the object to update
};
BeforeWriteDecision before_write(const std::optional<store::LedgerEntry>& row,
                                 const std::string& payload_hash);

// Whether the write asks the sink to look the item up first, from the row as it stood when this
// attempt's intent was recorded (`prior`), or because the run adopts every record (the ledger
// knows nothing of what the target holds).
bool lookup_first(const std::optional<store::LedgerEntry>& prior, bool adopting_every_record);

// A whole batch's call failed with `status`: true when the run stops (the key is revoked, the run
// was cancelled, the plugin broke its contract); otherwise every item of the batch gets that
// status as its own result.
bool batch_failure_stops_the_run(atsm_status status);

// After the sink answered for one item (a result of sink-protocol.md §2).
enum class AfterWrite {
  skipped,  // the sink applied a rule of its own: skipped, with its reason
  done,     // written (created, updated or adopted)
  held,     // waits for an operator's step in the target
  stop,     // the key lost its rights: the run stops, the item stays at intent
  retry,    // write it again, looking it up first
  failed,   // failed for good in this run
};
struct AfterWriteDecision {
  AfterWrite action = AfterWrite::failed;
  std::string status;   // failed: the status recorded ("permanent", "internal", ...)
  std::string message;  // failed: a message of the host's own, else "" (the sink's stands)
  std::string skipped;  // skipped: the sink's reason
  // retry: something besides a lost answer went wrong, so the vendor gets a moment first.
  bool pause = false;
};
AfterWriteDecision after_write(const boost::json::object& result, unsigned attempt,
                               unsigned max_attempts);

// The pause before the next attempt after vendor trouble: doubling from `base`, at most 32x.
std::chrono::milliseconds retry_pause(unsigned attempt, std::chrono::milliseconds base);

// How many items a writer takes from the queue at once: `batch_size` while the queue is long,
// then an even share of what is left among the `writers` (at least one). A kind's last items are
// spread over every writer, so a write the vendor stalls holds a small batch behind it while the
// others finish, not a full one while they idle.
std::size_t batch_take(std::size_t pending, std::size_t writers, std::size_t batch_size);

// Whether a writer whose batch of `items` has run for `elapsed` is held by a hung write: far
// longer than `typical_item` (the median time per item of the kind's finished batches) says the
// batch needs, and at least kHungWriterFloor. Its write is waited out, never abandoned (a write
// cut while the vendor still works on it could land after the lookup meant to find it).
inline constexpr std::chrono::milliseconds kHungWriterFloor{250};
bool writer_hung(std::chrono::milliseconds elapsed, std::size_t items,
                 std::chrono::milliseconds typical_item);

// Writers to keep: the `measured` need (the sink's limit times its latency) plus one for each
// `hung` writer, so the requests in flight stay up while some hang; at most twice the need.
unsigned writers_wanted(unsigned measured, unsigned hung);

// The audit trail's name for an item written: it was looked up first, or updated its target, or
// was created.
const char* done_method(bool looked_up, bool had_target);

// Whether a record covered by an object another item wrote (a merged person, an interview in its
// candidacy's note, a file with the same bytes) must be recorded done with `target`: false when
// its row already says so (the same payload or the same target).
bool covered_needs_recording(const std::optional<store::LedgerEntry>& row,
                             const std::string& payload_hash, const std::string& target);

// A record the plan skips, or the source could not fetch, that an earlier run wrote: the target
// keeps what it has (nothing is deleted there) and the record counts as unchanged.
bool written_before(const std::optional<store::LedgerEntry>& row);

// A record that hangs off a person, job or candidacy whose row is `owner`: whether it must wait
// for a run in which the owner is written (written now it would land in the wrong place).
enum class OwnerState {
  written_or_unknown,  // go ahead
  pending,             // the owner failed or is at intent: the record is deferred (failed)
  held,                // the owner waits for an operator: so does the record
};
OwnerState owner_state(const std::optional<store::LedgerEntry>& owner);

}  // namespace atsm::pipeline
