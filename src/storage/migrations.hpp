// Numbered migrations per module, applied at start or by `calipso migrate`, each in its
// own transaction under the migration lock, so several nodes starting at once are safe:
// the first applies, the others find the work done.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/db.hpp"

namespace calipso::storage {

struct Migration {
  int version = 0;  // per module, 1, 2, 3, ...; never renumber a released one
  std::string description;
  std::string sql;  // DDL with {{id}}/{{blob}} tokens (see ddl()); may hold several statements
  std::function<void(Connection&)> run;  // instead of sql, for data migrations
};

struct ModuleMigrations {
  std::string module;
  std::vector<Migration> migrations;
};

// A migration that cannot be applied, or a list of migrations that is not valid.
class MigrationError : public std::runtime_error {
 public:
  MigrationError(std::string module, int version, const std::string& what)
      : std::runtime_error(what), module(std::move(module)), version(version) {}
  std::string module;
  int version;
};

// Applies what is missing, in the order given (dependency order); returns how many ran.
// Throws MigrationError on failure with the module, version and database message, and
// before touching the database when a module's versions are not positive and strictly
// increasing. A module missing a version below one already applied (a migration inserted into
// released history) is refused too. Versions the database has but the binary does not know
// (an older binary during a rolling upgrade) are logged as a warning, not refused: the
// schema is expected to stay compatible with the previous release.
int migrate(Db& db, const std::vector<ModuleMigrations>& all);

// Name of the table that records applied migrations: (module, version, description, applied_us).
inline constexpr std::string_view kMigrationsTable = "schema_migrations";

}  // namespace calipso::storage
