// The connection pool both backends share: bounded, opens connections lazily, makes
// callers wait when all are in use, and drops connections that stopped being healthy.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/db.hpp"

namespace calipso::storage {

class Pool final : public Db {
 public:
  using Connect = std::function<std::unique_ptr<Connection>()>;

  // `connect` opens one connection or throws DbError; it runs outside the pool's lock.
  Pool(Dialect dialect, std::string description, std::size_t capacity, Connect connect);
  ~Pool() override;

  Dialect dialect() const override { return dialect_; }
  Handle acquire() override;
  PoolStats stats() const override;
  std::string describe() const override { return description_; }

 protected:
  void release(std::unique_ptr<Connection> conn) override;

 private:
  const Dialect dialect_;
  const std::string description_;
  const std::size_t capacity_;
  const Connect connect_;

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;  // most recently used last
  std::size_t open_ = 0;                           // idle + handed out + being opened
  std::size_t waits_ = 0;
};

}  // namespace calipso::storage
