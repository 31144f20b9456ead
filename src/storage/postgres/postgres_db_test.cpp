// PostgreSQL-only behaviour: placeholder rewriting, lost connections, the statement cache
// across failed transactions, type decoding.
#include "storage/postgres/postgres_db.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "storage/test_database.hpp"

namespace calipso::storage {
namespace {

using testing::PostgresTest;

std::string rewrite(std::string_view sql, int expected_count) {
  int count = -1;
  auto out = postgres::rewrite_placeholders(sql, &count);
  EXPECT_EQ(count, expected_count) << sql;
  return out;
}

TEST(RewritePlaceholders, NumbersPlaceholdersInOrder) {
  EXPECT_EQ(rewrite("SELECT * FROM t WHERE a = ? AND b IN (?, ?)", 3),
            "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)");
  EXPECT_EQ(rewrite("SELECT 1", 0), "SELECT 1");
  EXPECT_EQ(rewrite("?", 1), "$1");
}

TEST(RewritePlaceholders, LeavesStringsAndIdentifiersAlone) {
  EXPECT_EQ(rewrite("SELECT '?', ?", 1), "SELECT '?', $1");
  EXPECT_EQ(rewrite("SELECT 'it''s ?', ?", 1), "SELECT 'it''s ?', $1");
  EXPECT_EQ(rewrite("SELECT '', ?, ''''", 1), "SELECT '', $1, ''''");
  EXPECT_EQ(rewrite(R"(SELECT E'\'?', ?)", 1), R"(SELECT E'\'?', $1)");
  EXPECT_EQ(rewrite(R"(SELECT 'a\', ?)", 1), R"(SELECT 'a\', $1)");  // no escapes without E
  EXPECT_EQ(rewrite(R"(SELECT "we?ird", "a""?" FROM t WHERE x = ?)", 1),
            R"(SELECT "we?ird", "a""?" FROM t WHERE x = $1)");
}

TEST(RewritePlaceholders, LeavesCommentsAlone) {
  EXPECT_EQ(rewrite("SELECT ? -- why?\n, ?", 2), "SELECT $1 -- why?\n, $2");
  EXPECT_EQ(rewrite("SELECT ? -- trailing ?", 1), "SELECT $1 -- trailing ?");
  EXPECT_EQ(rewrite("SELECT /* ? /* nested ? */ still ? */ ?", 1),
            "SELECT /* ? /* nested ? */ still ? */ $1");
  EXPECT_EQ(rewrite("SELECT 4 - ?, 4 / ?", 2), "SELECT 4 - $1, 4 / $2");
}

TEST(RewritePlaceholders, LeavesDollarQuotedBodiesAndNumberedParametersAlone) {
  EXPECT_EQ(rewrite("SELECT $$ ? $$, ?", 1), "SELECT $$ ? $$, $1");
  EXPECT_EQ(rewrite("SELECT $fn$ ? $x$ ? $fn$, ?", 1), "SELECT $fn$ ? $x$ ? $fn$, $1");
  EXPECT_EQ(rewrite("SELECT a$b, ?", 1), "SELECT a$b, $1");
}

TEST(RewritePlaceholders, UnterminatedTokensRunToTheEnd) {
  EXPECT_EQ(rewrite("SELECT ?, 'open ?", 1), "SELECT $1, 'open ?");
  EXPECT_EQ(rewrite("SELECT ?, /* open ?", 1), "SELECT $1, /* open ?");
}

TEST_F(PostgresTest, ConnectionsIdentifyThemselves) {
  auto rows = db->acquire()->query("SELECT current_setting('application_name') AS a");
  EXPECT_EQ(rows.text("a"), "calipso");
}

TEST_F(PostgresTest, DecodesValuesByColumnType) {
  auto rows = db->acquire()->query(
      "SELECT true AS t, false AS f, 2::int2 AS small, 3::int4 AS mid, 1.5::numeric AS num, "
      "1.25::float4 AS real4, 'NaN'::float8 AS nan, '-Infinity'::float8 AS ninf, "
      "'\\x00ff'::bytea AS bytes, '2026-01-02'::date AS day");
  auto& r = rows.rows[0];
  EXPECT_EQ(std::get<std::int64_t>(r[0]), 1);
  EXPECT_EQ(std::get<std::int64_t>(r[1]), 0);
  EXPECT_EQ(std::get<std::int64_t>(r[2]), 2);
  EXPECT_EQ(std::get<std::int64_t>(r[3]), 3);
  EXPECT_EQ(std::get<double>(r[4]), 1.5);
  EXPECT_EQ(std::get<double>(r[5]), 1.25);
  EXPECT_TRUE(std::isnan(std::get<double>(r[6])));
  EXPECT_EQ(std::get<double>(r[7]), -INFINITY);
  EXPECT_EQ(std::get<Blob>(r[8]).bytes, std::string("\0\xff", 2));
  EXPECT_EQ(std::get<std::string>(r[9]), "2026-01-02");
}

TEST_F(PostgresTest, KilledConnectionFailsAsUnavailableAndThePoolRecovers) {
  auto admin = open(url(), 1);
  {
    auto conn = db->acquire();
    auto pid = conn->query("SELECT pg_backend_pid() AS pid").integer(0, "pid");
    // The timeout makes pg_terminate_backend wait until the backend has gone.
    ASSERT_EQ(admin->acquire()->query("SELECT pg_terminate_backend(?, 5000) AS ok", {pid}).integer(0, "ok"),
              1);
    try {
      conn->query("SELECT 1");
      FAIL() << "a terminated connection answered";
    } catch (const DbError& e) {
      EXPECT_EQ(e.kind, DbError::Kind::unavailable) << e.what();
    }
    EXPECT_FALSE(conn->healthy());
  }
  auto before = db->stats();
  auto conn = db->acquire();
  EXPECT_EQ(conn->query("SELECT 1 AS one").integer(0, "one"), 1);
  EXPECT_LE(db->stats().size, before.size + 1);
}

TEST_F(PostgresTest, IdleConnectionKilledMeanwhileIsReplacedOnAcquire) {
  auto admin = open(url(), 1);
  std::int64_t pid = 0;
  {
    auto conn = db->acquire();
    pid = conn->query("SELECT pg_backend_pid() AS pid").integer(0, "pid");
  }
  ASSERT_EQ(admin->acquire()->query("SELECT pg_terminate_backend(?, 5000) AS ok", {pid}).integer(0, "ok"), 1);
  auto conn = db->acquire();  // takes the idle one, finds it dead, opens another
  EXPECT_NE(conn->query("SELECT pg_backend_pid() AS pid").integer(0, "pid"), pid);
}

TEST_F(PostgresTest, PreparedStatementsSurviveRolledBackTransactions) {
  auto conn = db->acquire();
  conn->exec_script("CREATE TABLE t (k TEXT PRIMARY KEY)");
  const char* insert = "INSERT INTO t (k) VALUES (?)";
  const char* count = "SELECT COUNT(*) AS n FROM t";

  conn->begin(true);
  conn->exec(insert, {"a"});  // prepared inside a transaction that is rolled back
  conn->rollback();

  conn->begin(true);
  conn->exec(insert, {"b"});
  EXPECT_THROW(conn->exec(insert, {"b"}), DbError);
  // The transaction has failed: a statement not prepared yet cannot be, and must not be
  // remembered as prepared.
  EXPECT_THROW(conn->query("SELECT k FROM t WHERE k = ?", {"b"}), DbError);
  conn->rollback();

  conn->exec(insert, {"c"});
  EXPECT_EQ(conn->query("SELECT k FROM t WHERE k = ?", {"c"}).size(), 1u);
  EXPECT_EQ(conn->query(count).integer(0, "n"), 1);
}

TEST_F(PostgresTest, CommitOfAFailedTransactionThrows) {
  auto conn = db->acquire();
  conn->begin(true);
  EXPECT_THROW(conn->query("SELECT 1/0"), DbError);
  EXPECT_THROW(conn->commit(), DbError);  // the server would answer ROLLBACK without an error
  EXPECT_FALSE(conn->in_transaction());
}

TEST_F(PostgresTest, StatementWhoseResultChangedIsPreparedAgain) {
  auto conn = db->acquire();
  conn->exec_script("CREATE TABLE t (a INT); INSERT INTO t VALUES (1)");
  EXPECT_EQ(conn->query("SELECT * FROM t").columns.size(), 1u);
  conn->exec_script("ALTER TABLE t ADD COLUMN b INT");
  EXPECT_EQ(conn->query("SELECT * FROM t").columns.size(), 2u);
}

TEST_F(PostgresTest, StatementCacheStaysBoundedOnTheServer) {
  auto conn = db->acquire();
  for (int i = 0; i < 600; ++i) conn->query(fmt::format("SELECT {} AS n", i));
  auto n = conn->query("SELECT COUNT(*) AS n FROM pg_prepared_statements").integer(0, "n");
  EXPECT_LE(n, 300);
  EXPECT_EQ(conn->query("SELECT 5 AS n").integer(0, "n"), 5);
}

TEST_F(PostgresTest, LockMigrationsOutsideATransactionIsRefused) {
  EXPECT_THROW(db->acquire()->lock_migrations(), DbError);
}

TEST(PostgresConnect, UnreachableServerIsUnavailable) {
  try {
    open("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2", 1);
    FAIL();
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind, DbError::Kind::unavailable);
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace calipso::storage
