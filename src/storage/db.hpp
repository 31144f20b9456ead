// The storage interface both backends serve. SQL is written once with `?` placeholders;
// a backend rewrites them if its dialect needs to (PostgreSQL: $1, $2, ...). Where the
// dialects differ (DDL, full-text search), ask dialect() and pick; keep that in storage/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace calipso::storage {

enum class Dialect { sqlite, postgres };

struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

// Integers are 64-bit; times are stored as integer microseconds since the epoch.
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Blob>;

// A materialised result: small pages of rows are the norm in a CMS.
class Rows {
 public:
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;

  std::size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  int column(std::string_view name) const;  // -1 if absent

  // Typed access; a NULL reads as the empty value. A missing column or row, or a value
  // that cannot be read as the type asked for, is a bug and throws std::out_of_range or
  // DbError (other).
  std::int64_t integer(std::size_t row, std::string_view col) const;
  std::string text(std::string_view col, std::size_t row = 0) const;
  std::string text(std::size_t row, std::string_view col) const { return text(col, row); }
  bool is_null(std::size_t row, std::string_view col) const;
  const Value& at(std::size_t row, std::string_view col) const;
};

// A driver or connection fault: the database went away, a constraint we did not expect,
// bad SQL (a bug). Callers that expect a constraint use try_* and get Result.
class DbError : public std::runtime_error {
 public:
  // full: the disk (or quota) is full; nothing was written.
  enum class Kind { unavailable, constraint, full, other };
  DbError(Kind kind, const std::string& what) : std::runtime_error(what), kind(kind) {}
  Kind kind;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;

  // Runs one statement; throws DbError. Statements are prepared once per connection and
  // cached by their SQL text.
  virtual Rows query(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Returns rows affected.
  virtual std::int64_t exec(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Runs several statements without parameters (migrations).
  virtual void exec_script(std::string_view sql) = 0;

  Rows query(std::string_view sql, std::initializer_list<Value> params) {
    return query(sql, std::span<const Value>(params.begin(), params.size()));
  }
  std::int64_t exec(std::string_view sql, std::initializer_list<Value> params) {
    return exec(sql, std::span<const Value>(params.begin(), params.size()));
  }

  // Transactions. begin(true) takes the write lock at once (SQLite BEGIN IMMEDIATE),
  // which avoids deadlocking upgrades for read-then-write transactions.
  virtual void begin(bool write = true) = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;

  // Serialises migrations between processes for the rest of the current transaction
  // (PostgreSQL: advisory transaction lock; SQLite: the write lock begin() took).
  virtual void lock_migrations() = 0;

  // True when the connection is usable; a pool drops connections that are not.
  virtual bool healthy() = 0;
  // True between begin() and commit()/rollback() (also when the transaction has failed).
  virtual bool in_transaction() = 0;
};

class Db;

// A pooled connection; returns to the pool when destroyed. A handle left inside a
// transaction is rolled back on return. The Db must outlive its handles.
class Handle {
 public:
  Handle(Db* db, std::unique_ptr<Connection> conn) : db_(db), conn_(std::move(conn)) {}
  Handle(Handle&&) noexcept = default;
  // Not defaulted: the connection being replaced must go back to its pool, not be closed.
  Handle& operator=(Handle&& other) noexcept;
  ~Handle();
  Connection* operator->() const { return conn_.get(); }
  Connection& operator*() const { return *conn_; }

 private:
  Db* db_;
  std::unique_ptr<Connection> conn_;
};

struct PoolStats {
  std::size_t size = 0;   // connections open
  std::size_t idle = 0;   // of those, waiting in the pool
  std::size_t waits = 0;  // acquisitions that had to wait, since start
};

class Db {
 public:
  virtual ~Db() = default;
  virtual Dialect dialect() const = 0;
  // Waits for a free connection (opening one when below the pool size); throws DbError
  // (unavailable) when the database cannot be reached.
  virtual Handle acquire() = 0;
  virtual PoolStats stats() const = 0;
  virtual std::string describe() const = 0;  // URL without password, for logs

 protected:
  friend class Handle;
  virtual void release(std::unique_ptr<Connection> conn) = 0;
};

// Opens by URL: sqlite:///abs/path.db (sqlite://relative also accepted), postgresql://...
// Throws DbError with a message naming the URL (password hidden) when it cannot. One
// connection is opened at once so a bad URL fails at start; the rest open on demand up to
// pool_size (0 is taken as 1).
std::unique_ptr<Db> open(const std::string& url, std::size_t pool_size);
// The dialect a database URL names (sqlite:// or postgresql:// / postgres://); nullopt for
// anything else, which open() refuses.
std::optional<Dialect> dialect_of(std::string_view url);

// The URL with any password replaced by "***", for logs and error messages.
std::string redact_url(std::string_view url);

// Runs f inside a transaction on a pooled connection: commits when f returns a value,
// rolls back when it returns an error or throws.
template <class F>
auto transaction(Db& db, F&& f) -> decltype(f(std::declval<Connection&>())) {
  auto conn = db.acquire();
  conn->begin(true);
  try {
    auto result = f(*conn);
    if (result)
      conn->commit();
    else
      conn->rollback();
    return result;
  } catch (...) {
    try {
      conn->rollback();
    } catch (...) {
    }
    throw;
  }
}

// Dialect helpers for SQL that differs.
std::string_view id_column(Dialect d);  // auto-increment 64-bit primary key definition
std::string_view blob_type(Dialect d);  // BLOB / BYTEA
// Replaces {{id}} and {{blob}} in DDL with the dialect's spelling.
std::string ddl(Dialect d, std::string_view sql);

}  // namespace calipso::storage
