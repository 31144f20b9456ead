// PostgreSQL connection: statements prepared once per connection under generated names,
// parameters sent as text (blobs as binary), results read as text and decoded by type OID.
#include "storage/postgres/postgres_db.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>

#include "core/log.hpp"
#include "storage/statement_cache.hpp"

namespace calipso::storage::postgres {

namespace {

// "calipso" in ASCII; the advisory-lock key space is shared with any other user of the
// database, so the key is spelled to be recognisable in pg_locks.
constexpr std::int64_t kMigrationLockKey = 0x63616c6970736fLL;

// Type OIDs from pg_type.h; they are fixed across server versions.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700,
              kFloat8 = 701, kNumeric = 1700;

struct Finish {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct Clear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, Finish>;
using ResultPtr = std::unique_ptr<PGresult, Clear>;

struct Prepared {
  std::string name;
  int params = 0;
};

std::string_view shorten(std::string_view sql) { return sql.size() > 200 ? sql.substr(0, 200) : sql; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  return s;
}

bool ident_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

// End of a '...' or "..." token starting at `i`; a doubled quote is part of the token.
std::size_t skip_quoted(std::string_view sql, std::size_t i, char quote, bool backslash_escapes) {
  for (std::size_t j = i + 1; j < sql.size(); ++j) {
    if (backslash_escapes && sql[j] == '\\') {
      ++j;
    } else if (sql[j] == quote) {
      if (j + 1 < sql.size() && sql[j + 1] == quote)
        ++j;
      else
        return j + 1;
    }
  }
  return sql.size();
}

// PostgreSQL block comments nest.
std::size_t skip_block_comment(std::string_view sql, std::size_t i) {
  int depth = 0;
  for (std::size_t j = i; j + 1 < sql.size(); ++j) {
    if (sql[j] == '/' && sql[j + 1] == '*') {
      ++depth;
      ++j;
    } else if (sql[j] == '*' && sql[j + 1] == '/') {
      ++j;
      if (--depth == 0) return j + 1;
    }
  }
  return sql.size();
}

// End of a $tag$...$tag$ body starting at `i`, or i + 1 when `$` does not open one
// (a $1 parameter, or part of an identifier).
std::size_t skip_dollar_quoted(std::string_view sql, std::size_t i) {
  if (i > 0 && ident_char(sql[i - 1])) return i + 1;
  std::size_t j = i + 1;
  if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) return i + 1;
  while (j < sql.size() && sql[j] != '$' && ident_char(sql[j])) ++j;
  if (j >= sql.size() || sql[j] != '$') return i + 1;
  auto tag = sql.substr(i, j + 1 - i);
  auto close = sql.find(tag, j + 1);
  return close == std::string_view::npos ? sql.size() : close + tag.size();
}

void log_notice(void*, const char* message) { log::debug("postgres: {}", trim(message)); }

double parse_double(std::string_view s) {
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  double d = 0;
  std::from_chars(s.data(), s.data() + s.size(), d);
  return d;
}

Value decode(Oid type, const char* text, int length) {
  std::string_view s(text, static_cast<std::size_t>(length));
  switch (type) {
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      std::int64_t n = 0;
      std::from_chars(s.data(), s.data() + s.size(), n);
      return n;
    }
    case kFloat4:
    case kFloat8:
    case kNumeric: return parse_double(s);
    case kBool: return std::int64_t{s == "t" ? 1 : 0};
    case kBytea: {
      std::size_t n = 0;
      // Handles both the hex and the old escape output format.
      unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
      if (!bytes) throw std::bad_alloc();
      Blob blob{std::string(reinterpret_cast<const char*>(bytes), n)};
      PQfreemem(bytes);
      return blob;
    }
    default: return std::string(s);
  }
}

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(const std::string& url) {
    // dbname comes last so that whatever the URL says overrides these defaults.
    const char* keys[] = {"application_name",
                          "connect_timeout",
                          "keepalives",
                          "keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          "client_encoding",
                          "dbname",
                          nullptr};
    const char* values[] = {"calipso", "5", "1", "30", "10", "3", "UTF8", url.c_str(), nullptr};
    conn_.reset(PQconnectdbParams(keys, values, 1));
    if (!conn_) throw std::bad_alloc();
    if (PQstatus(conn_.get()) != CONNECTION_OK)
      throw DbError(DbError::Kind::unavailable,
                    fmt::format("postgres: {}", trim(PQerrorMessage(conn_.get()))));
    // Without this libpq prints notices ("relation already exists, skipping") on stderr.
    PQsetNoticeProcessor(conn_.get(), log_notice, nullptr);
    // Every statement here is prepared once and run many times with index-friendly keys. Left
    // to itself PostgreSQL re-plans a statement on each run when the generic plan's estimate
    // looks worse than the custom ones (LIMIT/OFFSET and subqueries make it so): measured on
    // the home page list, planning took three times the CPU of running it.
    simple("SET plan_cache_mode = force_generic_plan");
  }

