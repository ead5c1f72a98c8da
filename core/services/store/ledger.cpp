#include "services/store/ledger.hpp"

#include <string>

namespace atsm::store {

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE ledger (
  scope        TEXT NOT NULL,
  kind         TEXT NOT NULL,
  source_key   TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('intent', 'done', 'failed', 'skipped')),
  payload_hash TEXT NOT NULL,
  target_id    TEXT,
  attempts     INTEGER NOT NULL,
  last_error   TEXT,
  vendor_code  TEXT,
  request_id   TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (scope, kind, source_key)
) WITHOUT ROWID;
CREATE INDEX ledger_by_state ON ledger (scope, kind, state);
)sql";

constexpr sqlite::FileFormat kFormat{kLedgerApplicationId, kLedgerFormatVersion, "ledger", kSchema};

#define ATSM_LEDGER_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
#define ATSM_LEDGER_COLUMNS                                                                      \
  "scope, kind, source_key, state, payload_hash, target_id, attempts, last_error, vendor_code, " \
  "request_id, created_at, updated_at"

sqlite::Database open_ledger(const std::filesystem::path& file,
                             const sqlite::OpenOptions& options) {
  sqlite::Database db(file, options);
  sqlite::ensure_format(db, kFormat);
  return db;
}

std::string describe(const LedgerKey& key) {
  return "ledger entry (scope '" + key.scope + "', kind '" + key.kind + "', key '" +
         key.source_key + "')";
}

std::optional<std::string_view> null_if_empty(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  return text;
}

LedgerEntry read_entry(const sqlite::Statement& row, const std::filesystem::path& file) {
  LedgerEntry entry;
  entry.key.scope = row.column_text(0);
  entry.key.kind = row.column_text(1);
  entry.key.source_key = row.column_text(2);
  auto state = parse_ledger_state(row.column_view(3));
  if (!state) {
    throw StoreError(describe(entry.key) + " has an unknown state '" + row.column_text(3) + "'",
                     file);
  }
  entry.state = *state;
  entry.payload_hash = row.column_text(4);
  entry.target_id = row.column_optional(5);
  entry.attempts = row.column_int(6);
  entry.last_error = row.column_optional(7);
  entry.vendor_code = row.column_optional(8);
  entry.request_id = row.column_optional(9);
  entry.created_at = row.column_text(10);
  entry.updated_at = row.column_text(11);
  return entry;
}

void require_key(const LedgerKey& key, const std::filesystem::path& file) {
  if (key.scope.empty() || key.kind.empty() || key.source_key.empty()) {
    throw StoreError(describe(key) + ": scope, kind and source key must not be empty", file);
  }
}

void require_text(std::string_view value, std::string_view field, const LedgerKey& key,
                  const std::filesystem::path& file) {
  if (value.empty()) {
    throw StoreError(describe(key) + ": " + std::string(field) + " must not be empty", file);
  }
}

// done and failed are outcomes of an attempt, so they need the intent that started it.
void require_intent(const std::optional<LedgerEntry>& prior, const LedgerKey& key,
                    std::string_view target_state, const std::filesystem::path& file) {
  if (!prior) {
    throw IllegalTransition("cannot mark " + describe(key) + " " + std::string(target_state) +
                                ": no intent was recorded",
                            file);
  }
  if (prior->state != LedgerState::intent) {
    throw IllegalTransition("cannot mark " + describe(key) + " " + std::string(target_state) +
                                ": it is '" + std::string(to_string(prior->state)) +
                                "', not 'intent'",
                            file);
  }
}

}  // namespace

std::string_view to_string(LedgerState state) noexcept {
  switch (state) {
    case LedgerState::intent:
      return "intent";
    case LedgerState::done:
      return "done";
    case LedgerState::failed:
      return "failed";
    case LedgerState::skipped:
      return "skipped";
  }
  return "unknown";
}

