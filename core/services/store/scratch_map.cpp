#include "services/store/scratch_map.hpp"

#include <system_error>

namespace atsm::store {

namespace {

void remove_with_companions(const std::filesystem::path& file) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::filesystem::remove(file.string() + suffix, ignored);
}

}  // namespace

ScratchMap::RemovedAtEnd::~RemovedAtEnd() {
  remove_with_companions(file);
}

sqlite::Database ScratchMap::open(const std::filesystem::path& file) {
  remove_with_companions(file);
  sqlite::Database db(file);
  // Nothing here outlives the process that writes it: no fsync, ever.
  db.exec("PRAGMA synchronous=OFF");
  // A small page cache (SQLite's default is 2 MiB a connection): the map exists to keep memory
  // flat, and a look-up that misses it is a read from the OS's page cache, microseconds.
  db.exec("PRAGMA cache_size=-512");
  db.exec("CREATE TABLE entry (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
  return db;
}

ScratchMap::ScratchMap(const std::filesystem::path& file)
    : file_(file),
      removed_at_end_{file},
      db_(open(file)),
      put_(db_,
           "INSERT INTO entry (key, value) VALUES (?1, ?2) "
           "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
      put_if_absent_(db_, "INSERT INTO entry (key, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING"),
      get_(db_, "SELECT value FROM entry WHERE key = ?1") {}

void ScratchMap::put_locked(std::string_view key, std::string_view value) {
  put_.reset();
  put_.bind(1, key).bind(2, value).run();
  put_.reset();
}

std::optional<std::string> ScratchMap::get_locked(std::string_view key) const {
  get_.reset();
  get_.bind(1, key);
  std::optional<std::string> value;
  if (get_.step())
    value = get_.column_text(0);
  get_.reset();
  return value;
}

void ScratchMap::put(std::string_view key, std::string_view value) {
  std::lock_guard lock(mutex_);
  put_locked(key, value);
}

bool ScratchMap::put_if_absent(std::string_view key, std::string_view value) {
  std::lock_guard lock(mutex_);
  return put_if_absent_locked(key, value);
}

bool ScratchMap::put_if_absent_locked(std::string_view key, std::string_view value) {
  put_if_absent_.reset();
  put_if_absent_.bind(1, key).bind(2, value).run();
  put_if_absent_.reset();
  return db_.changes() > 0;
}

std::optional<std::string> ScratchMap::get(std::string_view key) const {
  std::lock_guard lock(mutex_);
  return get_locked(key);
}

std::int64_t ScratchMap::size() const {
  std::lock_guard lock(mutex_);
  return db_.query_int("SELECT count(*) FROM entry");
}

void ScratchMap::clear() {
  std::lock_guard lock(mutex_);
  db_.exec("DELETE FROM entry");
}

ScratchMap::Batch::Batch(ScratchMap& map) : map_(map), lock_(map.mutex_), transaction_(map.db_) {}

void ScratchMap::Batch::put(std::string_view key, std::string_view value) {
  map_.put_locked(key, value);
}

bool ScratchMap::Batch::put_if_absent(std::string_view key, std::string_view value) {
  return map_.put_if_absent_locked(key, value);
}

std::optional<std::string> ScratchMap::Batch::get(std::string_view key) const {
  return map_.get_locked(key);
}

void ScratchMap::Batch::commit() {
  transaction_.commit();
}

}  // namespace atsm::store