  Dialect dialect() const override { return Dialect::postgres; }

  Rows query(std::string_view sql, std::span<const Value> params) override {
    ResultPtr res = run(sql, params);
    const PGresult* r = res.get();
    Rows rows;
    int fields = PQnfields(r), tuples = PQntuples(r);
    std::vector<Oid> types(static_cast<std::size_t>(fields));
    rows.columns.reserve(types.size());
    for (int c = 0; c < fields; ++c) {
      rows.columns.emplace_back(PQfname(r, c));
      types[static_cast<std::size_t>(c)] = PQftype(r, c);
    }
    rows.rows.reserve(static_cast<std::size_t>(tuples));
    for (int t = 0; t < tuples; ++t) {
      auto& row = rows.rows.emplace_back();
      row.reserve(types.size());
      for (int c = 0; c < fields; ++c) {
        if (PQgetisnull(r, t, c))
          row.emplace_back(nullptr);
        else
          row.push_back(
              decode(types[static_cast<std::size_t>(c)], PQgetvalue(r, t, c), PQgetlength(r, t, c)));
      }
    }
    return rows;
  }

  std::int64_t exec(std::string_view sql, std::span<const Value> params) override {
    ResultPtr res = run(sql, params);
    // A SELECT's tag counts rows read; SQLite reports 0 changed, and so do we.
    if (std::string_view(PQcmdStatus(res.get())).starts_with("SELECT")) return 0;
    std::string_view tuples = PQcmdTuples(res.get());  // empty for statements that count nothing
    std::int64_t n = 0;
    std::from_chars(tuples.data(), tuples.data() + tuples.size(), n);
    return n;
  }

  void exec_script(std::string_view sql) override { simple(std::string(sql)); }

  void begin(bool) override { simple("BEGIN"); }

  void commit() override {
    ResultPtr res = simple("COMMIT");
    // After a failed statement the server answers COMMIT with ROLLBACK and no error.
    if (std::string_view(PQcmdStatus(res.get())) == "ROLLBACK")
      throw DbError(DbError::Kind::other, "postgres: the transaction had failed and was rolled back");
  }

  void rollback() override {
    if (PQstatus(conn_.get()) == CONNECTION_OK && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) return;
    simple("ROLLBACK");
  }

