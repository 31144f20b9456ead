// Pool mechanics; see pool.hpp. Connections are opened and health-checked outside the
// lock so one slow connect never stalls callers that could take an idle connection.
#include "storage/pool.hpp"

#include "core/log.hpp"

namespace calipso::storage {

Pool::Pool(Dialect dialect, std::string description, std::size_t capacity, Connect connect)
    : dialect_(dialect),
      description_(std::move(description)),
      capacity_(capacity == 0 ? 1 : capacity),
      connect_(std::move(connect)) {}

Pool::~Pool() {
  std::lock_guard lock(mutex_);
  if (open_ != idle_.size())
    log::error("database pool {} destroyed with {} connections still in use", description_,
               open_ - idle_.size());
}

Handle Pool::acquire() {
  std::unique_ptr<Connection> conn;
  {
    std::unique_lock lock(mutex_);
    bool waited = false;
    while (idle_.empty() && open_ >= capacity_) {
      if (!waited) ++waits_;
      waited = true;
      available_.wait(lock);
    }
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // reserve the slot; the connection is opened below, unlocked
    }
  }
  // An idle connection may have died meanwhile (server restart, terminated backend);
  // replacing it here saves the caller a failed statement.
  bool alive = false;
  if (conn) {
    try {
      alive = conn->healthy();
    } catch (...) {
    }
  }
  if (!alive) {
    conn.reset();
    try {
      conn = connect_();
    } catch (...) {
      std::lock_guard lock(mutex_);
      --open_;
      available_.notify_one();
      throw;
    }
  }
  return Handle(this, std::move(conn));
}

void Pool::release(std::unique_ptr<Connection> conn) {
  bool keep = false;
  try {
    if (conn->healthy()) {
      keep = true;
      if (conn->in_transaction()) {
        // Whoever held it left a transaction open; its locks must not pass to the next user.
        log::warn("database connection returned inside a transaction; rolling back");
        conn->rollback();
        keep = !conn->in_transaction() && conn->healthy();
      }
    }
  } catch (const std::exception& e) {
    log::warn("dropping database connection: {}", e.what());
  }
  if (!keep) conn.reset();  // closed before taking the lock: closing may wait on the network
  std::lock_guard lock(mutex_);
  if (keep)
    idle_.push_back(std::move(conn));
  else
    --open_;
  available_.notify_one();
}

PoolStats Pool::stats() const {
  std::lock_guard lock(mutex_);
  return PoolStats{open_, idle_.size(), waits_};
}

}  // namespace calipso::storage
