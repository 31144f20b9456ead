// Test support for *_test.cpp: a fresh database per test, a temporary SQLite file or a
// throwaway schema on CALIPSO_TEST_PG_URL (see tests/support/with-postgres.sh).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "storage/db.hpp"

namespace calipso::storage::testing {

enum class Backend { sqlite, postgres };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "sqlite" : "postgres";
}

inline std::string postgres_url() {
  const char* url = std::getenv("CALIPSO_TEST_PG_URL");
  return url ? url : "";
}

inline bool postgres_required() {
  const char* flag = std::getenv("CALIPSO_TEST_REQUIRE_PG");
  return flag && std::string_view(flag) == "1";
}

inline std::string random_suffix() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> dist;
  return fmt::format("{:016x}", dist(rd));
}

// One fresh database; removed again on destruction (close every Db on it first).
class TestDatabase {
 public:
  explicit TestDatabase(Backend backend) : backend_(backend) {
    if (backend == Backend::sqlite) {
      dir_ = std::filesystem::temp_directory_path() / ("calipso-test-" + random_suffix());
      url_ = "sqlite://" + (dir_ / "test.db").string();
    } else {
      std::string base = postgres_url();
      schema_ = "calipso_test_" + random_suffix();
      admin_ = open(base, 1);
      admin_->acquire()->exec_script("CREATE SCHEMA " + schema_);
      // Every connection of the test lands in its own schema, tables and all.
      url_ =
          base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" + schema_;
    }
  }
  ~TestDatabase() {
    if (backend_ == Backend::sqlite) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    } else if (admin_) {
      try {
        admin_->acquire()->exec_script("DROP SCHEMA " + schema_ + " CASCADE");
      } catch (const std::exception& e) {
        ADD_FAILURE() << "dropping test schema: " << e.what();
      }
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  Backend backend_;
  std::string url_;
  std::filesystem::path dir_;  // SQLite
  std::string schema_;         // PostgreSQL
  std::unique_ptr<Db> admin_;
};

// Gives each test a fresh database and `db`, a pool of 4 on it. Without CALIPSO_TEST_PG_URL
// PostgreSQL tests are skipped, or fail when CALIPSO_TEST_REQUIRE_PG=1.
class DatabaseFixture {
 protected:
  // Call from SetUp: a skip or fatal failure here keeps the test body from running.
  void start(Backend backend) {
    if (backend == Backend::postgres && postgres_url().empty()) {
      if (postgres_required()) GTEST_FAIL() << "CALIPSO_TEST_REQUIRE_PG=1 but CALIPSO_TEST_PG_URL is not set";
      GTEST_SKIP() << "CALIPSO_TEST_PG_URL is not set (see tests/support/with-postgres.sh)";
    }
    backend_ = backend;
    database_.emplace(backend);
    db = open(database_->url(), 4);
  }
  void stop() {
    db.reset();
    database_.reset();
  }
  const std::string& url() const { return database_->url(); }
  Backend backend() const { return backend_; }

  std::unique_ptr<Db> db;

 private:
  Backend backend_ = Backend::sqlite;
  std::optional<TestDatabase> database_;
};

// Parameterised over both backends: INSTANTIATE_TEST_SUITE_P(Backends, X, kBackends, backend_name).
class BackendTest : public ::testing::TestWithParam<Backend>, protected DatabaseFixture {
 protected:
  void SetUp() override { start(GetParam()); }
  void TearDown() override { stop(); }
};

class PostgresTest : public ::testing::Test, protected DatabaseFixture {
 protected:
  void SetUp() override { start(Backend::postgres); }
  void TearDown() override { stop(); }
};

inline const auto kBackends = ::testing::Values(Backend::sqlite, Backend::postgres);

}  // namespace calipso::storage::testing
