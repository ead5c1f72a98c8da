#include "archive_sink.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <stdexcept>

namespace atsm::archive {
namespace {

namespace json = boost::json;
using atsm::sdk::Error;

// The reference kinds a host hands over in prepare's plan rather than through write.
const std::vector<std::string> kPlannedKinds = {"user", "custom_field", "stage", "archive_reason",
                                                "source"};

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

// A list given as a JSON array of strings or as "a,b,c" text.
std::vector<std::string> string_list(const json::value& value, const std::string& key) {
  std::vector<std::string> out;
  if (value.is_string()) {
    std::string text(value.as_string());
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      std::string part =
          text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      size_t b = part.find_first_not_of(" \t");
      size_t e = part.find_last_not_of(" \t");
      if (b != std::string::npos)
        out.push_back(part.substr(b, e - b + 1));
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    return out;
  }
  if (!value.is_array())
    throw Error(ATSM_INVALID, "archive config '" + key + "': expected a list of names");
  for (const json::value& item : value.as_array()) {
    if (!item.is_string())
      throw Error(ATSM_INVALID, "archive config '" + key + "': every entry must be a string");
    out.emplace_back(item.as_string());
  }
  return out;
}

const std::vector<std::string>& known_columns(const std::string& table, const std::string& key) {
  const std::vector<std::string>* columns = table_columns(table);
  if (columns == nullptr) {
    throw Error(ATSM_INVALID, "archive config '" + key + "': unknown table '" + table +
                                  "'; valid tables: " + joined(table_names()));
  }
  return *columns;
}

void check_column(const std::string& table, const std::string& column, const std::string& key) {
  const std::vector<std::string>& columns = known_columns(table, key);
  if (std::find(columns.begin(), columns.end(), column) == columns.end()) {
    throw Error(ATSM_INVALID, "archive config '" + key + "': table " + table + " has no column '" +
                                  column + "'; valid columns: " + joined(columns));
  }
}

std::string now_iso() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[80];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text;
}

void make_private_dir(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error || !std::filesystem::is_directory(dir))
    throw Error(ATSM_INVALID, "archive dir " + dir.string() + ": cannot create it");
  if (::chmod(dir.c_str(), 0700) != 0)
    throw Error(ATSM_INVALID, "archive dir " + dir.string() + ": cannot make it private (0700)");
}

