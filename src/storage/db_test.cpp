// The Db interface against both backends: values, transactions, errors, the pool.
#include "storage/db.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <thread>

#include "storage/test_database.hpp"

namespace calipso::storage {
namespace {

using testing::backend_name;
using testing::BackendTest;
using testing::kBackends;
using namespace std::chrono_literals;

class StorageTest : public BackendTest {
 protected:
  void make_table() {
    db->acquire()->exec_script(
        ddl(db->dialect(), "CREATE TABLE items (id {{id}}, name TEXT NOT NULL UNIQUE, n BIGINT)"));
  }
  std::int64_t count_items() {
    return db->acquire()->query("SELECT COUNT(*) AS n FROM items").integer(0, "n");
  }
};

TEST_P(StorageTest, ValuesRoundTripWithTheirTypes) {
  auto conn = db->acquire();
  conn->exec_script(
      ddl(db->dialect(), "CREATE TABLE vals (id {{id}}, i BIGINT, d DOUBLE PRECISION, t TEXT, b {{blob}})"));
  const std::vector<Value> rows[] = {
      {std::numeric_limits<std::int64_t>::min(), 0.1, std::string("héllo ✓ 'quoted' \"double\" ? $1"),
       Blob{std::string("\0\x01\xff\0", 4)}},
      {std::numeric_limits<std::int64_t>::max(), -2.5e-300, std::string(""), Blob{""}},
      {std::int64_t{0}, 1.7976931348623157e308, std::string("日本語"), Blob{std::string(1000, '\0')}},
      {nullptr, nullptr, nullptr, nullptr},
  };
  for (auto& r : rows) conn->exec("INSERT INTO vals (i, d, t, b) VALUES (?, ?, ?, ?)", r);
  auto got = conn->query("SELECT i, d, t, b FROM vals ORDER BY id");
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.columns, (std::vector<std::string>{"i", "d", "t", "b"}));
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 4; ++c) {
      const Value& want = rows[r][c];
      const Value& have = got.rows[r][c];
      ASSERT_EQ(have.index(), want.index()) << "row " << r << " column " << c;
      if (auto* b = std::get_if<Blob>(&want))
        EXPECT_EQ(std::get<Blob>(have).bytes, b->bytes) << "row " << r;
      else
        EXPECT_TRUE(have == want) << "row " << r << " column " << c;
    }
}

TEST_P(StorageTest, PlaceholdersInsideStringLiteralsAreLeftAlone) {
  auto rows = db->acquire()->query("SELECT 'it''s ? really' AS s, ? AS p /* ? */", {std::string("x")});
  EXPECT_EQ(rows.text("s"), "it's ? really");
  EXPECT_EQ(rows.text("p"), "x");
}

TEST_P(StorageTest, ExecCountsRowsItChanged) {
  make_table();
  auto conn = db->acquire();
  for (auto name : {"a", "b", "c"})
    EXPECT_EQ(conn->exec("INSERT INTO items (name, n) VALUES (?, 1)", {name}), 1);
  EXPECT_EQ(conn->exec("UPDATE items SET n = 2 WHERE name <> ?", {"a"}), 2);
  EXPECT_EQ(conn->exec("CREATE INDEX items_n ON items (n)"), 0);
  EXPECT_EQ(conn->exec("SELECT 1"), 0);
}

TEST_P(StorageTest, InsertReturningGivesTheNewId) {
  make_table();
  auto conn = db->acquire();
  auto first = conn->query("INSERT INTO items (name) VALUES (?) RETURNING id", {"a"}).integer(0, "id");
  auto second = conn->query("INSERT INTO items (name) VALUES (?) RETURNING id", {"b"}).integer(0, "id");
  EXPECT_GT(second, first);
}

TEST_P(StorageTest, TransactionCommitsWhenTheFunctionReturnsAValue) {
  make_table();
  auto r = transaction(*db, [](Connection& c) -> Result<std::int64_t> {
    return c.exec("INSERT INTO items (name) VALUES (?), (?)", {"a", "b"});
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 2);
  EXPECT_EQ(count_items(), 2);
}

TEST_P(StorageTest, TransactionRollsBackWhenTheFunctionReturnsAnError) {
  make_table();
  auto r = transaction(*db, [](Connection& c) -> Result<void> {
    c.exec("INSERT INTO items (name) VALUES (?)", {"a"});
    return fail(Errc::conflict, "changed my mind");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::conflict);
  EXPECT_EQ(count_items(), 0);
}

TEST_P(StorageTest, TransactionRollsBackAndRethrowsWhenTheFunctionThrows) {
  make_table();
  EXPECT_THROW(transaction(*db,
                           [](Connection& c) -> Result<void> {
                             c.exec("INSERT INTO items (name) VALUES (?)", {"a"});
                             throw std::logic_error("bug");
                           }),
               std::logic_error);
  EXPECT_EQ(count_items(), 0);
  EXPECT_EQ(db->stats().idle, db->stats().size);  // the connection went back, not in a transaction
}

TEST_P(StorageTest, ConstraintViolationsAreReportedAsConstraint) {
  make_table();
  auto conn = db->acquire();
  conn->exec("INSERT INTO items (name) VALUES (?)", {"a"});
  try {
    conn->exec("INSERT INTO items (name) VALUES (?)", {"a"});
    FAIL() << "duplicate accepted";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind, DbError::Kind::constraint) << e.what();
  }
  try {
    conn->exec("INSERT INTO items (name) VALUES (?)", {nullptr});
    FAIL() << "NULL accepted";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind, DbError::Kind::constraint) << e.what();
  }
  EXPECT_EQ(conn->query("SELECT COUNT(*) AS n FROM items").integer(0, "n"), 1);  // still usable
}

