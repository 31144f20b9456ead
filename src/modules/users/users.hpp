// Users, roles and API tokens: who may do what. Passwords are argon2id (libsodium);
// API tokens are random and stored only as their SHA-256 digest.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/principal.hpp"
#include "http/middleware.hpp"
#include "modules/module.hpp"

namespace calipso::modules::users {

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string name;
  std::vector<std::string> roles;
  std::int64_t created_us = 0;
};

class UserService {
 public:
  explicit UserService(storage::Db& db) : db_(db) {}

  // Validates email (shape, unique), password (8+ characters) and role (must exist).
  Result<User> create(const std::string& email, const std::string& password, const std::string& role,
                      const std::string& name = {});
  Result<User> find_by_email(const std::string& email);
  Result<User> find(std::int64_t id);

  // Returns the token in clear; only its digest is stored.
  Result<std::string> create_token(const std::string& email, const std::string& label = "cli");
  // The principal a bearer token stands for, or Errc::unauthorized.
  Result<core::Principal> authenticate_token(std::string_view token);

  // Role names known to the database.
  std::vector<std::string> role_names();

 private:
  Result<core::Principal> principal_for(storage::Connection& conn, const User& user, std::string via);
  storage::Db& db_;
};

std::string hash_password(const std::string& password);
bool verify_password(const std::string& hash, const std::string& password);

class UsersModule : public Module {
 public:
  std::string_view name() const override { return "users"; }
  std::vector<storage::Migration> migrations() const override;
  std::vector<std::string> permissions() const override { return {"users.manage", "settings.manage"}; }
  void attach(Context& ctx) override;

  UserService& service() { return *service_; }
  // The auth step of the middleware chain: sets req.principal from a bearer token. A
  // token that is present but wrong is refused with 401 at once.
  http::Middleware auth_middleware();

 private:
  std::unique_ptr<UserService> service_;
};

}  // namespace calipso::modules::users
