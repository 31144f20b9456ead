// PostgreSQL backend over raw libpq: one PGconn per pooled Connection. SQL keeps the
// portable `?` placeholders and is rewritten to $1..$n once, when first prepared.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "storage/db.hpp"

namespace calipso::storage::postgres {

// Opens one connection (application_name=calipso, connect_timeout 5 s, TCP keepalives,
// UTF-8); settings in the URL win. Throws DbError (unavailable).
std::unique_ptr<Connection> connect(const std::string& url);

// `?` becomes $1, $2, ... except inside '...' and E'...' strings, "..." identifiers,
// $tag$...$tag$ bodies and -- or /* */ comments. PostgreSQL's jsonb operators spelled `?`,
// `?|`, `?&` therefore cannot be written; use jsonb_exists() and friends. `count`, when
// given, receives the number of placeholders.
std::string rewrite_placeholders(std::string_view sql, int* count = nullptr);

}  // namespace calipso::storage::postgres
