#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "services/store/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

// A thin RAII layer over SQLite: one connection, prepared statements, transaction guards.
// Every failure throws SqliteError carrying SQLite's message and the database file.
namespace atsm::store::sqlite {

class SqliteError : public StoreError {
 public:
  SqliteError(const std::string& message, std::filesystem::path file, int code)
      : StoreError(message, std::move(file)), code_(code) {}
  // SQLite's extended result code.
  int code() const noexcept { return code_; }

 private:
  int code_;
};

struct OpenOptions {
  // Wait this long for another connection's lock before failing with SQLITE_BUSY.
  std::chrono::milliseconds busy_timeout{10'000};
  // synchronous=FULL instead of NORMAL: also survives power loss, at an fsync per commit.
  bool survive_power_loss = false;
  // Refuse writes on this connection (readers that must never modify the file).
  bool query_only = false;
};

class Statement;

// One connection in WAL mode. Not thread-safe: callers serialise access (or use one per thread).
class Database {
 public:
  // Opens `file`, creating it 0600 (and missing parent directories 0700) when absent.
  explicit Database(const std::filesystem::path& file, const OpenOptions& options = {});
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows needed by the caller.
  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  // The single value of a one-row, one-column query (e.g. a PRAGMA).
  std::int64_t query_int(std::string_view sql);
  // `PRAGMA integrity_check` result: "ok" when the file is sound, otherwise SQLite's findings.
  std::string integrity_check();

  std::int64_t last_insert_rowid() const;
  int changes() const;
  const std::filesystem::path& file() const noexcept { return file_; }
  sqlite3* handle() const noexcept { return db_; }

  // Throws SqliteError for a non-OK result code, naming `what` and the file.
  [[noreturn]] void fail(int code, std::string_view what) const;

 private:
  void close() noexcept;

  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
};

// A prepared statement bound to its Database; reset automatically between uses.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text is copied (SQLITE_TRANSIENT).
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind(int index, const std::optional<std::string_view>& text);
  Statement& bind_null(int index);

  // Advances; true while a row is available.
  bool step();
  // Runs a statement that returns no rows (INSERT/UPDATE/DDL).
  void run();
  // Makes the statement reusable: clears the cursor and all bindings.
  void reset() noexcept;

  bool is_null(int column) const;
  std::int64_t column_int(int column) const;
  // Valid until the next step/reset.
  std::string_view column_view(int column) const;
  std::string column_text(int column) const { return std::string(column_view(column)); }
  std::optional<std::string> column_optional(int column) const;

 private:
  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so two writers never deadlock
// upgrading from a read lock); ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

// Resets a reused (cached) statement when leaving scope, also when an exception leaves it.
class ScopedReset {
 public:
  explicit ScopedReset(Statement& statement) noexcept : statement_(statement) {}
  ~ScopedReset() { statement_.reset(); }
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;

 private:
  Statement& statement_;
};

// What identifies one of our file formats: SQLite's header application_id and user_version.
struct FileFormat {
  std::int32_t application_id;
  std::int32_t version;
  std::string_view name;        // "ledger", "staging store": for error messages
  std::string_view schema_sql;  // creates every table of `version` in an empty file
};

// Creates the schema in a new (empty) file, or checks that an existing file is this format at a
// version this build reads. Throws StoreError naming the file otherwise.
void ensure_format(Database& db, const FileFormat& format);

}  // namespace atsm::store::sqlite
