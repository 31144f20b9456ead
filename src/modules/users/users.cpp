#include "modules/users/users.hpp"

#include <sodium.h>

#include <boost/json.hpp>

#include "core/random.hpp"
#include "http/errors.hpp"
#include "storage/change_log.hpp"

namespace calipso::modules::users {
namespace json = boost::json;
using storage::Value;

std::string hash_password(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::runtime_error("argon2id: out of memory");
  return out;
}

bool verify_password(const std::string& hash, const std::string& password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

namespace {

std::vector<std::string> split_roles(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

User user_from(const storage::Rows& rows, std::size_t i = 0) {
  return User{rows.integer(i, "id"), rows.text(i, "email"), rows.text(i, "name"),
              split_roles(rows.text(i, "roles")), rows.integer(i, "created_us")};
}

bool plausible_email(const std::string& email) {
  auto at = email.find('@');
  if (at == std::string::npos || at == 0 || at != email.rfind('@') || email.size() > 254) return false;
  auto domain = email.substr(at + 1);
  if (domain.empty() || domain.front() == '.' || domain.back() == '.') return false;
  for (unsigned char c : email)
    if (c <= ' ' || c == 0x7f) return false;
  return domain.find('.') != std::string::npos || domain == "localhost";
}

constexpr const char* kUserColumns = "id, email, name, roles, created_us";

}  // namespace

std::vector<std::string> UserService::role_names() {
  auto conn = db_.acquire();
  auto rows = conn->query("SELECT name FROM roles ORDER BY name");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(rows.text(i, "name"));
  return out;
}

Result<User> UserService::create(const std::string& email_in, const std::string& password,
                                 const std::string& role, const std::string& name) {
  std::string email = email_in;
  for (auto& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Validation v;
  if (!plausible_email(email)) v.add("email", "is not a valid email address");
  if (password.size() < 8) v.add("password", "must be at least 8 characters");
  if (password.size() > 1024) v.add("password", "must be at most 1024 characters");
  auto roles = role_names();
  if (std::find(roles.begin(), roles.end(), role) == roles.end())
    v.add("role", "must be one of: " + join(roles));
  if (!v.ok()) return fail(v.error());

  auto hash = hash_password(password);  // slow on purpose: outside the transaction
  std::string display = name.empty() ? email.substr(0, email.find('@')) : name;
  return storage::transaction(db_, [&](storage::Connection& c) -> Result<User> {
    if (!c.query("SELECT id FROM users WHERE email = ?", {email}).empty())
      return fail(Errc::conflict, "a user with this email already exists", "email");
    auto now = core::now_us();
    auto rows = c.query(
        "INSERT INTO users (email, name, password_hash, roles, created_us, updated_us) VALUES (?, ?, ?, ?, "
        "?, ?) "
        "RETURNING id, email, name, roles, created_us",
        {email, display, hash, role, now, now});
    auto user = user_from(rows);
    storage::append_change(c, "user", std::to_string(user.id));
    return user;
  });
}

Result<User> UserService::find_by_email(const std::string& email_in) {
  std::string email = email_in;
  for (auto& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto conn = db_.acquire();
  auto rows = conn->query(std::string("SELECT ") + kUserColumns + " FROM users WHERE email = ?", {email});
  if (rows.empty()) return fail(Errc::not_found, "no user with email " + email, "email");
  return user_from(rows);
}

Result<User> UserService::find(std::int64_t id) {
  auto conn = db_.acquire();
  auto rows = conn->query(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?", {id});
  if (rows.empty()) return fail(Errc::not_found, "no such user");
  return user_from(rows);
}

Result<std::string> UserService::create_token(const std::string& email, const std::string& label) {
  auto user = find_by_email(email);
  if (!user) return fail(user.error());
  auto token = "cal_" + core::random_token(32);
  auto conn = db_.acquire();
  conn->exec("INSERT INTO api_tokens (user_id, token_hash, label, created_us) VALUES (?, ?, ?, ?)",
             {user->id, core::sha256_hex(token), label, core::now_us()});
  return token;
}

Result<core::Principal> UserService::principal_for(storage::Connection& conn, const User& user,
                                                   std::string via) {
  core::Principal p{user.id, user.email, user.name, user.roles, {}, std::move(via)};
  for (auto& role : user.roles) {
    auto rows = conn.query("SELECT permissions FROM roles WHERE name = ?", {role});
    if (rows.empty()) continue;
    auto perms = json::parse(rows.text("permissions"));
    for (auto& perm : perms.as_array()) p.permissions.emplace_back(perm.as_string());
  }
  return p;
}

Result<core::Principal> UserService::authenticate_token(std::string_view token) {
  if (token.empty() || token.size() > 200) return fail(Errc::unauthorized, "invalid API token");
  auto conn = db_.acquire();
  auto rows = conn->query(
      "SELECT u.id, u.email, u.name, u.roles, u.created_us FROM api_tokens t JOIN users u ON u.id = "
      "t.user_id "
      "WHERE t.token_hash = ?",
      {core::sha256_hex(token)});
  if (rows.empty()) return fail(Errc::unauthorized, "invalid API token");
  return principal_for(*conn, user_from(rows), "token");
}

std::vector<storage::Migration> UsersModule::migrations() const {
  storage::Migration m1;
  m1.version = 1;
  m1.description = "users, roles, api tokens";
  m1.sql = R"(
CREATE TABLE users (
  id {{id}},
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  roles TEXT NOT NULL,
  created_us BIGINT NOT NULL,
  updated_us BIGINT NOT NULL
);
CREATE TABLE roles (
  name TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  permissions TEXT NOT NULL
);
CREATE TABLE api_tokens (
  id {{id}},
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  created_us BIGINT NOT NULL
);
INSERT INTO roles (name, label, permissions) VALUES
  ('administrator', 'Administrator', '["*"]'),
  ('editor', 'Editor', '["content.create","content.edit.own","content.edit.any","content.delete.own","content.delete.any","content.publish"]'),
  ('author', 'Author', '["content.create","content.edit.own","content.delete.own","content.publish"]');
)";
  return {m1};
}

void UsersModule::attach(Context& ctx) { service_ = std::make_unique<UserService>(ctx.db); }

http::Middleware UsersModule::auth_middleware() {
  return [this](http::Request& req, const http::Next& next) -> http::Response {
    auto header = req.headers.get("Authorization");
    if (header) {
      std::string_view h = *header;
      if (h.size() < 7 || !http::iequals(h.substr(0, 7), "Bearer "))
        return http::error_response(req,
                                    Error{Errc::unauthorized, "use Authorization: Bearer <token>", "", {}});
      auto principal = service_->authenticate_token(h.substr(7));
      if (!principal) {
        auto res = http::error_response(req, principal.error());
        res.headers.set("WWW-Authenticate", "Bearer");
        return res;
      }
      req.principal = std::move(*principal);
    }
    return next(req);
  };
}

}  // namespace calipso::modules::users