std::optional<LedgerState> parse_ledger_state(std::string_view text) noexcept {
  for (auto state :
       {LedgerState::intent, LedgerState::done, LedgerState::failed, LedgerState::skipped}) {
    if (to_string(state) == text) {
      return state;
    }
  }
  return std::nullopt;
}

Ledger::Ledger(const std::filesystem::path& file, const sqlite::OpenOptions& options)
    : file_(file),
      options_(options),
      db_(open_ledger(file, options)),
      select_(db_, "SELECT " ATSM_LEDGER_COLUMNS
                   " FROM ledger WHERE scope = ?1 AND kind = ?2 AND source_key = ?3"),
      insert_(db_, "INSERT INTO ledger (" ATSM_LEDGER_COLUMNS
                   ") VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7, NULL, NULL, " ATSM_LEDGER_NOW
                   ", " ATSM_LEDGER_NOW ")"),
      reintent_(db_,
                "UPDATE ledger SET state = 'intent', payload_hash = ?4, attempts = attempts + 1, "
                "updated_at = " ATSM_LEDGER_NOW
                " WHERE scope = ?1 AND kind = ?2 AND source_key = ?3"),
      done_(db_,
            "UPDATE ledger SET state = 'done', target_id = ?4, request_id = ?5, last_error = NULL, "
            "vendor_code = NULL, updated_at = " ATSM_LEDGER_NOW
            " WHERE scope = ?1 AND kind = ?2 AND source_key = ?3"),
      failed_(db_,
              "UPDATE ledger SET state = 'failed', last_error = ?4, vendor_code = ?5, "
              "request_id = ?6, updated_at = " ATSM_LEDGER_NOW
              " WHERE scope = ?1 AND kind = ?2 AND source_key = ?3"),
      skip_existing_(db_,
                     "UPDATE ledger SET state = 'skipped', last_error = ?4, vendor_code = NULL, "
                     "updated_at = " ATSM_LEDGER_NOW
                     " WHERE scope = ?1 AND kind = ?2 AND source_key = ?3") {}

std::optional<LedgerEntry> Ledger::select_locked(const LedgerKey& key) const {
  sqlite::ScopedReset reset(select_);
  select_.bind(1, key.scope).bind(2, key.kind).bind(3, key.source_key);
  if (!select_.step()) {
    return std::nullopt;
  }
  return read_entry(select_, file_);
}

std::optional<LedgerEntry> Ledger::record_intent(const LedgerKey& key,
                                                 std::string_view payload_hash) {
  require_key(key, file_);
  require_text(payload_hash, "payload hash", key, file_);
  std::lock_guard lock(mutex_);
  sqlite::Transaction transaction(db_);
  auto prior = select_locked(key);
  if (!prior) {
    sqlite::ScopedReset reset(insert_);
    insert_.bind(1, key.scope)
        .bind(2, key.kind)
        .bind(3, key.source_key)
        .bind(4, to_string(LedgerState::intent))
        .bind(5, payload_hash)
        .bind(6, std::int64_t{1})
        .bind_null(7);
    insert_.run();
  } else {
    if (prior->state == LedgerState::done && prior->payload_hash == payload_hash) {
      throw IllegalTransition("cannot record intent for " + describe(key) +
                                  ": already done as target '" + prior->target_id.value_or("") +
                                  "' with the same payload hash",
                              file_);
    }
    sqlite::ScopedReset reset(reintent_);
    reintent_.bind(1, key.scope).bind(2, key.kind).bind(3, key.source_key).bind(4, payload_hash);
    reintent_.run();
  }
  transaction.commit();
  return prior;
}

void Ledger::mark_done(const LedgerKey& key, std::string_view target_id,
                       std::string_view request_id) {
  require_key(key, file_);
  require_text(target_id, "target id", key, file_);
  std::lock_guard lock(mutex_);
  sqlite::Transaction transaction(db_);
  require_intent(select_locked(key), key, "done", file_);
  sqlite::ScopedReset reset(done_);
  done_.bind(1, key.scope)
      .bind(2, key.kind)
      .bind(3, key.source_key)
      .bind(4, target_id)
      .bind(5, null_if_empty(request_id));
  done_.run();
  transaction.commit();
}

