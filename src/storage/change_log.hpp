// The change log (DESIGN.md §4.2): every write that other nodes must see appends a row in
// the same transaction. Nodes tail it to reload config, invalidate caches and so on.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "storage/db.hpp"
#include "storage/migrations.hpp"

namespace calipso::storage {

struct Change {
  std::int64_t id = 0;
  std::string kind;     // "content", "config", "user", "module", "theme", ...
  std::string key;      // what changed, e.g. the content id
  std::string payload;  // JSON text, may be empty
  std::int64_t created_us = 0;
};

// Must be called inside the transaction that makes the change. On PostgreSQL it also
// sends NOTIFY calipso_changes, delivered at commit, and takes a transaction-scoped lock
// that serialises appenders until they commit, so ids become visible in id order (a tailer
// would otherwise skip an id that commits after a larger one). Call it last in the
// transaction: what the transaction does after it waits in line with every other writer.
std::int64_t append_change(Connection& conn, std::string_view kind, std::string_view key,
                           const boost::json::value& payload = nullptr);

// Changes after `after_id`, oldest first, at most `limit`.
std::vector<Change> changes_since(Connection& conn, std::int64_t after_id, int limit = 1000);
std::int64_t last_change_id(Connection& conn);

// The core's own tables (change_log, settings); registered as module "core".
std::vector<Migration> core_migrations();

}  // namespace calipso::storage
