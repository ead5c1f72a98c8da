#pragma once

// The ledger: the exactly-once record of every write to a target system.
//
// On-disk format (this comment is the specification; bump kLedgerFormatVersion on any change):
//
//   An SQLite 3 database in WAL mode, file mode 0600.
//   Header: PRAGMA application_id = 0x4154534C ("ATSL"), PRAGMA user_version = 1.
//
//   CREATE TABLE ledger (
//     scope        TEXT NOT NULL,     -- run scope: which migration (e.g. "lever->ashby")
//     kind         TEXT NOT NULL,     -- record kind ("persons", "candidacies", ...)
//     source_key   TEXT NOT NULL,     -- the record's id in the source system
//     state        TEXT NOT NULL CHECK (state IN ('intent', 'done', 'failed', 'skipped')),
//     payload_hash TEXT NOT NULL,     -- hash of the payload last attempted; '' if never attempted
//     target_id    TEXT,              -- id in the target once written; kept through updates
//     attempts     INTEGER NOT NULL,  -- number of intents recorded (writes attempted)
//     last_error   TEXT,              -- failure message, or the reason a record was skipped
//     vendor_code  TEXT,              -- the vendor's error code for a failure
//     request_id   TEXT,              -- the vendor's request id of the last write
//     created_at   TEXT NOT NULL,     -- UTC ISO 8601 with milliseconds: 2026-11-25T16:19:38.123Z
//     updated_at   TEXT NOT NULL,     -- same format; time of the last state change
//     PRIMARY KEY (scope, kind, source_key)
//   ) WITHOUT ROWID;
//   CREATE INDEX ledger_by_state ON ledger (scope, kind, state);
//
// State machine (every change is its own committed transaction before the call returns):
//
//   (none)  -> intent     record_intent: a write is about to be sent
//   intent  -> intent     record_intent again: the previous attempt's outcome is unknown (crash,
//                         timeout, lost response); the caller must `find` before re-creating
//   failed  -> intent     retry of a failure
//   skipped -> intent     a record skipped earlier (e.g. unmapped reference) is now attempted
//   done    -> intent     only with a different payload hash: the update path (target_id kept)
//   intent  -> done       the write succeeded: target_id and request id recorded
//   intent  -> failed     a permanent (business) error: message, vendor code, request id
//   (none) | intent | failed | skipped -> skipped   decided not to write, with a reason
//
// Everything else is refused with IllegalTransition, notably `done` -> `intent` with the same
// payload hash (already written: nothing to do), and done/failed without a recorded intent.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "services/store/sqlite.hpp"

namespace atsm::store {

inline constexpr std::int32_t kLedgerApplicationId = 0x4154534C;  // "ATSL"
inline constexpr std::int32_t kLedgerFormatVersion = 1;

enum class LedgerState { intent, done, failed, skipped };

std::string_view to_string(LedgerState state) noexcept;
// nullopt for text that is not a state name.
std::optional<LedgerState> parse_ledger_state(std::string_view text) noexcept;

struct LedgerKey {
  std::string scope;
  std::string kind;
  std::string source_key;
};

struct LedgerEntry {
  LedgerKey key;
  LedgerState state = LedgerState::intent;
  std::string payload_hash;
  std::optional<std::string> target_id;
  std::int64_t attempts = 0;
  std::optional<std::string> last_error;
  std::optional<std::string> vendor_code;
  std::optional<std::string> request_id;
  std::string created_at;
  std::string updated_at;
};

struct StateCounts {
  std::int64_t intent = 0;
  std::int64_t done = 0;
  std::int64_t failed = 0;
  std::int64_t skipped = 0;

  std::int64_t total() const noexcept { return intent + done + failed + skipped; }
  friend bool operator==(const StateCounts&, const StateCounts&) = default;
};

// Thread-safe: one instance is shared by every worker thread of a run. Several processes may open
// the same file (e.g. a report while a run goes on); SQLite's locks and the busy timeout serialise
// them. Empty strings passed for optional fields (request id, vendor code) are stored as NULL.
class Ledger {
 public:
  using EntryCallback = std::function<void(const LedgerEntry&)>;

  // Opens or creates the ledger at `file` (0600; missing parent directories are created 0700).
  explicit Ledger(const std::filesystem::path& file, const sqlite::OpenOptions& options = {});

  // Commits `intent` for the payload about to be written and increments attempts. Returns the
  // entry as it was before (nullopt for a new key): a prior `intent` means a previous attempt's
  // outcome is unknown, so the caller must look the object up before creating it again; a prior
  // target_id means the write is an update of that object.
  std::optional<LedgerEntry> record_intent(const LedgerKey& key, std::string_view payload_hash);
  // intent -> done. `target_id` must not be empty.
  void mark_done(const LedgerKey& key, std::string_view target_id,
                 std::string_view request_id = {});
  // intent -> failed, for permanent errors. `message` must not be empty.
  void mark_failed(const LedgerKey& key, std::string_view message,
                   std::string_view vendor_code = {}, std::string_view request_id = {});
  // Records a decision not to write the record (refused once it is done). `reason` not empty.
  void mark_skipped(const LedgerKey& key, std::string_view reason);

  std::optional<LedgerEntry> get(const LedgerKey& key) const;
  // The target id recorded for the key (state done, or an update of a done record under way).
  std::optional<std::string> target_of(const LedgerKey& key) const;

  // Calls `callback` for each entry of (scope, kind), optionally only those in `state`, in
  // source_key order. Rows are streamed from one consistent snapshot on a separate connection,
  // so the callback may call this ledger (its changes are not seen by the running iteration).
  void for_each(std::string_view scope, std::string_view kind, std::optional<LedgerState> state,
                const EntryCallback& callback) const;
  // Entries per kind per state for one scope.
  std::map<std::string, StateCounts> counts(std::string_view scope) const;

  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::optional<LedgerEntry> select_locked(const LedgerKey& key) const;
  sqlite::Database open_reader() const;

  std::filesystem::path file_;
  sqlite::OpenOptions options_;
  mutable std::mutex mutex_;  // guards db_ and the statements prepared on it
  mutable sqlite::Database db_;
  mutable sqlite::Statement select_;
  sqlite::Statement insert_;
  sqlite::Statement reintent_;
  sqlite::Statement done_;
  sqlite::Statement failed_;
  sqlite::Statement skip_existing_;
};

}  // namespace atsm::store