  void lock_migrations() override {
    if (PQtransactionStatus(conn_.get()) != PQTRANS_INTRANS)
      throw DbError(DbError::Kind::other, "postgres: lock_migrations needs an open transaction");
    simple(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockKey));
  }

  bool healthy() override {
    if (broken_ || PQstatus(conn_.get()) != CONNECTION_OK) return false;
    if (PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) return true;
    // Between statements the server sends nothing unasked except, for a terminated backend,
    // its farewell and EOF. libpq notices EOF only on the read after the farewell, hence
    // the loop; it is one poll() when nothing came.
    pollfd socket{PQsocket(conn_.get()), POLLIN, 0};
    for (int reads = 0; reads < 4 && ::poll(&socket, 1, 0) > 0; ++reads)
      if (!PQconsumeInput(conn_.get()) || PQstatus(conn_.get()) != CONNECTION_OK) return false;
    return true;
  }

  bool in_transaction() override {
    auto s = PQtransactionStatus(conn_.get());
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR;
  }

 private:
  // Prepares on first use, then executes. A statement the server no longer accepts
  // (its result type changed after ALTER TABLE, or it was deallocated) is forgotten and,
  // outside a transaction where nothing is lost by it, prepared again once.
  ResultPtr run(std::string_view sql, std::span<const Value> params) {
    for (int attempt = 0;; ++attempt) {
      const Prepared& stmt = prepare(sql);
      if (params.size() != static_cast<std::size_t>(stmt.params))
        throw DbError(DbError::Kind::other, fmt::format("postgres: statement takes {} parameters, got {}: {}",
                                                        stmt.params, params.size(), shorten(sql)));
      ResultPtr res = execute(stmt.name, params, sql);
      if (succeeded(res.get())) return res;
      std::string_view state = sqlstate(res.get());
      if (state == "0A000" || state == "26000") {
        statements_.erase(sql);
        if (attempt == 0 && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) continue;
      }
      fail(res.get(), sql);
    }
  }

  const Prepared& prepare(std::string_view sql) {
    if (auto* cached = statements_.find(sql)) return *cached;
    // DEALLOCATE is not transactional and works inside a transaction; if it fails (the
    // transaction has failed), so would the prepare below, and the cache is untouched.
    if (statements_.full() && succeeded(ResultPtr(PQexec(conn_.get(), "DEALLOCATE ALL")).get()))
      statements_.clear();
    int count = 0;
    std::string text = rewrite_placeholders(sql, &count);
    // Names are never reused, so a prepare that failed half-way cannot collide later.
    std::string name = fmt::format("calipso_{}", ++statement_counter_);
    ResultPtr res(PQprepare(conn_.get(), name.c_str(), text.c_str(), 0, nullptr));
    if (!succeeded(res.get())) fail(res.get(), sql);
    return statements_.insert(sql, Prepared{std::move(name), count});
  }

  ResultPtr execute(const std::string& name, std::span<const Value> params, std::string_view sql) {
    std::size_t n = params.size();
    std::vector<std::string> texts(n);
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0), formats(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
              texts[i] = fmt::format("{}", x);  // shortest text that reads back exactly
              values[i] = texts[i].c_str();
            } else if constexpr (std::is_same_v<T, std::string>) {
              if (std::memchr(x.data(), '\0', x.size()))
                throw DbError(
                    DbError::Kind::other,
                    fmt::format("postgres: text parameter {} holds a NUL byte: {}", i + 1, shorten(sql)));
              values[i] = x.c_str();
            } else if constexpr (std::is_same_v<T, Blob>) {
              values[i] = x.bytes.data();
              lengths[i] = static_cast<int>(x.bytes.size());
              formats[i] = 1;
            }
          },
          params[i]);
    }
    return ResultPtr(PQexecPrepared(conn_.get(), name.c_str(), static_cast<int>(n), values.data(),
                                    lengths.data(), formats.data(), 0));
  }

  ResultPtr simple(const std::string& sql) {
    ResultPtr res(PQexec(conn_.get(), sql.c_str()));
    if (!succeeded(res.get())) fail(res.get(), sql);
    return res;
  }

  static bool succeeded(const PGresult* res) {
    if (!res) return false;
    auto s = PQresultStatus(res);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY;
  }

  static std::string_view sqlstate(const PGresult* res) {
    const char* s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    return s ? s : "";
  }

  [[noreturn]] void fail(const PGresult* res, std::string_view sql) {
    std::string_view state = sqlstate(res);
    std::string_view message = res ? PQresultErrorMessage(res) : "";
    if (message.empty()) message = PQerrorMessage(conn_.get());
    DbError::Kind kind = DbError::Kind::other;
    // 08: connection exception; 57P01-03: the server is shutting down or restarting.
    // Errors libpq raises itself carry no SQLSTATE; a lost socket shows in PQstatus.
    if (PQstatus(conn_.get()) != CONNECTION_OK || state.starts_with("08") || state.starts_with("57P")) {
      broken_ = true;
      kind = DbError::Kind::unavailable;
    } else if (state.starts_with("23")) {
      kind = DbError::Kind::constraint;
    } else if (state == "53100") {  // disk_full
      kind = DbError::Kind::full;
    } else if (state.starts_with("53")) {  // out of memory or connections
      kind = DbError::Kind::unavailable;
    }
    throw DbError(
        kind, fmt::format("postgres: {} [{}]: {}", trim(message), state.empty() ? "-" : state, shorten(sql)));
  }

  ConnPtr conn_;
  StatementCache<Prepared> statements_;
  std::uint64_t statement_counter_ = 0;
  bool broken_ = false;
};

}  // namespace

std::string rewrite_placeholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    std::size_t end = i + 1;  // the verbatim token is [i, end)
    if (c == '?') {
      fmt::format_to(std::back_inserter(out), "${}", ++n);
      ++i;
      continue;
    }
    if (c == '\'') {
      // E'...' strings take backslash escapes, so \' does not end them.
      bool escapes = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !ident_char(sql[i - 2]));
      end = skip_quoted(sql, i, '\'', escapes);
    } else if (c == '"') {
      end = skip_quoted(sql, i, '"', false);
    } else if (c == '-' && next == '-') {
      end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
    } else if (c == '/' && next == '*') {
      end = skip_block_comment(sql, i);
    } else if (c == '$') {
      end = skip_dollar_quoted(sql, i);
    }
    out.append(sql.substr(i, end - i));
    i = end;
  }
  if (count) *count = n;
  return out;
}

std::unique_ptr<Connection> connect(const std::string& url) {
  return std::make_unique<PostgresConnection>(url);
}

}  // namespace calipso::storage::postgres
