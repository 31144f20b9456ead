// SQLite backend: one sqlite3 handle per pooled Connection, in WAL mode so readers never
// block the single writer. Not for network file systems (WAL needs shared memory).
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "storage/db.hpp"

namespace calipso::storage::sqlite {

// sqlite:///abs/path.db, or sqlite://relative/path.db resolved against the current
// directory now, so a later chdir does not move the database. The path is taken literally.
std::filesystem::path path_from_url(std::string_view url);

// Opens (creating the file and its directory when missing) and configures one connection:
// WAL, synchronous=NORMAL, busy_timeout 5 s, foreign keys on. Throws DbError.
std::unique_ptr<Connection> connect(const std::filesystem::path& path);

}  // namespace calipso::storage::sqlite
