// SQLite-only behaviour: URLs and files, connection settings, statement rules.
#include "storage/sqlite/sqlite_db.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "storage/test_database.hpp"

namespace calipso::storage {
namespace {

namespace fs = std::filesystem;

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("calipso-sqlite-" + testing::random_suffix());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SqliteTest, AbsoluteUrlCreatesTheFileAndItsDirectories) {
  auto path = dir_ / "a" / "b" / "site.db";
  auto db = open("sqlite://" + path.string(), 1);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(db->dialect(), Dialect::sqlite);
}

TEST_F(SqliteTest, RelativeUrlIsResolvedAgainstTheCurrentDirectory) {
  auto previous = fs::current_path();
  fs::current_path(dir_);
  EXPECT_EQ(sqlite::path_from_url("sqlite://data/site.db"), dir_ / "data" / "site.db");
  { auto db = open("sqlite://data/site.db", 1); }
  fs::current_path(previous);
  EXPECT_TRUE(fs::exists(dir_ / "data" / "site.db"));
}

TEST_F(SqliteTest, UrlWithoutPathIsRefused) { EXPECT_THROW(open("sqlite://", 1), DbError); }

TEST_F(SqliteTest, UnopenableFileIsUnavailable) {
  fs::create_directories(dir_ / "dir.db");  // a directory where the file should be
  try {
    open("sqlite://" + (dir_ / "dir.db").string(), 1);
    FAIL();
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind, DbError::Kind::unavailable) << e.what();
  }
}

TEST_F(SqliteTest, AFullDatabaseSaysSoAndKeepsWhatItHad) {
  auto db = open("sqlite://" + (dir_ / "full.db").string(), 1);
  auto conn = db->acquire();
  conn->exec("CREATE TABLE t (v TEXT)");
  conn->exec("INSERT INTO t VALUES ('kept')");
  // The same answer as a full disk, without needing one.
  auto pages = conn->query("PRAGMA page_count").integer(0, "page_count");
  conn->query("PRAGMA max_page_count = " + std::to_string(pages + 1));
  try {
    for (int i = 0; i < 100; ++i) conn->exec("INSERT INTO t VALUES (?)", {std::string(4096, 'x')});
    FAIL() << "the database never filled up";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind, DbError::Kind::full) << e.what();
  }
  EXPECT_EQ(conn->query("SELECT v FROM t WHERE v = 'kept'").size(), 1u);
}

TEST_F(SqliteTest, EveryConnectionIsConfigured) {
  auto db = open("sqlite://" + (dir_ / "site.db").string(), 2);
  auto a = db->acquire();
  auto b = db->acquire();  // the second connection gets the same settings
  for (auto* conn : {&a, &b}) {
    EXPECT_EQ((*conn)->query("PRAGMA journal_mode").text("journal_mode"), "wal");
    EXPECT_EQ((*conn)->query("PRAGMA synchronous").integer(0, "synchronous"), 1);  // NORMAL
    EXPECT_EQ((*conn)->query("PRAGMA foreign_keys").integer(0, "foreign_keys"), 1);
    EXPECT_EQ((*conn)->query("PRAGMA busy_timeout").integer(0, "timeout"), 5000);
  }
}

TEST_F(SqliteTest, ForeignKeysAreEnforced) {
  auto db = open("sqlite://" + (dir_ / "site.db").string(), 1);
  auto conn = db->acquire();
  conn->exec_script(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
      "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id));");
  try {
    conn->exec("INSERT INTO child (parent) VALUES (?)", {std::int64_t{42}});
    FAIL();
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind, DbError::Kind::constraint);
  }
}

TEST_F(SqliteTest, QueryTakesOneStatement) {
  auto db = open("sqlite://" + (dir_ / "site.db").string(), 1);
  auto conn = db->acquire();
  EXPECT_THROW(conn->query("SELECT 1; SELECT 2"), DbError);
  EXPECT_THROW(conn->query("SELECT 1; garbage"), DbError);
  EXPECT_EQ(conn->query("SELECT 1 AS one; -- trailing comment").integer(0, "one"), 1);
}

TEST_F(SqliteTest, ReadTransactionsDoNotBlockTheWriter) {
  auto db = open("sqlite://" + (dir_ / "site.db").string(), 2);
  auto reader = db->acquire();
  auto writer = db->acquire();
  writer->exec_script("CREATE TABLE t (x INTEGER)");
  reader->begin(false);
  EXPECT_EQ(reader->query("SELECT COUNT(*) AS n FROM t").integer(0, "n"), 0);
  writer->begin(true);
  writer->exec("INSERT INTO t VALUES (1)");
  writer->commit();
  EXPECT_EQ(reader->query("SELECT COUNT(*) AS n FROM t").integer(0, "n"), 0);  // its snapshot
  reader->commit();
  EXPECT_EQ(reader->query("SELECT COUNT(*) AS n FROM t").integer(0, "n"), 1);
}

}  // namespace
}  // namespace calipso::storage
