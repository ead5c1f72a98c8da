#include "services/store/sqlite.hpp"

#include <gtest/gtest.h>

#include "services/store/ledger.hpp"
#include "services/store/staging.hpp"
#include "temp_dir.hpp"

namespace atsm::store {
namespace {

using sqlite::Database;
using testing::mode_of;
using testing::TempDir;

TEST(Sqlite, CreatesPrivateFileInWalModeWithNormalSync) {
  TempDir dir;
  const auto file = dir / "nested/deeper/db.sqlite";
  Database db(file);
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(file.parent_path()), 0700u);
  EXPECT_EQ(mode_of(file.parent_path().parent_path()), 0700u);
  db.exec("CREATE TABLE t (x INTEGER)");
  auto journal = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(journal.step());
  EXPECT_EQ(journal.column_text(0), "wal");
  EXPECT_EQ(db.query_int("PRAGMA synchronous"), 1);  // NORMAL
  EXPECT_EQ(mode_of(dir / "nested/deeper/db.sqlite-wal"), 0600u);
}

TEST(Sqlite, PowerLossOptionSelectsFullSync) {
  TempDir dir;
  Database db(dir / "db", {.survive_power_loss = true});
  EXPECT_EQ(db.query_int("PRAGMA synchronous"), 2);  // FULL
}

TEST(Sqlite, ErrorsCarrySqliteMessageAndFile) {
  TempDir dir;
  const auto file = dir / "db";
  Database db(file);
  try {
    db.exec("SELECT * FROM missing_table");
    FAIL() << "expected an exception";
  } catch (const sqlite::SqliteError& error) {
    EXPECT_NE(std::string(error.what()).find("no such table: missing_table"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find(file.string()), std::string::npos);
    EXPECT_EQ(error.file(), file);
  }
  db.exec("CREATE TABLE t (x INTEGER NOT NULL)");
  auto insert = db.prepare("INSERT INTO t VALUES (?1)");
  insert.bind_null(1);
  EXPECT_THROW(insert.run(), sqlite::SqliteError);
  // A failed statement is reusable.
  insert.reset();
  insert.bind(1, std::int64_t{7});
  insert.run();
  EXPECT_EQ(db.query_int("SELECT x FROM t"), 7);
}

TEST(Sqlite, EmptyTextIsNotNull) {
  TempDir dir;
  Database db(dir / "db");
  db.exec("CREATE TABLE t (x TEXT NOT NULL)");
  auto insert = db.prepare("INSERT INTO t VALUES (?1)");
  insert.bind(1, std::string_view{});
  insert.run();
  auto select = db.prepare("SELECT x IS NULL, length(x) FROM t");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int(0), 0);
  EXPECT_EQ(select.column_int(1), 0);
}

TEST(Sqlite, TransactionRollsBackUnlessCommitted) {
  TempDir dir;
  Database db(dir / "db");
  db.exec("CREATE TABLE t (x INTEGER)");
  {
    sqlite::Transaction transaction(db);
    db.exec("INSERT INTO t VALUES (1)");
  }
  EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 0);
  {
    sqlite::Transaction transaction(db);
    db.exec("INSERT INTO t VALUES (2)");
    transaction.commit();
  }
  EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 1);
}

TEST(Sqlite, QueryOnlyConnectionRefusesWrites) {
  TempDir dir;
  {
    Database db(dir / "db");
    db.exec("CREATE TABLE t (x INTEGER)");
  }
  Database reader(dir / "db", {.query_only = true});
  EXPECT_THROW(reader.exec("INSERT INTO t VALUES (1)"), sqlite::SqliteError);
}

TEST(Sqlite, OpeningTheWrongKindOfFileIsRefused) {
  TempDir dir;
  { Ledger ledger(dir / "ledger.db"); }
  try {
    StagingStore staging(dir / "ledger.db");
    FAIL() << "a ledger must not open as a staging store";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("not an atsmigrate staging store"), std::string::npos);
  }
  {
    Database foreign(dir / "foreign.db");
    foreign.exec("CREATE TABLE other (x)");
  }
  EXPECT_THROW(Ledger(dir / "foreign.db"), StoreError);
}

TEST(Sqlite, NewerFormatVersionIsRefused) {
  TempDir dir;
  { Ledger ledger(dir / "ledger.db"); }
  {
    Database db(dir / "ledger.db");
    db.exec("PRAGMA user_version=" + std::to_string(kLedgerFormatVersion + 1));
  }
  try {
    Ledger ledger(dir / "ledger.db");
    FAIL() << "expected a version error";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("format version 2"), std::string::npos);
  }
}

}  // namespace
}  // namespace atsm::store
