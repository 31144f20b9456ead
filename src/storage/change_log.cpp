// Change log writes and reads (DESIGN.md §4.2) and the core's own tables.
#include "storage/change_log.hpp"

#include <boost/json/serialize.hpp>

#include "core/random.hpp"

namespace calipso::storage {

namespace {
// "calchg" in ASCII; distinct from the migration lock's key.
constexpr std::int64_t kAppendLockKey = 0x63616c636867LL;
}  // namespace

std::int64_t append_change(Connection& conn, std::string_view kind, std::string_view key,
                           const boost::json::value& payload) {
  bool postgres = conn.dialect() == Dialect::postgres;
  // Readers tail by "id > last seen", so ids must become visible in id order. PostgreSQL
  // hands out identity values at insert but makes them visible at commit, in any order: a
  // reader could see 8 before 7 commits and skip 7 for ever. Serialising appenders until
  // their commit closes that gap; SQLite has a single writer anyway.
  if (postgres) conn.exec("SELECT pg_advisory_xact_lock(?)", {kAppendLockKey});
  Value body = payload.is_null() ? Value(nullptr) : Value(boost::json::serialize(payload));
  auto rows =
      conn.query("INSERT INTO change_log (kind, key, payload, created_us) VALUES (?, ?, ?, ?) RETURNING id",
                 {std::string(kind), std::string(key), std::move(body), core::now_us()});
  std::int64_t id = rows.integer(0, "id");
  if (postgres) conn.exec("SELECT pg_notify('calipso_changes', ?)", {std::to_string(id)});
  return id;
}

std::vector<Change> changes_since(Connection& conn, std::int64_t after_id, int limit) {
  auto rows =
      conn.query("SELECT id, kind, key, payload, created_us FROM change_log WHERE id > ? ORDER BY id LIMIT ?",
                 {after_id, std::int64_t{limit}});
  std::vector<Change> out;
  out.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    out.push_back(Change{rows.integer(i, "id"), rows.text(i, "kind"), rows.text(i, "key"),
                         rows.text(i, "payload"), rows.integer(i, "created_us")});
  return out;
}

std::int64_t last_change_id(Connection& conn) {
  return conn.query("SELECT COALESCE(MAX(id), 0) AS id FROM change_log").integer(0, "id");
}

std::vector<Migration> core_migrations() {
  std::vector<Migration> out(1);
  Migration& tables = out[0];
  tables.version = 1;
  tables.description = "change log and site settings";
  tables.sql = R"(
CREATE TABLE change_log (
  id {{id}},
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  payload TEXT,
  created_us BIGINT NOT NULL
);
-- The pruning job deletes by age.
CREATE INDEX change_log_created_us ON change_log (created_us);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL, -- JSON
  updated_us BIGINT NOT NULL
);
)";
  return out;
}

}  // namespace calipso::storage
