#include "services/store/staging.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <string>

#include "services/store/sha256.hpp"

namespace atsm::store {

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE staged_record (
  seq          INTEGER PRIMARY KEY,
  source       TEXT NOT NULL,
  kind         TEXT NOT NULL,
  source_key   TEXT NOT NULL,
  payload_hash TEXT NOT NULL,
  record_json  TEXT NOT NULL,
  raw_json     TEXT NOT NULL,
  staged_at    TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  UNIQUE (source, kind, source_key)
);
CREATE INDEX staged_by_kind ON staged_record (kind, seq);
CREATE TABLE checkpoint (
  source     TEXT NOT NULL,
  kind       TEXT NOT NULL,
  checkpoint TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (source, kind)
) WITHOUT ROWID;
)sql";

constexpr sqlite::FileFormat kFormat{kStagingApplicationId, kStagingFormatVersion, "staging store",
                                     kSchema};

#define ATSM_STAGING_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
#define ATSM_STAGING_COLUMNS \
  "seq, source, kind, source_key, payload_hash, record_json, raw_json, staged_at, updated_at"

sqlite::Database open_staging(const std::filesystem::path& file,
                              const sqlite::OpenOptions& options) {
  sqlite::Database db(file, options);
  sqlite::ensure_format(db, kFormat);
  return db;
}

std::string describe(std::string_view source, std::string_view kind, std::string_view key) {
  return "staged record (source '" + std::string(source) + "', kind '" + std::string(kind) +
         "', key '" + std::string(key) + "')";
}

void require_json(std::string_view json, std::string_view field, std::string_view source,
                  std::string_view kind, std::string_view key, const std::filesystem::path& file) {
  boost::system::error_code error;
  boost::json::parse(json, error);
  if (error) {
    throw StoreError(describe(source, kind, key) + ": " + std::string(field) +
                         " is not valid JSON: " + error.message(),
                     file);
  }
}

StagedRecord read_record(const sqlite::Statement& row) {
  StagedRecord record;
  record.seq = row.column_int(0);
  record.source = row.column_text(1);
  record.kind = row.column_text(2);
  record.source_key = row.column_text(3);
  record.payload_hash = row.column_text(4);
  record.record_json = row.column_text(5);
  record.raw_json = row.column_text(6);
  record.staged_at = row.column_text(7);
  record.updated_at = row.column_text(8);
  return record;
}

std::map<std::string, std::int64_t> collect_counts(sqlite::Statement& query) {
  std::map<std::string, std::int64_t> counts;
  while (query.step()) {
    counts[query.column_text(0)] = query.column_int(1);
  }
  return counts;
}

// Binds a query's kind (?1), after_seq (?2), source (?3, all when absent) and limit (?4).
void bind_query(sqlite::Statement& select, const StagingQuery& query) {
  select.bind(1, query.kind).bind(2, query.after_seq).bind(4, query.limit.value_or(-1));
  if (query.source) {
    select.bind(3, *query.source);
  } else {
    select.bind_null(3);
  }
}

}  // namespace

StagingStore::StagingStore(const std::filesystem::path& file, const sqlite::OpenOptions& options)
    : file_(file),
      options_(options),
      db_(open_staging(file, options)),
      find_hash_(db_,
                 "SELECT payload_hash FROM staged_record"
                 " WHERE source = ?1 AND kind = ?2 AND source_key = ?3"),
      upsert_(db_,
              "INSERT INTO staged_record (source, kind, source_key, payload_hash, record_json,"
              " raw_json, staged_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, " ATSM_STAGING_NOW
              ", " ATSM_STAGING_NOW
              ") ON CONFLICT (source, kind, source_key) DO UPDATE SET"
              " payload_hash = excluded.payload_hash, record_json = excluded.record_json,"
              " raw_json = excluded.raw_json,"
              " updated_at = CASE WHEN payload_hash = excluded.payload_hash THEN updated_at"
              " ELSE excluded.updated_at END"),
      set_checkpoint_(db_,
                      "INSERT INTO checkpoint (source, kind, checkpoint, updated_at)"
                      " VALUES (?1, ?2, ?3, " ATSM_STAGING_NOW
                      ") ON CONFLICT (source, kind) DO UPDATE SET"
                      " checkpoint = excluded.checkpoint, updated_at = excluded.updated_at"),
      get_checkpoint_(db_, "SELECT checkpoint FROM checkpoint WHERE source = ?1 AND kind = ?2"),
      get_record_(db_, "SELECT " ATSM_STAGING_COLUMNS
                       " FROM staged_record WHERE source = ?1 AND kind = ?2 AND source_key = ?3") {}

