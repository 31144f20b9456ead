// The change log on both backends: ids in order, visible only when committed, and (on
// PostgreSQL) visible in id order and announced by NOTIFY.
#include "storage/change_log.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <boost/json.hpp>
#include <thread>

#include "storage/migrations.hpp"
#include "storage/test_database.hpp"

namespace calipso::storage {
namespace {

using testing::backend_name;
using testing::BackendTest;
using testing::kBackends;
namespace json = boost::json;

class ChangeLogTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (db) migrate(*db, {{"core", core_migrations()}});
  }
  std::int64_t append(std::string_view kind, std::string_view key, const json::value& payload = nullptr) {
    auto r = transaction(
        *db, [&](Connection& c) -> Result<std::int64_t> { return append_change(c, kind, key, payload); });
    return *r;
  }
};

TEST_P(ChangeLogTest, ChangesAreReadBackOldestFirst) {
  auto conn = db->acquire();
  EXPECT_EQ(last_change_id(*conn), 0);
  auto a = append("content", "1", json::object{{"op", "create"}});
  auto b = append("config", "settings");
  auto c = append("content", "1", json::object{{"op", "update"}});
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(last_change_id(*conn), c);

  auto all = changes_since(*conn, 0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, a);
  EXPECT_EQ(all[0].kind, "content");
  EXPECT_EQ(all[0].key, "1");
  EXPECT_EQ(json::parse(all[0].payload), (json::value{{"op", "create"}}));
  EXPECT_GT(all[0].created_us, 0);
  EXPECT_EQ(all[1].payload, "");  // no payload

  auto later = changes_since(*conn, a);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].id, b);
  auto limited = changes_since(*conn, 0, 1);
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0].id, a);
}

TEST_P(ChangeLogTest, ARolledBackChangeIsNeverSeen) {
  auto r = transaction(*db, [](Connection& c) -> Result<void> {
    append_change(c, "content", "7");
    return fail(Errc::invalid, "no");
  });
  EXPECT_FALSE(r);
  auto conn = db->acquire();
  EXPECT_TRUE(changes_since(*conn, 0).empty());
}

TEST_P(ChangeLogTest, IdsAreNotReusedAfterPruning) {
  auto first = append("content", "1");
  db->acquire()->exec("DELETE FROM change_log");
  EXPECT_GT(append("content", "2"), first);
}

TEST_P(ChangeLogTest, ConcurrentWritersBecomeVisibleInIdOrder) {
  // A tailer reading "id > last seen" must never see an id before all smaller ids: it
  // would skip them for good.
  constexpr int kWriters = 4, kEach = 15;
  std::atomic<bool> writing{true};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i)
        transaction(*db, [&](Connection& c) -> Result<void> {
          append_change(c, "test", std::to_string(w));
          std::this_thread::sleep_for(std::chrono::microseconds(500 * (w + 1)));  // commit late, unevenly
          return {};
        });
    });
  std::int64_t last = 0;
  std::vector<std::int64_t> seen;
  std::thread tailer([&] {
    while (true) {
      bool final_read = !writing;  // read once more after the last commit
      std::vector<Change> batch;
      {
        auto conn = db->acquire();
        batch = changes_since(*conn, last);
      }
      for (auto& c : batch) {
        seen.push_back(c.id);
        last = c.id;
      }
      if (final_read && batch.empty()) return;
    }
  });
  for (auto& t : writers) t.join();
  writing = false;
  tailer.join();
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kWriters * kEach));
  for (std::size_t i = 1; i < seen.size(); ++i)
    EXPECT_EQ(seen[i], seen[i - 1] + 1) << "after id " << seen[i - 1];
}

INSTANTIATE_TEST_SUITE_P(Backends, ChangeLogTest, kBackends, backend_name);

class ChangeLogNotifyTest : public testing::PostgresTest {};

TEST_F(ChangeLogNotifyTest, CommittedChangesAreAnnounced) {
  migrate(*db, {{"core", core_migrations()}});
  std::unique_ptr<PGconn, decltype(&PQfinish)> listener(PQconnectdb(url().c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(listener.get()), CONNECTION_OK);
  PQclear(PQexec(listener.get(), "LISTEN calipso_changes"));

  auto id = *transaction(
      *db, [](Connection& c) -> Result<std::int64_t> { return append_change(c, "content", "9"); });

  std::string payload;
  for (int i = 0; i < 50 && payload.empty(); ++i) {
    pollfd p{PQsocket(listener.get()), POLLIN, 0};
    ::poll(&p, 1, 100);
    PQconsumeInput(listener.get());
    if (PGnotify* n = PQnotifies(listener.get())) {
      payload = n->extra;
      PQfreemem(n);
    }
  }
  EXPECT_EQ(payload, std::to_string(id));
}

}  // namespace
}  // namespace calipso::storage
