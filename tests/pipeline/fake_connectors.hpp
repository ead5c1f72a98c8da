// Two ordinary C-ABI connectors written with the SDK's connector.hpp and linked into the test
// binary (registered with PluginRegistry::add_static through SessionOptions): a source that
// emits what the test gives it, and a sink that answers each write as the test scripts it and
// holds what it "created" the way a target would, so tests drive extract, plan and load
// in-process against a real staging store and ledger.
#pragma once

#include <atsmigrate/connector.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace atsm::testing::fake {

inline constexpr const char* kSourceName = "fakesource";
inline constexpr const char* kSinkName = "fakesink";

// One answer of the sink to one write of an item.
struct Answer {
  // A result status of sink-protocol.md §2 ("ok", "retry", "rate_limited", "ambiguous",
  // "permanent", "held", "auth", ...), or "skipped" (ok with a skip reason), or "no_target" (ok
  // without a target id).
  std::string status = "ok";
  std::string message = "scripted";
  std::string vendor_code;
  // The object is created before the answer goes out (a write whose answer is lost).
  bool creates = false;
};

// What the sink was handed for one item of one write call.
struct Received {
  std::string kind;
  boost::json::object item;
  std::string key() const;
  bool lookup_first() const;
  std::int64_t attempt() const;
};

struct Script {
  // The source: records (canonical JSON objects) per kind, emitted in one batch.
  std::map<std::string, boost::json::array> records;
  // The read of a kind ends with this status after its batch (a source that could not fetch
  // some records now ends ATSM_RETRY).
  std::map<std::string, atsm_status> read_ends_with;
  // A second batch of a kind, emitted once the sink was handed the item (kind, key) (at most 20 s
  // later): a source still reading a kind while the load writes what it staged first. The event
  // "staged later <kind>" marks when it goes out.
  struct LaterBatch {
    boost::json::array records;
    std::pair<std::string, std::string> after;
  };
  std::map<std::string, LaterBatch> later_batch;

  // The sink's scripted answers per (kind, key), one per write of that item in order; once they
  // are used up every write of it succeeds.
  std::map<std::pair<std::string, std::string>, std::deque<Answer>> answers;
  // The next write call of a kind fails as a whole with this status (the transport broke).
  std::map<std::string, atsm_status> whole_call_fails;
  // prepare's catalog.
  boost::json::object catalog;

  // What the target holds: (kind, source key) -> target id; a test may seed it.
  std::map<std::pair<std::string, std::string>, std::string> objects;
  // Updates applied: (kind, target id) -> how many.
  std::map<std::pair<std::string, std::string>, int> updates;
  int created = 0;
  std::vector<Received> received;     // every item of every write call, in order
  boost::json::object prepared_with;  // prepare's input
  int finds = 0;

  // A write of the item (kind, key) is held, without holding up the sink's other writes, until
  // the item (kind, key) it maps to has been handed to the sink (at most 20 s); whether that
  // happened is recorded in `hold_met`. A write the vendor stalls, made deterministic.
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> hold_until;
  std::map<std::pair<std::string, std::string>, bool> hold_met;
  // How long the sink takes to answer each item (none by default), as a vendor's latency.
  std::chrono::milliseconds write_latency{0};
  // "handed <kind> <key>" as each item reaches the sink, "answered <kind> <key>" as its answer
  // goes out, in the order they happened.
  std::vector<std::string> events;

  // Items of `kind` with `key` the sink was handed.
  std::vector<Received> received_for(const std::string& kind, const std::string& key) const;
};

// The one script both connectors read (reset by every test); guarded by `mutex()`.
Script& script();
std::mutex& mutex();
void reset();

// Entry functions, as a plugin exports atsm_connector_entry.
const atsm_connector* source_entry(uint32_t host_abi_version);
const atsm_connector* sink_entry(uint32_t host_abi_version);

}  // namespace atsm::testing::fake
