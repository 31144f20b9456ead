// Migrations on both backends: applied once, in order, atomically, and once only when
// several nodes start together.
#include "storage/migrations.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "storage/change_log.hpp"
#include "storage/test_database.hpp"

namespace calipso::storage {
namespace {

using testing::backend_name;
using testing::BackendTest;
using testing::kBackends;

Migration sql(int version, std::string text) {
  return Migration{version, "v" + std::to_string(version), std::move(text), {}};
}

class MigrationsTest : public BackendTest {
 protected:
  std::int64_t applied(std::string_view module) {
    return db->acquire()
        ->query("SELECT COUNT(*) AS n FROM schema_migrations WHERE module = ?", {std::string(module)})
        .integer(0, "n");
  }
  bool table_exists(const std::string& name) {
    try {
      db->acquire()->query("SELECT COUNT(*) AS n FROM " + name);
      return true;
    } catch (const DbError&) {
      return false;
    }
  }
};

TEST_P(MigrationsTest, AppliesOnceAndASecondRunAppliesNone) {
  std::vector<ModuleMigrations> all = {
      {"core", core_migrations()},
      {"notes",
       {sql(1, "CREATE TABLE notes (id {{id}}, body TEXT NOT NULL, file {{blob}})"),
        sql(2, "ALTER TABLE notes ADD COLUMN title TEXT; CREATE INDEX notes_title ON notes (title)")}},
  };
  EXPECT_EQ(migrate(*db, all), 3);
  EXPECT_EQ(migrate(*db, all), 0);
  EXPECT_EQ(applied("core"), 1);
  EXPECT_EQ(applied("notes"), 2);
  auto conn = db->acquire();
  auto id =
      conn->query("INSERT INTO notes (body, title) VALUES (?, ?) RETURNING id", {"b", "t"}).integer(0, "id");
  EXPECT_GT(id, 0);
  auto row =
      conn->query("SELECT description, applied_us FROM schema_migrations WHERE module = ? AND version = ?",
                  {"notes", std::int64_t{2}});
  EXPECT_EQ(row.text("description"), "v2");
  EXPECT_GT(row.integer(0, "applied_us"), 0);
}

TEST_P(MigrationsTest, NewMigrationsOfALaterReleaseAreAppliedAlone) {
  std::vector<ModuleMigrations> v1 = {{"notes", {sql(1, "CREATE TABLE notes (body TEXT)")}}};
  EXPECT_EQ(migrate(*db, v1), 1);
  auto v2 = v1;
  v2[0].migrations.push_back(sql(2, "ALTER TABLE notes ADD COLUMN title TEXT"));
  EXPECT_EQ(migrate(*db, v2), 1);
  EXPECT_EQ(applied("notes"), 2);
}

TEST_P(MigrationsTest, DataMigrationsRunTheirFunction) {
  Migration fill;
  fill.version = 2;
  fill.description = "seed";
  fill.run = [](Connection& c) { c.exec("INSERT INTO notes (body) VALUES (?)", {"first"}); };
  std::vector<ModuleMigrations> all = {{"notes", {sql(1, "CREATE TABLE notes (body TEXT)"), fill}}};
  EXPECT_EQ(migrate(*db, all), 2);
  EXPECT_EQ(db->acquire()->query("SELECT body FROM notes").text("body"), "first");
}

TEST_P(MigrationsTest, AFailingMigrationLeavesNothingBehind) {
  std::vector<ModuleMigrations> broken = {
      {"notes", {sql(1, "CREATE TABLE notes (body TEXT); CREATE TABLE oops (x TEXT) garbage")}}};
  try {
    migrate(*db, broken);
    FAIL() << "a broken migration was accepted";
  } catch (const MigrationError& e) {
    EXPECT_EQ(e.module, "notes");
    EXPECT_EQ(e.version, 1);
  }
  EXPECT_FALSE(table_exists("notes"));  // the first statement was rolled back with the second
  EXPECT_EQ(applied("notes"), 0);

  std::vector<ModuleMigrations> fixed = {{"notes", {sql(1, "CREATE TABLE notes (body TEXT)")}}};
  EXPECT_EQ(migrate(*db, fixed), 1);
}

TEST_P(MigrationsTest, AThrowingFunctionFailsItsMigration) {
  Migration bad;
  bad.version = 1;
  bad.description = "throws";
  bad.run = [](Connection& c) {
    c.exec_script("CREATE TABLE half (x TEXT)");
    throw std::runtime_error("data is not what we expected");
  };
  EXPECT_THROW(migrate(*db, {{"notes", {bad}}}), MigrationError);
  EXPECT_FALSE(table_exists("half"));
}

TEST_P(MigrationsTest, VersionsMustBeStrictlyIncreasing) {
  for (auto versions : {std::vector<int>{1, 1}, {2, 1}, {0}, {1, 3, 2}}) {
    ModuleMigrations m{"notes", {}};
    for (int v : versions) m.migrations.push_back(sql(v, "SELECT 1"));
    EXPECT_THROW(migrate(*db, {m}), MigrationError) << ::testing::PrintToString(versions);
  }
  EXPECT_FALSE(table_exists("schema_migrations"));  // refused before touching the database
}

TEST_P(MigrationsTest, AMigrationInsertedBelowAnAppliedOneIsRefused) {
  EXPECT_EQ(migrate(*db, {{"notes", {sql(1, "CREATE TABLE a (x TEXT)"), sql(3, "CREATE TABLE c (x TEXT)")}}}),
            2);
  try {
    migrate(*db, {{"notes",
                   {sql(1, "CREATE TABLE a (x TEXT)"), sql(2, "CREATE TABLE b (x TEXT)"),
                    sql(3, "CREATE TABLE c (x TEXT)")}}});
    FAIL();
  } catch (const MigrationError& e) {
    EXPECT_EQ(e.module, "notes");
    EXPECT_EQ(e.version, 2);
  }
  EXPECT_FALSE(table_exists("b"));
}

TEST_P(MigrationsTest, ADatabaseNewerThanTheBinaryIsAcceptedWithAWarning) {
  std::vector<ModuleMigrations> newer = {
      {"notes", {sql(1, "CREATE TABLE a (x TEXT)"), sql(2, "CREATE TABLE b (x TEXT)")}}};
  EXPECT_EQ(migrate(*db, newer), 2);
  std::vector<ModuleMigrations> older = {{"notes", {sql(1, "CREATE TABLE a (x TEXT)")}}};
  EXPECT_EQ(migrate(*db, older), 0);
}

TEST_P(MigrationsTest, NodesStartingTogetherApplyEachMigrationOnce) {
  constexpr int kNodes = 4;
  std::atomic<int> seeded{0};
  Migration seed;
  seed.version = 2;
  seed.description = "seed, slowly";
  seed.run = [&](Connection& c) {
    ++seeded;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // let the other nodes pile up
    c.exec("INSERT INTO notes (body) VALUES (?)", {"once"});
  };
  // No IF NOT EXISTS: running any of these twice fails.
  std::vector<ModuleMigrations> all = {
      {"core", core_migrations()},
      {"notes",
       {sql(1, "CREATE TABLE notes (body TEXT)"), seed, sql(3, "CREATE INDEX notes_body ON notes (body)")}},
  };
  std::atomic<int> ran{0};
  std::vector<std::string> errors(kNodes);
  std::vector<std::thread> nodes;
  for (int i = 0; i < kNodes; ++i)
    nodes.emplace_back([&, i] {
      try {
        auto node_db = open(url(), 2);  // each node has its own pool, as separate processes would
        ran += migrate(*node_db, all);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  for (auto& t : nodes) t.join();
  for (auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(ran, 4);
  EXPECT_EQ(seeded, 1);
  EXPECT_EQ(applied("notes"), 3);
  EXPECT_EQ(db->acquire()->query("SELECT COUNT(*) AS n FROM notes").integer(0, "n"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, MigrationsTest, kBackends, backend_name);

}  // namespace
}  // namespace calipso::storage
