// Numbered migrations per module, applied at start or by `calipso migrate`, each in its
// own transaction under the migration lock, so several nodes starting at once are safe:
// the first applies, the others find the work done.
#pragma once

#include <functional>
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

// Applies what is missing, in the order given (dependency order); returns how many ran.
// Throws on failure with the module, version and database message.
int migrate(Db& db, const std::vector<ModuleMigrations>& all);

}  // namespace calipso::storage