BatchResult StagingStore::put_batch(std::string_view source, std::string_view kind,
                                    std::span<const RecordToStage> records,
                                    std::optional<std::string_view> checkpoint) {
  if (source.empty() || kind.empty()) {
    throw StoreError("staging batch: source and kind must not be empty (source '" +
                         std::string(source) + "', kind '" + std::string(kind) + "')",
                     file_);
  }
  BatchResult result;
  std::lock_guard lock(mutex_);
  sqlite::Transaction transaction(db_);
  for (const auto& record : records) {
    if (record.source_key.empty()) {
      throw StoreError(describe(source, kind, record.source_key) + ": empty source key", file_);
    }
    require_json(record.record_json, "record JSON", source, kind, record.source_key, file_);
    require_json(record.raw_json, "raw vendor JSON", source, kind, record.source_key, file_);
    const std::string hash = sha256_hex(record.record_json);
    {
      sqlite::ScopedReset reset(find_hash_);
      find_hash_.bind(1, source).bind(2, kind).bind(3, record.source_key);
      if (!find_hash_.step()) {
        ++result.inserted;
      } else if (find_hash_.column_view(0) == hash) {
        ++result.unchanged;
      } else {
        ++result.changed;
      }
    }
    sqlite::ScopedReset reset(upsert_);
    upsert_.bind(1, source)
        .bind(2, kind)
        .bind(3, record.source_key)
        .bind(4, hash)
        .bind(5, record.record_json)
        .bind(6, record.raw_json);
    upsert_.run();
  }
  if (checkpoint) {
    sqlite::ScopedReset reset(set_checkpoint_);
    set_checkpoint_.bind(1, source).bind(2, kind).bind(3, *checkpoint);
    set_checkpoint_.run();
  }
  transaction.commit();
  return result;
}

std::optional<std::string> StagingStore::checkpoint(std::string_view source,
                                                    std::string_view kind) const {
  std::lock_guard lock(mutex_);
  sqlite::ScopedReset reset(get_checkpoint_);
  get_checkpoint_.bind(1, source).bind(2, kind);
  if (!get_checkpoint_.step()) {
    return std::nullopt;
  }
  return get_checkpoint_.column_text(0);
}

std::optional<StagedRecord> StagingStore::get(std::string_view source, std::string_view kind,
                                              std::string_view source_key) const {
  std::lock_guard lock(mutex_);
  sqlite::ScopedReset reset(get_record_);
  get_record_.bind(1, source).bind(2, kind).bind(3, source_key);
  if (!get_record_.step()) {
    return std::nullopt;
  }
  return read_record(get_record_);
}

sqlite::Database StagingStore::open_reader() const {
  sqlite::OpenOptions reader = options_;
  reader.query_only = true;
  return sqlite::Database(file_, reader);
}

std::int64_t StagingStore::for_each(const StagingQuery& query,
                                    const RecordCallback& callback) const {
  auto reader = open_reader();
  if (query.grouped_by.empty()) {
    auto select = reader.prepare("SELECT " ATSM_STAGING_COLUMNS
                                 " FROM staged_record WHERE kind = ?1 AND seq > ?2"
                                 " AND (?3 IS NULL OR source = ?3) ORDER BY seq LIMIT ?4");
    bind_query(select, query);
    std::int64_t last_seq = query.after_seq;
    while (select.step()) {
      auto record = read_record(select);
      last_seq = record.seq;
      callback(record);
    }
    return last_seq;
  }
  // Grouped: only (group, seq) is sorted, then each record is read by its seq (in the same
  // snapshot), so the sort holds no record's content, in memory or in SQLite's temporary files.
  // The group is the first of `grouped_by` present and not empty (JSON paths bound as ?5, ...).
  std::string group = "coalesce(";
  for (std::size_t i = 0; i < query.grouped_by.size(); ++i)
    group += "nullif(json_extract(record_json, ?" + std::to_string(5 + i) + "), ''), ";
  group += "'')";
  auto order = reader.prepare("SELECT seq, " + group +
                              " AS grp FROM staged_record WHERE kind = ?1 AND seq > ?2"
                              " AND (?3 IS NULL OR source = ?3) ORDER BY grp, seq LIMIT ?4");
  bind_query(order, query);
  for (std::size_t i = 0; i < query.grouped_by.size(); ++i)
    order.bind(static_cast<int>(5 + i), "$." + query.grouped_by[i]);
  auto by_seq = reader.prepare("SELECT " ATSM_STAGING_COLUMNS " FROM staged_record WHERE seq = ?1");
  std::int64_t last_seq = query.after_seq;
  while (order.step()) {
    std::optional<StagedRecord> record;
    {
      sqlite::ScopedReset reset(by_seq);
      by_seq.bind(1, order.column_int(0));
      if (by_seq.step())
        record = read_record(by_seq);
    }
    if (!record)
      continue;
    record->group = order.column_text(1);
    last_seq = std::max(last_seq, record->seq);
    callback(*record);
  }
  return last_seq;
}

std::map<std::string, std::int64_t> StagingStore::counts() const {
  auto reader = open_reader();
  auto query = reader.prepare("SELECT kind, count(*) FROM staged_record GROUP BY kind");
  return collect_counts(query);
}

std::map<std::string, std::int64_t> StagingStore::counts(std::string_view source) const {
  auto reader = open_reader();
  auto query =
      reader.prepare("SELECT kind, count(*) FROM staged_record WHERE source = ?1 GROUP BY kind");
  query.bind(1, source);
  return collect_counts(query);
}

}  // namespace atsm::store
