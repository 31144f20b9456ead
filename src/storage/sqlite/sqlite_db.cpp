// SQLite connection: statements are prepared once per connection (SQLITE_PREPARE_PERSISTENT)
// and reset after each use, so the steady state does no parsing.
#include "storage/sqlite/sqlite_db.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "core/log.hpp"
#include "storage/statement_cache.hpp"

namespace calipso::storage::sqlite {

namespace {

constexpr int kBusyTimeoutMs = 5000;

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct Finalize {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, Finalize>;

DbError::Kind kind_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return DbError::Kind::constraint;
    // BUSY and LOCKED reach us only once busy_timeout has run out.
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR: return DbError::Kind::unavailable;
    case SQLITE_FULL: return DbError::Kind::full;
    default: return DbError::Kind::other;
  }
}

// After these the handle may be in a state we cannot reason about; the pool opens a new one.
bool breaks_connection(int rc) {
  switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN: return true;
    default: return false;
  }
}

std::string_view shorten(std::string_view sql) { return sql.size() > 200 ? sql.substr(0, 200) : sql; }

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(const std::filesystem::path& path) {
    sqlite3* raw = nullptr;
    // NOMUTEX: a pooled connection is used by one thread at a time.
    int rc = sqlite3_open_v2(path.c_str(), &raw,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK)
      throw DbError(DbError::Kind::unavailable, fmt::format("sqlite: cannot open {}: {}", path.string(),
                                                            raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    sqlite3_extended_result_codes(raw, 1);
    // Before the pragmas: switching to WAL needs a lock another starting process may hold.
    sqlite3_busy_timeout(raw, kBusyTimeoutMs);
    // A file system without shared memory support leaves the old mode in place; say so,
    // since readers will then block the writer.
    auto mode = switch_to_wal();
    if (mode != "wal") log::warn("sqlite: {} stays in journal mode {}, not WAL", path.string(), mode);
    exec_script("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  }

  Dialect dialect() const override { return Dialect::sqlite; }

  // WAL is stored in the file, so usually it is already on. When several processes open a
  // new file at once, the switch can fail with SQLITE_BUSY without the busy handler being
  // consulted (SQLite avoids it there to prevent deadlocks), so retry for the busy timeout.
  std::string switch_to_wal() {
    auto current = query("PRAGMA journal_mode", {}).text("journal_mode");
    if (current == "wal") return current;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    while (true) {
      try {
        return query("PRAGMA journal_mode=WAL", {}).text("journal_mode");
      } catch (const DbError& e) {
        // BUSY and LOCKED map to unavailable (as do I/O faults, which a retry cannot hurt).
        if (e.kind != DbError::Kind::unavailable || std::chrono::steady_clock::now() > deadline) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }

  Rows query(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* stmt = prepare(sql);
    Reset reset{stmt};
    bind(stmt, sql, params);
    Rows rows;
    int n = sqlite3_column_count(stmt);
    rows.columns.reserve(static_cast<std::size_t>(n));
    for (int c = 0; c < n; ++c) rows.columns.emplace_back(sqlite3_column_name(stmt, c));
    while (step(stmt, sql)) {
      auto& row = rows.rows.emplace_back();
      row.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) row.push_back(column(stmt, c));
    }
    return rows;
  }

  std::int64_t exec(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* stmt = prepare(sql);
    Reset reset{stmt};
    bind(stmt, sql, params);
    // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, so a statement
    // that changed nothing (DDL, SELECT) would report someone else's count.
    auto before = sqlite3_total_changes64(db_.get());
    while (step(stmt, sql)) {
    }
    return sqlite3_total_changes64(db_.get()) == before ? 0 : sqlite3_changes64(db_.get());
  }

  void exec_script(std::string_view sql) override {
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      std::string what = message ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      fail(rc, what, sql);
    }
  }

  void begin(bool write) override {
    exec(write ? "BEGIN IMMEDIATE" : "BEGIN", {});
    write_transaction_ = write;
  }
  void commit() override { exec("COMMIT", {}); }
  void rollback() override {
    // SQLite rolls back by itself after some errors (disk full, I/O); nothing is left to undo.
    if (sqlite3_get_autocommit(db_.get())) return;
    exec("ROLLBACK", {});
  }

  void lock_migrations() override {
    // There is one writer per database file: the write lock BEGIN IMMEDIATE took is the lock.
    if (!in_transaction() || !write_transaction_)
      throw DbError(DbError::Kind::other,
                    "sqlite: lock_migrations needs a transaction begun with begin(true)");
  }

  bool healthy() override { return db_ && !broken_; }
  bool in_transaction() override { return !sqlite3_get_autocommit(db_.get()); }

 private:
  struct Reset {
    sqlite3_stmt* stmt;
    ~Reset() {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
  };

  sqlite3_stmt* prepare(std::string_view sql) {
    if (auto* cached = statements_.find(sql)) return cached->get();
    if (statements_.full()) statements_.clear();  // no statement is in use between calls
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) fail(rc, sqlite3_errmsg(db_.get()), sql);
    if (!stmt) throw DbError(DbError::Kind::other, fmt::format("sqlite: empty statement: {}", shorten(sql)));
    if (has_statement(std::string_view(tail, sql.data() + sql.size() - tail)))
      throw DbError(
          DbError::Kind::other,
          fmt::format("sqlite: several statements in one query (use exec_script): {}", shorten(sql)));
    return statements_.insert(sql, std::move(stmt)).get();
  }

  // Whether text after the first statement is more than blanks and comments; text that
  // does not even parse counts, or it would be silently ignored.
  bool has_statement(std::string_view rest) {
    if (rest.find_first_not_of(" \t\r\n;") == std::string_view::npos) return false;
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), rest.data(), static_cast<int>(rest.size()), &raw, nullptr);
    StmtPtr stmt(raw);
    return rc != SQLITE_OK || stmt != nullptr;
  }

  void bind(sqlite3_stmt* stmt, std::string_view sql, std::span<const Value> params) {
    int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<std::size_t>(expected) != params.size())
      throw DbError(DbError::Kind::other, fmt::format("sqlite: statement takes {} parameters, got {}: {}",
                                                      expected, params.size(), shorten(sql)));
    for (int i = 1; i <= expected; ++i) {
      const Value& v = params[static_cast<std::size_t>(i - 1)];
      // SQLITE_STATIC: the values outlive the statement's use; Reset clears the bindings.
      int rc = std::visit(
          [&](const auto& x) -> int {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>)
              return sqlite3_bind_null(stmt, i);
            else if constexpr (std::is_same_v<T, std::int64_t>)
              return sqlite3_bind_int64(stmt, i, x);
            else if constexpr (std::is_same_v<T, double>)
              return sqlite3_bind_double(stmt, i, x);
            else if constexpr (std::is_same_v<T, std::string>)
              return sqlite3_bind_text64(stmt, i, x.data(), x.size(), SQLITE_STATIC, SQLITE_UTF8);
            else  // data() is never null, so an empty blob binds as a blob, not as NULL
              return sqlite3_bind_blob64(stmt, i, x.bytes.data(), x.bytes.size(), SQLITE_STATIC);
          },
          v);
      if (rc != SQLITE_OK) fail(rc, sqlite3_errmsg(db_.get()), sql);
    }
  }

  // True while there is a row to read.
  bool step(sqlite3_stmt* stmt, std::string_view sql) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(rc, sqlite3_errmsg(db_.get()), sql);
  }

  static Value column(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER: return static_cast<std::int64_t>(sqlite3_column_int64(stmt, c));
      case SQLITE_FLOAT: return sqlite3_column_double(stmt, c);
      case SQLITE_TEXT: {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
      }
      case SQLITE_BLOB: {
        auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, c));
        return Blob{n ? std::string(p, n)
                      : std::string()};  // a zero-length blob comes back as a null pointer
      }
      default: return nullptr;
    }
  }

  [[noreturn]] void fail(int rc, std::string_view message, std::string_view sql) {
    if (breaks_connection(rc)) broken_ = true;
    throw DbError(kind_of(rc), fmt::format("sqlite: {} ({}): {}", message, rc, shorten(sql)));
  }

  std::unique_ptr<sqlite3, CloseDb> db_;
  // Declared after db_ so statements are finalized before the handle closes.
  StatementCache<StmtPtr> statements_;
  bool write_transaction_ = false;
  bool broken_ = false;
};

}  // namespace

std::filesystem::path path_from_url(std::string_view url) {
  std::string_view rest = url.substr(std::string_view("sqlite://").size());
  if (rest.empty() || rest == "/")
    throw DbError(DbError::Kind::other, fmt::format("no file path in database URL {}", url));
  return std::filesystem::absolute(std::filesystem::path(rest)).lexically_normal();
}

std::unique_ptr<Connection> connect(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    throw DbError(DbError::Kind::unavailable, fmt::format("sqlite: cannot create directory {}: {}",
                                                          path.parent_path().string(), ec.message()));
  return std::make_unique<SqliteConnection>(path);
}

}  // namespace calipso::storage::sqlite