void Ledger::mark_failed(const LedgerKey& key, std::string_view message,
                         std::string_view vendor_code, std::string_view request_id) {
  require_key(key, file_);
  require_text(message, "failure message", key, file_);
  std::lock_guard lock(mutex_);
  sqlite::Transaction transaction(db_);
  require_intent(select_locked(key), key, "failed", file_);
  sqlite::ScopedReset reset(failed_);
  failed_.bind(1, key.scope)
      .bind(2, key.kind)
      .bind(3, key.source_key)
      .bind(4, message)
      .bind(5, null_if_empty(vendor_code))
      .bind(6, null_if_empty(request_id));
  failed_.run();
  transaction.commit();
}

void Ledger::mark_skipped(const LedgerKey& key, std::string_view reason) {
  require_key(key, file_);
  require_text(reason, "skip reason", key, file_);
  std::lock_guard lock(mutex_);
  sqlite::Transaction transaction(db_);
  auto prior = select_locked(key);
  if (!prior) {
    // Skipped before any attempt (planning): no payload was hashed yet.
    sqlite::ScopedReset reset(insert_);
    insert_.bind(1, key.scope)
        .bind(2, key.kind)
        .bind(3, key.source_key)
        .bind(4, to_string(LedgerState::skipped))
        .bind(5, std::string_view{})
        .bind(6, std::int64_t{0})
        .bind(7, reason);
    insert_.run();
  } else {
    if (prior->state == LedgerState::done) {
      throw IllegalTransition("cannot mark " + describe(key) +
                                  " skipped: already done as target '" +
                                  prior->target_id.value_or("") + "'",
                              file_);
    }
    sqlite::ScopedReset reset(skip_existing_);
    skip_existing_.bind(1, key.scope).bind(2, key.kind).bind(3, key.source_key).bind(4, reason);
    skip_existing_.run();
  }
  transaction.commit();
}

std::optional<LedgerEntry> Ledger::get(const LedgerKey& key) const {
  std::lock_guard lock(mutex_);
  return select_locked(key);
}

std::optional<std::string> Ledger::target_of(const LedgerKey& key) const {
  auto entry = get(key);
  if (!entry) {
    return std::nullopt;
  }
  return entry->target_id;
}

sqlite::Database Ledger::open_reader() const {
  sqlite::OpenOptions reader = options_;
  reader.query_only = true;
  return sqlite::Database(file_, reader);
}

void Ledger::for_each(std::string_view scope, std::string_view kind,
                      std::optional<LedgerState> state, const EntryCallback& callback) const {
  auto reader = open_reader();
  auto query = reader.prepare("SELECT " ATSM_LEDGER_COLUMNS
                              " FROM ledger WHERE scope = ?1 AND kind = ?2"
                              " AND (?3 IS NULL OR state = ?3) ORDER BY source_key");
  query.bind(1, scope).bind(2, kind);
  if (state) {
    query.bind(3, to_string(*state));
  } else {
    query.bind_null(3);
  }
  while (query.step()) {
    callback(read_entry(query, file_));
  }
}

std::map<std::string, StateCounts> Ledger::counts(std::string_view scope) const {
  auto reader = open_reader();
  auto query = reader.prepare(
      "SELECT kind, state, count(*) FROM ledger WHERE scope = ?1 GROUP BY kind, state");
  query.bind(1, scope);
  std::map<std::string, StateCounts> result;
  while (query.step()) {
    auto& counts = result[query.column_text(0)];
    const auto n = query.column_int(2);
    switch (parse_ledger_state(query.column_view(1)).value_or(LedgerState::intent)) {
      case LedgerState::intent:
        counts.intent += n;
        break;
      case LedgerState::done:
        counts.done += n;
        break;
      case LedgerState::failed:
        counts.failed += n;
        break;
      case LedgerState::skipped:
        counts.skipped += n;
        break;
    }
  }
  return result;
}

}  // namespace atsm::store
