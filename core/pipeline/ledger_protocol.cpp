#include "pipeline/ledger_protocol.hpp"

#include <algorithm>

namespace atsm::pipeline {
namespace {

std::string text(const boost::json::object& object, const char* key) {
  const boost::json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

bool is_done(const std::optional<store::LedgerEntry>& row) {
  return row && row->state == store::LedgerState::done;
}

}  // namespace

BeforeWriteDecision before_write(const std::optional<store::LedgerEntry>& row,
                                 const std::string& payload_hash) {
  if (is_done(row) && row->payload_hash == payload_hash)
    return {BeforeWrite::unchanged, std::nullopt};
  if (is_done(row) && row->target_id)
    return {BeforeWrite::update, row->target_id};
  return {BeforeWrite::write, std::nullopt};
}

bool lookup_first(const std::optional<store::LedgerEntry>& prior, bool adopting_every_record) {
  // An intent left behind means an attempt whose outcome nobody saw. A failure recorded after an
  // ambiguous write is no proof that nothing was created either.
  return adopting_every_record || (prior && (prior->state == store::LedgerState::intent ||
                                             prior->state == store::LedgerState::failed));
}

bool batch_failure_stops_the_run(atsm_status status) {
  return status == ATSM_AUTH || status == ATSM_CANCELLED || status == ATSM_INTERNAL;
}

AfterWriteDecision after_write(const boost::json::object& result, unsigned attempt,
                               unsigned max_attempts) {
  AfterWriteDecision decision;
  std::string status = text(result, "status");
  if (status == "ok" && !text(result, "skipped").empty()) {
    // The sink decided not to write it (a rule of docs/mapping.md it applies itself).
    decision.action = AfterWrite::skipped;
    decision.skipped = text(result, "skipped");
  } else if (status == "ok" && text(result, "target_id").empty()) {
    decision.action = AfterWrite::failed;
    decision.status = "internal";
    decision.message = "the sink reported success without a target id";
  } else if (status == "ok") {
    decision.action = AfterWrite::done;
  } else if (status == "held") {
    decision.action = AfterWrite::held;
  } else if (status == "auth") {
    // A key revoked or stripped of a permission mid-run fails every later call the same way.
    decision.action = AfterWrite::stop;
  } else if ((status == "ambiguous" || status == "retry" || status == "rate_limited") &&
             attempt < max_attempts) {
    // Not only `ambiguous`: an attempt that failed part-way (the object created, a later step
    // refused) may also have left something behind, so every retry looks first. A lost answer is
    // looked up at once (the HTTP layer already paused as the vendor's state called for).
    decision.action = AfterWrite::retry;
    decision.pause = status != "ambiguous";
  } else {
    decision.action = AfterWrite::failed;
    decision.status = status;
  }
  return decision;
}

std::chrono::milliseconds retry_pause(unsigned attempt, std::chrono::milliseconds base) {
  return base * (1 << std::min(attempt, 5u));
}

std::size_t batch_take(std::size_t pending, std::size_t writers, std::size_t batch_size) {
  std::size_t share =
      (pending + std::max<std::size_t>(writers, 1) - 1) / std::max<std::size_t>(writers, 1);
  return std::clamp<std::size_t>(share, 1, std::max<std::size_t>(batch_size, 1));
}

bool writer_hung(std::chrono::milliseconds elapsed, std::size_t items,
                 std::chrono::milliseconds typical_item) {
  constexpr std::int64_t kTimesTypical = 4;
  auto expected = typical_item * static_cast<std::int64_t>(std::max<std::size_t>(items, 1));
  return elapsed > std::max(kHungWriterFloor, expected * kTimesTypical);
}

unsigned writers_wanted(unsigned measured, unsigned hung) {
  return measured + std::min(hung, measured);
}

const char* done_method(bool looked_up, bool had_target) {
  return looked_up ? "adopt" : had_target ? "update" : "create";
}

bool covered_needs_recording(const std::optional<store::LedgerEntry>& row,
                             const std::string& payload_hash, const std::string& target) {
  return !(is_done(row) && (row->payload_hash == payload_hash || row->target_id == target));
}

bool written_before(const std::optional<store::LedgerEntry>& row) {
  return is_done(row);
}

OwnerState owner_state(const std::optional<store::LedgerEntry>& owner) {
  if (!owner)
    return OwnerState::written_or_unknown;
  if (owner->state == store::LedgerState::failed)
    return owner->vendor_code.value_or("") == kHeldVendorCode ? OwnerState::held
                                                              : OwnerState::pending;
  if (owner->state == store::LedgerState::intent)
    return OwnerState::pending;
  return OwnerState::written_or_unknown;
}

}  // namespace atsm::pipeline
