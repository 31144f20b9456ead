// Migration runner. Each migration runs in its own write transaction under the migration
// lock and is checked again under that lock, so nodes starting together apply it once.
#include "storage/migrations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/log.hpp"
#include "core/random.hpp"

namespace calipso::storage {

namespace {

using Applied = std::map<std::string, std::set<std::int64_t>, std::less<>>;

void validate(const std::vector<ModuleMigrations>& all) {
  std::set<std::string_view> modules;
  for (auto& m : all) {
    if (m.module.empty()) throw MigrationError(m.module, 0, "migrations given for a module without a name");
    if (!modules.insert(m.module).second)
      throw MigrationError(m.module, 0, fmt::format("migrations of module {} are given twice", m.module));
    int previous = 0;
    for (auto& mig : m.migrations) {
      if (mig.version <= previous)
        throw MigrationError(m.module, mig.version,
                             fmt::format("migration {} {} follows version {}: versions must be positive and "
                                         "strictly increasing",
                                         m.module, mig.version, previous));
      if (mig.sql.empty() && !mig.run)
        throw MigrationError(
            m.module, mig.version,
            fmt::format("migration {} {} has neither SQL nor a function", m.module, mig.version));
      previous = mig.version;
    }
  }
}

// Creates the bookkeeping table (under the lock: concurrent CREATE TABLE IF NOT EXISTS can
// still collide on PostgreSQL) and reads what is applied.
Applied read_applied(Db& db) {
  auto rows = transaction(db, [](Connection& c) -> Result<Rows> {
    c.lock_migrations();
    c.exec_script(
        fmt::format("CREATE TABLE IF NOT EXISTS {} (module TEXT NOT NULL, version INTEGER NOT NULL, "
                    "description TEXT NOT NULL, applied_us BIGINT NOT NULL, PRIMARY KEY (module, version))",
                    kMigrationsTable));
    return c.query(fmt::format("SELECT module, version FROM {}", kMigrationsTable));
  });
  Applied applied;
  for (std::size_t i = 0; i < rows->size(); ++i)
    applied[rows->text(i, "module")].insert(rows->integer(i, "version"));
  return applied;
}

void warn_unknown(const Applied& applied, const std::vector<ModuleMigrations>& all) {
  for (auto& [module, versions] : applied) {
    auto known = std::find_if(all.begin(), all.end(), [&](auto& m) { return m.module == module; });
    if (known == all.end()) {
      log::debug("database has migrations of module {}, which is not loaded", module);
      continue;
    }
    for (auto v : versions) {
      bool found = std::any_of(known->migrations.begin(), known->migrations.end(),
                               [&](auto& mig) { return mig.version == v; });
      if (!found)
        log::warn(
            "database has migration {} {}, which this binary does not know: the database is newer "
            "than the binary",
            module, v);
    }
  }
}

// True when this call applied it, false when another node had.
bool apply(Db& db, const std::string& module, const Migration& mig) {
  Result<bool> outcome;
  try {
    outcome = transaction(db, [&](Connection& c) -> Result<bool> {
      c.lock_migrations();
      auto later = c.query(fmt::format("SELECT version FROM {} WHERE module = ? AND version >= ? "
                                       "ORDER BY version LIMIT 1",
                                       kMigrationsTable),
                           {module, std::int64_t{mig.version}});
      if (!later.empty()) {
        if (later.integer(0, "version") == mig.version) return false;
        return fail(Errc::conflict, fmt::format("version {} is already applied; a migration cannot be added "
                                                "below it",
                                                later.integer(0, "version")));
      }
      if (mig.run)
        mig.run(c);
      else
        c.exec_script(ddl(c.dialect(), mig.sql));
      c.exec(fmt::format("INSERT INTO {} (module, version, description, applied_us) VALUES (?, ?, ?, ?)",
                         kMigrationsTable),
             {module, std::int64_t{mig.version}, mig.description, core::now_us()});
      return true;
    });
  } catch (const std::exception& e) {
    throw MigrationError(
        module, mig.version,
        fmt::format("migration {} {} ({}) failed: {}", module, mig.version, mig.description, e.what()));
  }
  if (!outcome)
    throw MigrationError(module, mig.version,
                         fmt::format("migration {} {} ({}): {}", module, mig.version, mig.description,
                                     outcome.error().message));
  if (*outcome) log::info("applied migration {} {}: {}", module, mig.version, mig.description);
  return *outcome;
}

}  // namespace

int migrate(Db& db, const std::vector<ModuleMigrations>& all) {
  validate(all);
  Applied applied;
  try {
    applied = read_applied(db);
  } catch (const std::exception& e) {
    throw MigrationError("", 0, fmt::format("cannot read applied migrations: {}", e.what()));
  }
  warn_unknown(applied, all);
  int ran = 0;
  for (auto& m : all) {
    auto it = applied.find(m.module);
    for (auto& mig : m.migrations) {
      if (it != applied.end() && it->second.contains(mig.version)) continue;
      if (apply(db, m.module, mig)) ++ran;
    }
  }
  return ran;
}

}  // namespace calipso::storage