TEST_P(StorageTest, ConstraintViolationInsideTransactionRollsItBack) {
  make_table();
  auto r = transaction(*db, [](Connection& c) -> Result<void> {
    c.exec("INSERT INTO items (name) VALUES (?)", {"a"});
    try {
      c.exec("INSERT INTO items (name) VALUES (?)", {"a"});
    } catch (const DbError& e) {
      if (e.kind == DbError::Kind::constraint) return fail(Errc::conflict, "name taken", "name");
      throw;
    }
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::conflict);
  EXPECT_EQ(count_items(), 0);
}

TEST_P(StorageTest, BadSqlAndWrongParameterCountAreOtherErrors) {
  auto conn = db->acquire();
  try {
    conn->query("SELEKT 1");
    FAIL();
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind, DbError::Kind::other);
  }
  try {
    conn->query("SELECT ? AS a", {std::int64_t{1}, std::int64_t{2}});
    FAIL();
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind, DbError::Kind::other);
  }
  EXPECT_EQ(conn->query("SELECT 2 AS two").integer(0, "two"), 2);
}

TEST_P(StorageTest, HandleReturnedInsideATransactionIsRolledBack) {
  make_table();
  {
    auto conn = db->acquire();
    conn->begin(true);
    conn->exec("INSERT INTO items (name) VALUES (?)", {"a"});
  }
  EXPECT_EQ(count_items(), 0);
  EXPECT_FALSE(db->acquire()->in_transaction());
}

TEST_P(StorageTest, ManyDistinctStatementsStayUsable) {
  // More statements than one connection caches, then the first ones again.
  auto db1 = open(url(), 1);
  auto conn = db1->acquire();
  for (int round = 0; round < 2; ++round)
    for (std::int64_t i = 0; i < 300; ++i) {
      auto sql = fmt::format("SELECT CAST(? AS BIGINT) + {} AS n", i);
      ASSERT_EQ(conn->query(sql, {std::int64_t{1}}).integer(0, "n"), i + 1);
    }
}

TEST_P(StorageTest, PoolMakesCallersWaitWhenAllConnectionsAreInUse) {
  auto pool = open(url(), 2);
  auto a = pool->acquire();
  auto b = pool->acquire();
  EXPECT_EQ(pool->stats().size, 2u);
  EXPECT_EQ(pool->stats().idle, 0u);

  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto c = pool->acquire();
    got = true;
    c->query("SELECT 1");
  });
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (pool->stats().waits == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(pool->stats().waits, 1u);
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(got);
  { auto done = std::move(a); }  // hands one back
  waiter.join();
  EXPECT_TRUE(got);
  auto stats = pool->stats();
  EXPECT_EQ(stats.size, 2u);  // no third connection was opened
  EXPECT_EQ(stats.idle, 1u);  // b is still out
}

TEST_P(StorageTest, MoveAssigningAHandleReturnsTheOneItReplaces) {
  auto pool = open(url(), 2);
  auto a = pool->acquire();
  auto b = pool->acquire();
  a = std::move(b);
  EXPECT_EQ(pool->stats().idle, 1u);
  EXPECT_EQ(pool->stats().size, 2u);
  a->query("SELECT 1");
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest, kBackends, backend_name);

TEST(Ddl, ReplacesTokensWithTheDialectsSpelling) {
  EXPECT_EQ(ddl(Dialect::sqlite, "CREATE TABLE t (id {{id}}, b {{blob}}, x {{other}})"),
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, b BLOB, x {{other}})");
  EXPECT_EQ(ddl(Dialect::postgres, "{{id}}{{blob}}"),
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEYBYTEA");
  EXPECT_EQ(ddl(Dialect::postgres, "no tokens {"), "no tokens {");
}

TEST(RedactUrl, HidesPasswords) {
  EXPECT_EQ(redact_url("postgresql://u:secret@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(redact_url("postgresql://u@h/db?sslmode=require&password=secret&x=1"),
            "postgresql://u@h/db?sslmode=require&password=***&x=1");
  EXPECT_EQ(redact_url("postgresql://h/db"), "postgresql://h/db");
  EXPECT_EQ(redact_url("sqlite:///var/lib/calipso/a:b@c.db"), "sqlite:///var/lib/calipso/a:b@c.db");
}

TEST(Open, RefusesUnknownSchemes) {
  try {
    open("mysql://u:pw@h/db", 1);
    FAIL();
  } catch (const DbError& e) {
    EXPECT_EQ(std::string(e.what()).find("pw"), std::string::npos);
  }
}

TEST(Rows, TypedAccessors) {
  Rows rows;
  rows.columns = {"i", "t", "n", "d"};
  rows.rows.push_back({std::int64_t{7}, std::string("x"), nullptr, 2.5});
  EXPECT_EQ(rows.column("t"), 1);
  EXPECT_EQ(rows.column("missing"), -1);
  EXPECT_EQ(rows.integer(0, "i"), 7);
  EXPECT_EQ(rows.integer(0, "n"), 0);
  EXPECT_EQ(rows.text("t"), "x");
  EXPECT_EQ(rows.text("i"), "7");
  EXPECT_EQ(rows.text("n"), "");
  EXPECT_TRUE(rows.is_null(0, "n"));
  EXPECT_FALSE(rows.is_null(0, "t"));
  EXPECT_THROW(rows.at(0, "missing"), std::out_of_range);
  EXPECT_THROW(rows.at(1, "i"), std::out_of_range);
  EXPECT_THROW(rows.integer(0, "t"), DbError);
}

}  // namespace
}  // namespace calipso::storage
