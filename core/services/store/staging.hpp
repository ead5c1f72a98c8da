#pragma once

// The staging store: every extracted record with its raw vendor JSON, the backup that makes each
// later step replayable without reading the source again.
//
// On-disk format (this comment is the specification; bump kStagingFormatVersion on any change):
//
//   An SQLite 3 database in WAL mode, file mode 0600.
//   Header: PRAGMA application_id = 0x41545353 ("ATSS"), PRAGMA user_version = 1.
//
//   CREATE TABLE staged_record (
//     seq          INTEGER PRIMARY KEY,  -- insertion order; an upsert keeps the original seq
//     source       TEXT NOT NULL,        -- source system name ("lever", "greenhouse")
//     kind         TEXT NOT NULL,        -- record kind ("persons", "candidacies", ...)
//     source_key   TEXT NOT NULL,        -- the record's id in the source
//     payload_hash TEXT NOT NULL,        -- SHA-256 hex of record_json
//     record_json  TEXT NOT NULL,        -- canonical model record (sdk/schema), UTF-8 JSON
//     raw_json     TEXT NOT NULL,        -- the vendor's record as received, UTF-8 JSON
//     staged_at    TEXT NOT NULL,        -- UTC ISO 8601 (2026-11-25T16:19:38.123Z), first staged
//     updated_at   TEXT NOT NULL,        -- same format, last time the content changed
//     UNIQUE (source, kind, source_key)
//   );
//   CREATE INDEX staged_by_kind ON staged_record (kind, seq);
//
//   CREATE TABLE checkpoint (
//     source     TEXT NOT NULL,
//     kind       TEXT NOT NULL,
//     checkpoint TEXT NOT NULL,          -- opaque to the store (page token, cursor, timestamp)
//     updated_at TEXT NOT NULL,
//     PRIMARY KEY (source, kind)
//   ) WITHOUT ROWID;
//
// A checkpoint is written in the same transaction as the batch of records it covers, so after a
// crash the stored checkpoint is exactly the point after the last committed batch.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "services/store/sqlite.hpp"

namespace atsm::store {

inline constexpr std::int32_t kStagingApplicationId = 0x41545353;  // "ATSS"
inline constexpr std::int32_t kStagingFormatVersion = 1;

// One record as extracted; source and kind are given per batch.
struct RecordToStage {
  std::string source_key;
  std::string record_json;  // canonical record, already serialised
  std::string raw_json;     // vendor JSON, as received
};

struct StagedRecord {
  std::int64_t seq = 0;
  std::string source;
  std::string kind;
  std::string source_key;
  std::string payload_hash;
  std::string record_json;
  std::string raw_json;
  std::string staged_at;
  std::string updated_at;
  // A grouped read's group of the record (StagingQuery::grouped_by), so the reader need not
  // parse the record to find where a group ends; empty in other reads.
  std::string group;
};

struct BatchResult {
  std::size_t inserted = 0;   // new keys
  std::size_t changed = 0;    // existing keys whose canonical record changed
  std::size_t unchanged = 0;  // existing keys with the same canonical record (raw JSON refreshed)
};

struct StagingQuery {
  std::string kind;
  std::optional<std::string> source = std::nullopt;  // all sources when absent
  std::int64_t after_seq = 0;  // only records with a larger seq (to resume a stream)
  std::optional<std::int64_t> limit = std::nullopt;  // at most this many records (a chunk)
  // When given, the records come grouped: sorted by the first of these top-level members of the
  // canonical record that is present and not empty, then by seq. Records that share that value
  // are contiguous, so a reader may end a chunk at a group's end. One sort of the kind's group
  // values and seqs (no content), which SQLite spills to a temporary file past its cache.
  std::vector<std::string> grouped_by = {};
};

// Thread-safe. Writes are serialised; iterations read a consistent snapshot on their own
// connection and never block writers, so extraction can go on while load streams from here.
class StagingStore {
 public:
  using RecordCallback = std::function<void(const StagedRecord&)>;

  // Opens or creates the store at `file` (0600; missing parent directories are created 0700).
  explicit StagingStore(const std::filesystem::path& file, const sqlite::OpenOptions& options = {});

  // Upserts `records` of (source, kind) and, when given, sets the (source, kind) checkpoint, all
  // in one transaction: either every record and the checkpoint are stored, or nothing is.
  // Each record's JSON is checked to parse; an invalid one fails the batch naming its key.
  BatchResult put_batch(std::string_view source, std::string_view kind,
                        std::span<const RecordToStage> records,
                        std::optional<std::string_view> checkpoint);

  std::optional<std::string> checkpoint(std::string_view source, std::string_view kind) const;
  std::optional<StagedRecord> get(std::string_view source, std::string_view kind,
                                  std::string_view source_key) const;

  // Streams the records matching `query` in insertion order (or grouped, see StagingQuery).
  // Returns the last seq seen (query.after_seq when none), to pass as after_seq to continue later
  // (the largest seq seen when grouped).
  std::int64_t for_each(const StagingQuery& query, const RecordCallback& callback) const;

  // Records per kind, of all sources or of one.
  std::map<std::string, std::int64_t> counts() const;
  std::map<std::string, std::int64_t> counts(std::string_view source) const;

  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  sqlite::Database open_reader() const;

  std::filesystem::path file_;
  sqlite::OpenOptions options_;
  mutable std::mutex mutex_;  // guards db_ and the statements prepared on it
  mutable sqlite::Database db_;
  sqlite::Statement find_hash_;
  sqlite::Statement upsert_;
  sqlite::Statement set_checkpoint_;
  mutable sqlite::Statement get_checkpoint_;
  mutable sqlite::Statement get_record_;
};

}  // namespace atsm::store
