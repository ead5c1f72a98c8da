#include "services/store/sqlite.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "services/store/private_fs.hpp"

namespace atsm::store::sqlite {

namespace {

// SQLite creates a database with 0644 & ~umask; candidate data must be private, so the file is
// created 0600 first. SQLite gives the -wal and -shm files the database file's mode.
void create_private_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    return;
  }
  fs::ensure_private_directory(file.has_parent_path() ? file.parent_path()
                                                      : std::filesystem::path("."));
  fs::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd && errno != EEXIST) {
    throw StoreError(std::string("cannot create database file: ") + std::strerror(errno), file);
  }
}

int checked_length(std::string_view text, const std::filesystem::path& file) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    throw SqliteError("text of " + std::to_string(text.size()) + " bytes exceeds SQLite's limit",
                      file, SQLITE_TOOBIG);
  }
  return static_cast<int>(text.size());
}

}  // namespace

Database::Database(const std::filesystem::path& file, const OpenOptions& options) : file_(file) {
  create_private_file(file_);
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(file_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    close();
    throw SqliteError("cannot open database: " + message, file_, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
  try {
    sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
    // WAL: readers never block the writer and a commit is one append to the log.
    std::string mode;
    {
      Statement journal(*this, "PRAGMA journal_mode=WAL");
      if (journal.step()) {
        mode = journal.column_text(0);
      }
    }
    if (mode != "wal") {
      throw SqliteError("cannot switch to WAL mode (journal_mode is '" + mode + "')", file_,
                        SQLITE_ERROR);
    }
    // In WAL mode synchronous=NORMAL writes each commit to the log before returning but fsyncs
    // only at checkpoints. A killed process loses nothing: the committed log frames are already in
    // the OS page cache and are replayed on the next open. Only an OS crash or power loss can drop
    // the most recent commits (never corrupting the file); FULL covers that at an fsync per commit.
    exec(options.survive_power_loss ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    if (options.query_only) {
      exec("PRAGMA query_only=ON");
    }
  } catch (...) {
    close();
    throw;
  }
}

Database::~Database() {
  close();
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), file_(std::move(other.file_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    file_ = std::move(other.file_);
  }
  return *this;
}

void Database::close() noexcept {
  if (db_) {
    // close_v2 defers the close until any statement still alive is finalized, instead of failing.
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

void Database::fail(int code, std::string_view what) const {
  std::string message(what);
  message += ": ";
  message += db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
  throw SqliteError(message, file_, code);
}

void Database::exec(std::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw SqliteError("'" + text.substr(0, 60) + "' failed: " + message, file_, rc);
  }
}

Statement Database::prepare(std::string_view sql) {
  return Statement(*this, sql);
}

std::int64_t Database::query_int(std::string_view sql) {
  Statement statement(*this, sql);
  if (!statement.step()) {
    throw SqliteError("'" + std::string(sql) + "' returned no row", file_, SQLITE_ERROR);
  }
  return statement.column_int(0);
}

std::string Database::integrity_check() {
  Statement statement(*this, "PRAGMA integrity_check");
  std::string result;
  while (statement.step()) {
    if (!result.empty()) {
      result += '\n';
    }
    result += statement.column_view(0);
  }
  return result;
}

std::int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int Database::changes() const {
  return sqlite3_changes(db_);
}

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
  const int rc =
      sqlite3_prepare_v2(db.handle(), sql.data(), checked_length(sql, db.file()), &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    db.fail(rc, "cannot prepare '" + std::string(sql.substr(0, 60)) + "'");
  }
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) {
    db_->fail(rc, "cannot bind parameter " + std::to_string(index));
  }
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // An empty string_view may carry a null pointer, which SQLite would bind as NULL, not ''.
  const char* data = text.data() ? text.data() : "";
  const int rc =
      sqlite3_bind_text(stmt_, index, data, checked_length(text, db_->file()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) {
    db_->fail(rc, "cannot bind parameter " + std::to_string(index));
  }
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string_view>& text) {
  return text ? bind(index, *text) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) {
    db_->fail(rc, "cannot bind parameter " + std::to_string(index));
  }
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  std::string message = std::string("statement '") + sqlite3_sql(stmt_) +
                        "' failed: " + sqlite3_errmsg(db_->handle());
  sqlite3_reset(stmt_);
  throw SqliteError(message, db_->file(), rc);
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string_view Statement::column_view(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!text) {
    return {};
  }
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<std::string> Statement::column_optional(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return column_text(column);
}

Transaction::Transaction(Database& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (open_) {
    // Already rolled back by SQLite after some errors; a failing ROLLBACK then changes nothing.
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

void ensure_format(Database& db, const FileFormat& format) {
  Transaction transaction(db);
  const auto application_id = db.query_int("PRAGMA application_id");
  const auto version = db.query_int("PRAGMA user_version");
  const auto objects = db.query_int("SELECT count(*) FROM sqlite_schema");
  if (application_id == 0 && version == 0 && objects == 0) {
    db.exec(format.schema_sql);
    db.exec("PRAGMA application_id=" + std::to_string(format.application_id));
    db.exec("PRAGMA user_version=" + std::to_string(format.version));
    transaction.commit();
    return;
  }
  if (application_id != format.application_id) {
    throw StoreError("not an atsmigrate " + std::string(format.name) + " (application_id " +
                         std::to_string(application_id) + ", expected " +
                         std::to_string(format.application_id) + ")",
                     db.file());
  }
  if (version != format.version) {
    throw StoreError(std::string(format.name) + " format version " + std::to_string(version) +
                         " is not the version this build reads (" + std::to_string(format.version) +
                         ")",
                     db.file());
  }
  transaction.commit();
}

}  // namespace atsm::store::sqlite