// RAII over one prepared statement.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw Error(ATSM_INTERNAL, std::string("archive state: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& bind(int index, const std::string& text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, int64_t number) {
    sqlite3_bind_int64(stmt_, index, number);
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
      return true;
    if (rc != SQLITE_DONE)
      throw Error(ATSM_INTERNAL, std::string("archive state: ") + sqlite3_errmsg(db_));
    return false;
  }
  void run() {
    step();
    sqlite3_reset(stmt_);
  }
  std::string text(int column) const {
    const unsigned char* value = sqlite3_column_text(stmt_, column);
    return value ? std::string(reinterpret_cast<const char*>(value),
                               static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
                 : std::string();
  }
  int64_t number(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

json::value parse_json(const std::string& text, const std::string& what) {
  json::parse_options options;
  options.allow_invalid_utf8 = true;  // repaired and counted per value, not refused
  json::error_code error;
  json::value value = json::parse(text, error, {}, options);
  if (error)
    throw Error(ATSM_INVALID, what + " is not valid JSON: " + error.message());
  return value;
}

std::vector<Cell> parse_cells(const std::string& text) {
  std::vector<Cell> cells;
  json::value value = parse_json(text, "archive state row");
  for (const json::value& cell : value.as_array()) {
    if (cell.is_string())
      cells.emplace_back(std::string(cell.as_string()));
    else
      cells.emplace_back();
  }
  return cells;
}

// One stored row of an item: its table, its row id and its columns' typed values.
struct HeldRow {
  std::string table, rid;
  json::object fields;  // column -> value, for the members the record had
};

// The canonical record an item's rows were flattened from: the main row's columns as members and
// each child table's rows, in position order, as the array member they came from. Only the record
// whose source key is the item's: a group's other records stay in read_back's `tables`. Columns
// the configuration leaves out are absent; a hashed column holds its hash.
json::object rebuild_record(const std::string& kind, const std::string& key,
                            const std::vector<HeldRow>& rows) {
  const std::string main = main_table(kind);
  // The row of the item's own record; else the only main row (an item whose key is not its
  // record's source key). Among several others nothing says which one the item is.
  const HeldRow* own = nullptr;
  const HeldRow* only = nullptr;
  int main_rows = 0;
  for (const HeldRow& row : rows) {
    if (row.table != main)
      continue;
    ++main_rows;
    only = &row;
    if (row.rid == key)
      own = &row;
  }
  if (own == nullptr && main_rows == 1)
    own = only;
  std::string source_key = own ? own->rid : key;
  json::object record{{"kind", kind}, {"source_key", source_key}};
  if (own) {
    for (const auto& [column, value] : own->fields)
      record[column] = value;
  }
  // table -> position -> element
  std::map<std::string, std::map<int64_t, json::value>> children;
  const std::string prefix = source_key + "#";
  for (const HeldRow& row : rows) {
    const TableSpec* spec = table_spec(kind, row.table);
    if (spec == nullptr || spec->field.empty() || !row.rid.starts_with(prefix))
      continue;
    // A group's other record may have a key that starts the same ("k#1": rows "k#1#2").
    std::string number = row.rid.substr(prefix.size());
    if (number.empty() || number.size() > 9 ||
        number.find_first_not_of("0123456789") != std::string::npos)
      continue;
    int64_t position = std::stoll(number);
    // The element's members follow the parent key, position (and parent kind) columns.
    const size_t first = spec->columns.size() - spec->fields.size();
    if (spec->fields.size() == 1 && spec->fields.front().empty()) {
      if (const json::value* value = row.fields.if_contains(spec->columns[first]))
        children[row.table][position] = *value;
      continue;
    }
    json::object element;
    for (size_t i = 0; i < spec->fields.size(); ++i) {
      if (const json::value* value = row.fields.if_contains(spec->columns[first + i]))
        element[spec->fields[i]] = *value;
    }
    if (!element.empty())  // the configuration left out every column of the element
      children[row.table][position] = std::move(element);
  }
  for (auto& [table, elements] : children) {
    json::array list;
    for (auto& [position, element] : elements)
      list.push_back(std::move(element));
    record[table_spec(kind, table)->field] = std::move(list);
  }
  return record;
}

std::string string_or(const json::object& object, const char* key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

}  // namespace

const kit::ConfigTable kConfig(
    "archive",
    {
        {.name = "dir",
         .type = kit::text(),
         .description = "directory the archive is written to (0700; files 0600)",
         .required = true},
        {.name = "formats",
         .type = kit::string_list(),
         .description = "any of csv, jsonl, xlsx (a JSON array or \"csv,xlsx\")",
         .fallback = json::array{"csv"}},
        {.name = "tables",
         .type = kit::string_list(),
         .description = "tables to write (default: all; README lists them)",
         .fallback = json::array{}},
        {.name = "columns",
         .type = kit::json_object(),
         .description = "per-table column selection: {\"persons\": [\"source_key\", \"name\"]}",
         .fallback = json::object{}},
        {.name = "hash_columns",
         .type = kit::string_list(),
         .description = "TABLE.COLUMN values replaced by HMAC-SHA-256 (hex) keyed by the secret "
                        "hash_secret names",
         .fallback = json::array{}},
        {.name = "hash_secret",
         .type = kit::text(),
         .description = "name of the secret holding the HMAC key (credentials file or "
                        "environment)",
         .fallback = "ARCHIVE_HASH_KEY"},
        {.name = "mode",
         .type = kit::choice({"snapshot", "append"}),
         .description = "snapshot (files replaced) | append (changed rows with _synced_at, "
                        "deletes as _deleted tombstones)",
         .fallback = "snapshot"},
        {.name = "include_files",
         .type = kit::boolean(),
         .description = "copy attachments into files/<sha256>",
         .fallback = false},
        // Declared "number" since 1.0; the value is a whole number.
        {.name = "xlsx_max_rows",
         .type = kit::integer(2, 1048576).declared_as("number"),
         .description = "rows per XLSX sheet, header included, before a table continues on "
                        "another sheet",
         .fallback = 1048576},
    });

ArchiveConfig parse_config(std::string_view config_json) {
  const kit::Config given = kConfig.parse(config_json);
  ArchiveConfig config;
  if (given.text("dir").empty())
    throw Error(ATSM_INVALID,
                "archive config key 'dir' is required: the directory the archive is written to "
                "(--set archive.dir=PATH)");
  config.dir = given.text("dir");
  config.formats = given.list("formats");
  for (const std::string& format : config.formats) {
    if (format != "csv" && format != "jsonl" && format != "xlsx") {
      throw Error(ATSM_INVALID, "archive config 'formats': unknown format '" + format +
                                    "'; valid formats: csv, jsonl, xlsx");
    }
  }
  if (config.formats.empty())
    throw Error(ATSM_INVALID, "archive config 'formats': name at least one of csv, jsonl, xlsx");
  for (const std::string& table : given.list("tables")) {
    known_columns(table, "tables");
    config.tables.insert(table);
  }
  for (const auto& [table, list] : given.value("columns").as_object()) {
    std::vector<std::string> chosen = string_list(list, "columns." + std::string(table));
    for (const std::string& column : chosen)
      check_column(std::string(table), column, "columns");
    if (chosen.empty())
      throw Error(ATSM_INVALID, "archive config 'columns': table " + std::string(table) +
                                    " needs at least one column");
    config.columns[std::string(table)] = std::move(chosen);
  }
  for (const std::string& name : given.list("hash_columns")) {
    size_t dot = name.find('.');
    if (dot == std::string::npos) {
      throw Error(ATSM_INVALID, "archive config 'hash_columns': '" + name +
                                    "' must be TABLE.COLUMN (e.g. person_emails.address)");
    }
    check_column(name.substr(0, dot), name.substr(dot + 1), "hash_columns");
    config.hash_columns[name.substr(0, dot)].insert(name.substr(dot + 1));
  }
  config.hash_secret = given.text("hash_secret");
  if (config.hash_secret.empty())
    throw Error(ATSM_INVALID, "archive config 'hash_secret': expected a secret's name");
  config.mode = given.text("mode");
  config.include_files = given.flag("include_files");
  config.xlsx_max_rows = static_cast<uint32_t>(given.integer("xlsx_max_rows"));
  return config;
}

ArchiveSink::ArchiveSink(atsm::sdk::Host host, std::string_view config_json)
    : host_(host), config_(parse_config(config_json)) {
  for (const std::string& table : table_names()) {
    if (!config_.tables.empty() && !config_.tables.contains(table))
      continue;
    const std::vector<std::string>& all = *table_columns(table);
    Selected selected;
    auto chosen = config_.columns.find(table);
    const std::vector<std::string>& names = chosen == config_.columns.end() ? all : chosen->second;
    for (const std::string& name : names) {
      selected.indexes.push_back(
          static_cast<size_t>(std::find(all.begin(), all.end(), name) - all.begin()));
      selected.columns.push_back(name);
      auto hashed = config_.hash_columns.find(table);
      selected.hashed.push_back(hashed != config_.hash_columns.end() &&
                                hashed->second.contains(name));
    }
    selected_[table] = std::move(selected);
  }
  if (!config_.hash_columns.empty()) {
    std::optional<std::string> key = host_.secret(config_.hash_secret);
    if (!key || key->empty()) {
      throw Error(ATSM_INVALID, "archive config 'hash_columns' needs the secret " +
                                    config_.hash_secret +
                                    " (the HMAC key): put it in the --credentials file or the "
                                    "environment, or name another with 'hash_secret'");
    }
    hash_key_ = std::move(*key);
  }
  make_private_dir(config_.dir);
  if (config_.include_files)
    make_private_dir(config_.dir / "files");
  try {
    open_state();
  } catch (...) {
    // A throwing constructor runs no destructor: the connection is closed here.
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

ArchiveSink::~ArchiveSink() {
  if (db_ != nullptr)
    sqlite3_close(db_);
}

void ArchiveSink::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    throw Error(ATSM_INTERNAL,
                "archive state (" + (config_.dir / ".atsm-archive.sqlite").string() + "): " + text);
  }
}

void ArchiveSink::open_state() {
  std::filesystem::path file = config_.dir / ".atsm-archive.sqlite";
  if (sqlite3_open_v2(file.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    throw Error(ATSM_INVALID, "archive state " + file.string() + ": cannot open it");
  }
  ::chmod(file.c_str(), 0600);
  sqlite3_busy_timeout(db_, 10000);
  exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
      "CREATE TABLE IF NOT EXISTS items(kind TEXT, key TEXT, hash TEXT, seen INTEGER,"
      " source TEXT, PRIMARY KEY(kind, key));"
      "CREATE TABLE IF NOT EXISTS rows(tbl TEXT, rid TEXT, kind TEXT, item TEXT, seq INTEGER,"
      " cells TEXT, fixed INTEGER, fields TEXT, PRIMARY KEY(tbl, rid));"
      "CREATE INDEX IF NOT EXISTS rows_item ON rows(kind, item);"
      "CREATE INDEX IF NOT EXISTS rows_seq ON rows(tbl, seq);"
      "CREATE TABLE IF NOT EXISTS log(seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT, rid TEXT,"
      " cells TEXT, synced_at TEXT, deleted INTEGER, fixed INTEGER);"
      "CREATE INDEX IF NOT EXISTS log_tbl ON log(tbl, seq);");
  for (const char* suffix : {"-wal", "-shm"}) {
    std::filesystem::path extra = file;
    extra += suffix;
    ::chmod(extra.c_str(), 0600);
  }
  // A state written before rows kept their typed values gains the column; its rows get their
  // values when the next run writes them (read_back answers text until then).
  Statement typed(db_, "SELECT COUNT(*) FROM pragma_table_info('rows') WHERE name='fields'");
  if (typed.step() && typed.number(0) == 0)
    exec("ALTER TABLE rows ADD COLUMN fields TEXT");
  exec("BEGIN IMMEDIATE");
  Statement mode(db_, "SELECT v FROM meta WHERE k='mode'");
  if (mode.step() && mode.text(0) != config_.mode) {
    std::string held = mode.text(0);
    exec("ROLLBACK");
    throw Error(ATSM_INVALID, "archive dir " + config_.dir.string() +
                                  " holds an archive written in mode " + held + "; mode " +
                                  config_.mode + " needs another dir (or set mode=" + held + ")");
  }
  Statement run(db_, "SELECT v FROM meta WHERE k='run'");
  run_ = run.step() ? std::stoll(run.text(0)) + 1 : 1;
  Statement last(db_, "SELECT COALESCE(MAX(seq), 0) FROM rows");
  seq_ = last.step() ? last.number(0) : 0;
  run_started_ = now_iso();
  Statement put(db_, "INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)");
  put.bind(1, std::string("run")).bind(2, std::to_string(run_)).run();
  put.bind(1, std::string("mode")).bind(2, config_.mode).run();
  exec("COMMIT");
}

std::string ArchiveSink::hmac(const std::string& value) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  HMAC(EVP_sha256(), hash_key_.data(), static_cast<int>(hash_key_.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(), digest, &length);
  static const char* const digits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += digits[digest[i] >> 4];
    out += digits[digest[i] & 0xF];
  }
  return out;
}

void ArchiveSink::log_row(const std::string& table, const std::string& rid,
                          const std::string& cells, bool deleted) {
  if (config_.mode != "append")
    return;
  Statement log(db_,
                "INSERT INTO log(tbl, rid, cells, synced_at, deleted, fixed) "
                "VALUES (?, ?, ?, ?, ?, 0)");
  log.bind(1, table).bind(2, rid).bind(3, cells).bind(4, run_started_).bind(5, deleted ? 1 : 0);
  log.run();
}

std::vector<std::string> ArchiveSink::store_item(const std::string& kind, const std::string& key,
                                                 std::vector<Row> rows, bool& changed) {
  std::vector<std::string> lossy;
  // The output's cells (chosen columns, repaired UTF-8, keyed hashes) and the same columns' typed
  // values for read_back: {column: value} of the members the record has.
  struct Stored {
    std::string table, rid, cells, fields;
    int64_t fixed;
  };
  std::vector<Stored> stored;
  std::string item_text;
  for (Row& row : rows) {
    auto selected = selected_.find(row.table);
    if (selected == selected_.end())
      continue;
    json::array cells;
    json::object fields;
    int64_t fixed = 0;
    for (size_t i = 0; i < selected->second.indexes.size(); ++i) {
      const std::string& column = selected->second.columns[i];
      Value& value = row.values[selected->second.indexes[i]];
      Cell cell = cell_text(value);
      if (!cell) {
        cells.emplace_back(nullptr);
        if (value)
          fields[column] = nullptr;
        continue;
      }
      if (size_t replaced = repair_utf8(*cell); replaced > 0) {
        fixed += static_cast<int64_t>(replaced);
        lossy.push_back(row.table + " " + row.rid + " field " + column +
                        ": invalid UTF-8 replaced with U+FFFD (" + std::to_string(replaced) + ")");
        repair_utf8(*value);
      }
      if (selected->second.hashed[i]) {
        cells.emplace_back(hmac(*cell));
        fields[column] = cells.back();  // the hash, never the clear value
      } else {
        cells.emplace_back(*cell);
        fields[column] = std::move(*value);
      }
    }
    std::string text = json::serialize(cells);
    std::string typed = json::serialize(fields);
    item_text += row.table + '\x1f' + row.rid + '\x1f' + text + '\x1f' + typed + '\n';
    stored.push_back({row.table, row.rid, std::move(text), std::move(typed), fixed});
  }
  std::string hash = sha256_hex(item_text);
  Statement held(db_, "SELECT hash FROM items WHERE kind=? AND key=?");
  held.bind(1, kind).bind(2, key);
  if (held.step() && held.text(0) == hash) {
    Statement seen(db_, "UPDATE items SET seen=? WHERE kind=? AND key=?");
    seen.bind(1, run_).bind(2, kind).bind(3, key).run();
    changed = false;
    return lossy;
  }
  changed = true;
  struct Held {
    std::string cells, fields;
  };
  std::map<std::pair<std::string, std::string>, Held> old;
  {
    Statement rows_of(db_, "SELECT tbl, rid, cells, fields FROM rows WHERE kind=? AND item=?");
    rows_of.bind(1, kind).bind(2, key);
    while (rows_of.step())
      old[{rows_of.text(0), rows_of.text(1)}] = {rows_of.text(2), rows_of.text(3)};
  }
  Statement insert(db_,
                   "INSERT INTO rows(tbl, rid, kind, item, seq, cells, fixed, fields) VALUES "
                   "(?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT(tbl, rid) DO UPDATE SET kind=excluded.kind, item=excluded.item, "
                   "cells=excluded.cells, fixed=excluded.fixed, fields=excluded.fields");
  for (const Stored& row : stored) {
    auto found = old.find({row.table, row.rid});
    bool same_text = found != old.end() && found->second.cells == row.cells;
    bool same = same_text && found->second.fields == row.fields;
    if (found != old.end())
      old.erase(found);
    if (same)
      continue;
    insert.bind(1, row.table).bind(2, row.rid).bind(3, kind).bind(4, key).bind(5, ++seq_);
    insert.bind(6, row.cells).bind(7, row.fixed).bind(8, row.fields).run();
    // The append log holds what the files show: a value whose type alone changed (or a row
    // written before rows kept their types) changes no output row.
    if (same_text)
      continue;
    log_row(row.table, row.rid, row.cells, false);
    if (row.fixed > 0 && config_.mode == "append") {
      Statement fixed(db_, "UPDATE log SET fixed=? WHERE seq=last_insert_rowid()");
      fixed.bind(1, row.fixed).run();
    }
  }
  Statement remove(db_, "DELETE FROM rows WHERE tbl=? AND rid=?");
  for (const auto& [id, held] : old) {
    remove.bind(1, id.first).bind(2, id.second).run();
    log_row(id.first, id.second, held.cells, true);
  }
  Statement upsert(db_,
                   "INSERT OR REPLACE INTO items(kind, key, hash, seen, source) "
                   "VALUES (?, ?, ?, ?, ?)");
  upsert.bind(1, kind).bind(2, key).bind(3, hash).bind(4, run_).bind(5, source_).run();
  return lossy;
}

void ArchiveSink::remove_item(const std::string& kind, const std::string& key) {
  {
    Statement rows_of(db_, "SELECT tbl, rid, cells FROM rows WHERE kind=? AND item=? ORDER BY seq");
    rows_of.bind(1, kind).bind(2, key);
    while (rows_of.step())
      log_row(rows_of.text(0), rows_of.text(1), rows_of.text(2), true);
  }
  Statement rows(db_, "DELETE FROM rows WHERE kind=? AND item=?");
  rows.bind(1, kind).bind(2, key).run();
  Statement item(db_, "DELETE FROM items WHERE kind=? AND key=?");
  item.bind(1, kind).bind(2, key).run();
}

std::string ArchiveSink::copy_file(const json::object& record, std::vector<std::string>& lossy) {
  std::string sha = string_or(record, "sha256");
  if (sha.empty())
    return {};
  if (sha.size() != 64 || sha.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw std::invalid_argument("file " + string_or(record, "source_key") +
                                ": field 'sha256' is not 64 lower-case hex digits");
  }
  std::filesystem::path target = config_.dir / "files" / sha;
  std::string relative = "files/" + sha;
  if (std::filesystem::exists(target))
    return relative;
  std::optional<std::string> bytes = host_.blob_get(sha);
  if (!bytes) {
    lossy.push_back("file " + string_or(record, "source_key") + ": bytes " + sha +
                    " are not in the blob store; the row has no archive_path");
    return {};
  }
  if (sha256_hex(*bytes) != sha) {
    throw std::invalid_argument("file " + string_or(record, "source_key") +
                                ": field 'sha256' does not match the stored bytes");
  }
  std::filesystem::path temp = target;
  temp += ".part";
  FILE* out = open_private(temp);
  bool ok = std::fwrite(bytes->data(), 1, bytes->size(), out) == bytes->size();
  ok = std::fclose(out) == 0 && ok;
  if (!ok || std::rename(temp.c_str(), target.c_str()) != 0)
    throw Error(ATSM_RETRY, "cannot write " + target.string());
  return relative;
}

std::string ArchiveSink::prepare(const std::string& plan_json) {
  std::lock_guard lock(mutex_);
  json::value plan = parse_json(plan_json, "prepare's plan");
  if (!plan.is_object())
    throw Error(ATSM_INVALID, "prepare's plan: expected a JSON object");
  source_ = string_or(plan.as_object(), "source");
  json::object catalog;
  const json::value* references = plan.as_object().if_contains("references");
  exec("BEGIN IMMEDIATE");
  try {
    Statement put(db_, "INSERT OR REPLACE INTO meta(k, v) VALUES ('source', ?)");
    put.bind(1, source_).run();
    for (const std::string& kind : kPlannedKinds) {
      json::array entries;
      const json::value* list = references && references->is_object()
                                    ? references->as_object().if_contains(kind)
                                    : nullptr;
      if (list == nullptr || !list->is_array())
        continue;
      for (const json::value& record : list->as_array()) {
        std::vector<Row> rows;
        try {
          rows = flatten(kind, record);
        } catch (const std::invalid_argument& bad) {
          throw Error(ATSM_INVALID, std::string("prepare: ") + bad.what());
        }
        const json::object& object = record.as_object();
        bool changed = false;
        store_item(kind, string_or(object, "source_key"), std::move(rows), changed);
        // The archive keeps every reference as it is: each one is its own target.
        json::object entry{{"id", string_or(object, "source_key")},
                           {"name", string_or(object, "name")}};
        for (const char* field : {"email", "active", "stage_type", "type", "object", "field_type"})
          if (const json::value* value = object.if_contains(field))
            entry[field] = *value;
        entries.push_back(std::move(entry));
      }
      catalog[kind] = std::move(entries);
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
  return json::serialize(json::object{{"catalog", catalog}, {"missing", json::array()}});
}

std::string ArchiveSink::write(const std::string& kind, const std::string& items_json) {
  std::lock_guard lock(mutex_);
  json::value items = parse_json(items_json, "write of " + kind);
  if (!items.is_array())
    throw Error(ATSM_INVALID, "write of " + kind + ": expected a JSON array of write items");
  if (main_table(kind).empty())
    throw Error(ATSM_INVALID, "write: the archive has no table for kind '" + kind + "'");
  json::array results;
  exec("BEGIN IMMEDIATE");
  try {
    for (const json::value& value : items.as_array()) {
      const json::object* item = value.is_object() ? &value.as_object() : nullptr;
      std::string key = item ? string_or(*item, "key") : std::string();
      json::object result{{"key", key}};
      try {
        if (key.empty())
          throw std::invalid_argument(kind + " write item: field 'key' is missing");
        const json::value* record = item->if_contains("record");
        if (record == nullptr)
          throw std::invalid_argument(kind + " " + key + ": field 'record' is missing");
        std::vector<Row> rows = flatten(kind, *record);
        std::vector<std::string> lossy;
        if (kind == "file" && config_.include_files) {
          std::string path = copy_file(record->as_object(), lossy);
          const std::vector<std::string>& columns = *table_columns("files");
          size_t at = static_cast<size_t>(
              std::find(columns.begin(), columns.end(), "archive_path") - columns.begin());
          if (!path.empty())
            rows.front().values[at] = json::string(path);
        }
        if (const json::value* group = item->if_contains("group"); group && group->is_array()) {
          for (const json::value& member : group->as_array()) {
            std::vector<Row> more = flatten(kind, member);
            rows.insert(rows.end(), std::make_move_iterator(more.begin()),
                        std::make_move_iterator(more.end()));
          }
        }
        bool changed = false;
        std::vector<std::string> notes = store_item(kind, key, std::move(rows), changed);
        lossy.insert(lossy.end(), notes.begin(), notes.end());
        result["status"] = "ok";
        result["target_id"] = key;
        if (!lossy.empty()) {
          json::array lines;
          for (const std::string& line : lossy)
            lines.emplace_back(line);
          result["lossy"] = std::move(lines);
        }
      } catch (const std::invalid_argument& bad) {
        result["status"] = "invalid";
        result["message"] = bad.what();
      }
      results.push_back(std::move(result));
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
  return json::serialize(results);
}

std::optional<std::string> ArchiveSink::find(const std::string& kind,
                                             const std::string& item_json) {
  std::lock_guard lock(mutex_);
  json::value item = parse_json(item_json, "find of " + kind);
  std::string key = item.is_object() ? string_or(item.as_object(), "key") : std::string();
  if (key.empty())
    throw Error(ATSM_INVALID, "find of " + kind + ": the write item has no 'key'");
  Statement held(db_, "SELECT key FROM items WHERE kind=? AND key=?");
  held.bind(1, kind).bind(2, key);
  if (!held.step())
    return std::nullopt;
  return key;
}

std::optional<std::string> ArchiveSink::read_back(const std::string& kind,
                                                  const std::string& target_id) {
  std::lock_guard lock(mutex_);
  Statement rows(db_,
                 "SELECT tbl, rid, cells, fields FROM rows WHERE kind=? AND item=? ORDER BY seq");
  rows.bind(1, kind).bind(2, target_id);
  json::object tables;  // every row of the item, as the output files show it
  std::vector<HeldRow> held;
  while (rows.step()) {
    std::string table = rows.text(0);
    const Selected& selected = selected_.at(table);
    std::vector<Cell> cells = parse_cells(rows.text(2));
    json::object row;
    for (size_t i = 0; i < cells.size() && i < selected.columns.size(); ++i)
      row[selected.columns[i]] = cells[i] ? json::value(*cells[i]) : json::value(nullptr);
    json::object fields;
    if (!rows.is_null(3)) {
      fields = parse_json(rows.text(3), "archive state row").as_object();
    } else {  // written before rows kept their typed values: the text is all there is
      for (const auto& [column, value] : row)
        if (!value.is_null())
          fields[column] = value;
    }
    if (!tables.contains(table))
      tables[table] = json::array();
    tables[table].as_array().push_back(std::move(row));
    held.push_back({std::move(table), rows.text(1), std::move(fields)});
  }
  if (held.empty())
    return std::nullopt;
  json::object record = rebuild_record(kind, target_id, held);
  record["tables"] = std::move(tables);
  return json::serialize(record);
}

std::string ArchiveSink::finish(const std::string& summary_json) {
  (void)summary_json;
  std::lock_guard lock(mutex_);
  if (source_.empty()) {
    Statement source(db_, "SELECT v FROM meta WHERE k='source'");
    if (source.step())
      source_ = source.text(0);
  }
  // What earlier runs archived from this source and this run neither wrote nor holds in its
  // ledger is gone from the source: removed (snapshot) or written as tombstones (append). Another
  // source's records in the same dir are left alone.
  int64_t removed = 0;
  exec("BEGIN IMMEDIATE");
  try {
    std::vector<std::pair<std::string, std::string>> unseen;
    {
      Statement stale(db_, "SELECT kind, key FROM items WHERE seen <> ? AND source = ?");
      stale.bind(1, run_).bind(2, source_);
      while (stale.step())
        unseen.emplace_back(stale.text(0), stale.text(1));
    }
    Statement seen(db_, "UPDATE items SET seen=? WHERE kind=? AND key=?");
    for (const auto& [kind, key] : unseen) {
      bool planned =
          std::find(kPlannedKinds.begin(), kPlannedKinds.end(), kind) != kPlannedKinds.end();
      if (!planned && host_.ledger_target(kind, key)) {
        seen.bind(1, run_).bind(2, kind).bind(3, key).run();
        continue;
      }
      remove_item(kind, key);
      ++removed;
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
  json::array sources;
  {
    Statement distinct(db_, "SELECT DISTINCT source FROM items WHERE source <> '' ORDER BY 1");
    while (distinct.step())
      sources.emplace_back(distinct.text(0));
  }
  json::object manifest{{"format_version", 1},
                        {"generator", "atsmigrate archive sink 1.0.0"},
                        {"source", source_},
                        {"sources", sources},
                        {"mode", config_.mode},
                        {"run", run_},
                        {"run_started_at", run_started_},
                        {"removed_since_last_run", removed}};
  std::filesystem::path staging = config_.dir / (".export-" + std::to_string(::getpid()));
  std::filesystem::remove_all(staging);
  make_private_dir(staging);
  int64_t rows = 0;
  try {
    rows = export_all(staging, manifest);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(staging, ignored);
    throw;
  }
  std::filesystem::remove_all(staging);
  host_.log(ATSM_LOG_INFO, "archive: wrote " + std::to_string(rows) + " rows to " +
                               config_.dir.string() + " (manifest.json)");
  return json::serialize(json::object{{"rows", rows}, {"dir", config_.dir.string()}});
}

// One export's state: where its files are staged, which formats it writes, what it wrote.
struct ArchiveSink::Export {
  std::filesystem::path staging;
  bool append = false;
  bool csv = false;
  bool jsonl = false;
  SanitiseCounts counts;
  std::unique_ptr<XlsxWriter> workbook;                  // when xlsx is chosen
  std::vector<std::pair<std::string, int64_t>> outputs;  // file name, rows
  int64_t invalid_utf8 = 0;
};

int64_t ArchiveSink::export_all(const std::filesystem::path& staging, json::object& manifest) {
  Export run;
  run.staging = staging;
  run.append = config_.mode == "append";
  auto chosen = [&](const char* format) {
    return std::find(config_.formats.begin(), config_.formats.end(), format) !=
           config_.formats.end();
  };
  run.csv = chosen("csv");
  run.jsonl = chosen("jsonl");
  if (chosen("xlsx")) {
    std::filesystem::path temp = staging / "xlsx-temp";
    make_private_dir(temp);
    run.workbook = std::make_unique<XlsxWriter>(staging / "archive.xlsx", temp,
                                                config_.xlsx_max_rows, run.counts);
  }
  json::object tables;
  int64_t total = 0;
  for (const std::string& table : table_names()) {
    auto selected = selected_.find(table);
    if (selected == selected_.end())
      continue;
    total += export_table(table, selected->second, run, tables);
  }
  json::object sheets;
  if (run.workbook)
    sheets = close_workbook(run, total);
  json::array files = publish_outputs(run);
  int64_t attachments = 0;
  if (config_.include_files) {
    for (const auto& entry : std::filesystem::directory_iterator(config_.dir / "files"))
      attachments += entry.path().extension() != ".part";
  }
  json::array formats;
  for (const std::string& format : config_.formats)
    formats.emplace_back(format);
  manifest["finished_at"] = now_iso();
  manifest["formats"] = std::move(formats);
  manifest["tables"] = std::move(tables);
  manifest["outputs"] = std::move(files);
  if (run.workbook)
    manifest["xlsx_sheets"] = std::move(sheets);
  manifest["attachments"] =
      json::object{{"included", config_.include_files}, {"dir", "files"}, {"count", attachments}};
  manifest["sanitised"] = json::object{{"invalid_utf8_replaced", run.invalid_utf8},
                                       {"formula_prefixed", run.counts.formula_prefixed},
                                       {"xlsx_truncated", run.counts.xlsx_truncated}};
  if (!config_.hash_columns.empty())
    manifest["hash"] = json::object{{"algorithm", "HMAC-SHA-256, lower-case hex"},
                                    {"secret_name", config_.hash_secret}};
  write_manifest(staging, manifest);
  return total;
}

// One table's rows into each chosen format; its entry of the manifest's `tables`.
int64_t ArchiveSink::export_table(const std::string& table, const Selected& selected, Export& run,
                                  json::object& tables) {
  std::vector<std::string> header = selected.columns;
  if (run.append) {
    header.push_back("_synced_at");
    header.push_back("_deleted");
  }
  std::unique_ptr<CsvWriter> csv_out;
  std::unique_ptr<JsonlWriter> jsonl_out;
  if (run.csv)
    csv_out = std::make_unique<CsvWriter>(run.staging / (table + ".csv"), header, run.counts);
  if (run.jsonl)
    jsonl_out = std::make_unique<JsonlWriter>(run.staging / (table + ".jsonl"), header);
  if (run.workbook)
    run.workbook->begin_table(table, header);
  Statement rows(db_, run.append ? "SELECT cells, synced_at, deleted, fixed FROM log WHERE tbl=? "
                                   "ORDER BY seq"
                                 : "SELECT cells, '', 0, fixed FROM rows WHERE tbl=? ORDER BY seq");
  rows.bind(1, table);
  int64_t count = 0;
  while (rows.step()) {
    std::vector<Cell> cells = parse_cells(rows.text(0));
    if (run.append) {
      cells.emplace_back(rows.text(1));
      cells.emplace_back(std::string(rows.number(2) ? "true" : "false"));
    }
    run.invalid_utf8 += rows.number(3);
    if (csv_out)
      csv_out->row(cells);
    if (jsonl_out)
      jsonl_out->row(cells);
    if (run.workbook)
      run.workbook->row(cells);
    ++count;
  }
  if (csv_out) {
    csv_out->close();
    run.outputs.emplace_back(table + ".csv", count);
  }
  if (jsonl_out) {
    jsonl_out->close();
    run.outputs.emplace_back(table + ".jsonl", count);
  }
  json::array columns;
  for (const std::string& column : header)
    columns.emplace_back(column);
  json::array hashed;
  for (size_t i = 0; i < selected.columns.size(); ++i)
    if (selected.hashed[i])
      hashed.emplace_back(selected.columns[i]);
  tables[table] = json::object{{"rows", count}, {"columns", columns}, {"hashed", hashed}};
  return count;
}

// Closes archive.xlsx (`total` rows); the manifest's `xlsx_sheets`: each table's sheet names.
json::object ArchiveSink::close_workbook(Export& run, int64_t total) {
  json::object sheets;
  run.workbook->close();
  run.outputs.emplace_back("archive.xlsx", total);
  for (const auto& [table, names] : run.workbook->sheets()) {
    json::array list;
    for (const std::string& name : names)
      list.emplace_back(name);
    sheets[table] = std::move(list);
    if (names.size() > 1) {
      host_.log(ATSM_LOG_WARN, "archive: table " + table + " passes Excel's row limit (" +
                                   std::to_string(config_.xlsx_max_rows) +
                                   " rows per sheet) and is split over sheets " + joined(names) +
                                   " of archive.xlsx");
    }
  }
  std::filesystem::remove_all(run.staging / "xlsx-temp");
  return sheets;
}

// Moves the staged outputs into the archive dir, removing the outputs of tables or formats no
// longer chosen; the manifest's `outputs`. Every output is complete before any replaces its older
// self; the manifest goes last (write_manifest).
json::array ArchiveSink::publish_outputs(const Export& run) {
  json::array files;
  std::set<std::string> written;
  for (const auto& [name, count] : run.outputs) {
    std::filesystem::path file = run.staging / name;
    files.push_back(json::object{{"path", name},
                                 {"sha256", sha256_file(file)},
                                 {"bytes", static_cast<int64_t>(std::filesystem::file_size(file))},
                                 {"rows", count}});
    written.insert(name);
  }
  std::filesystem::path old_manifest = config_.dir / "manifest.json";
  if (std::ifstream in(old_manifest); in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    json::error_code error;
    json::value old = json::parse(text, error);
    const json::value* listed =
        !error && old.is_object() ? old.as_object().if_contains("outputs") : nullptr;
    if (listed && listed->is_array()) {
      for (const json::value& entry : listed->as_array()) {
        std::string name = entry.is_object() ? string_or(entry.as_object(), "path") : "";
        if (!name.empty() && name.find('/') == std::string::npos && !written.contains(name))
          std::filesystem::remove(config_.dir / name);  // a table or format no longer chosen
      }
    }
  }
  for (const auto& [name, count] : run.outputs) {
    if (std::rename((run.staging / name).c_str(), (config_.dir / name).c_str()) != 0)
      throw Error(ATSM_INTERNAL, "archive: cannot move " + name + " into " + config_.dir.string());
  }
  return files;
}

// manifest.json, written in `staging` and renamed over the old one.
void ArchiveSink::write_manifest(const std::filesystem::path& staging,
                                 const json::object& manifest) {
  std::filesystem::path old_manifest = config_.dir / "manifest.json";
  std::filesystem::path temp = staging / "manifest.json";
  FILE* out = open_private(temp);
  std::string text = json::serialize(manifest);
  bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  ok = std::fclose(out) == 0 && ok;
  if (!ok || std::rename(temp.c_str(), old_manifest.c_str()) != 0)
    throw Error(ATSM_INTERNAL, "archive: cannot write " + old_manifest.string());
}

}  // namespace atsm::archive
