// Site settings stored in the database: the top configuration layer for site.* keys,
// editable at runtime (PATCH /api/v1/settings) and applied on every node via the change log.
#pragma once

#include <boost/json/object.hpp>

#include "core/config.hpp"
#include "core/principal.hpp"
#include "http/router.hpp"
#include "storage/db.hpp"

namespace calipso::app {

// All stored settings as a nested object, e.g. {"site":{"name":"…"}}.
boost::json::object load_settings(storage::Db& db);

// Validates every key against the schema (site settings only), stores them and appends a
// "config" change in one transaction. Nothing is stored when any key is refused.
Result<void> save_settings(storage::Db& db, const core::ConfigSchema& schema,
                           const boost::json::object& patch);

// GET/PATCH /api/v1/settings.
void add_settings_routes(http::Router& router, storage::Db& db, core::ConfigStore& config);

}  // namespace calipso::app
