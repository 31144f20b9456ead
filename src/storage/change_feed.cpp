#include "storage/change_feed.hpp"

#include "core/log.hpp"

namespace calipso::storage {

ChangeFeed::ChangeFeed(Db& db, int poll_ms) : db_(db), poll_ms_(poll_ms) {}

ChangeFeed::~ChangeFeed() { stop(); }

void ChangeFeed::on(const std::string& kind, Handler handler) { handlers_.emplace(kind, std::move(handler)); }

void ChangeFeed::start() {
  {
    auto conn = db_.acquire();
    last_id_ = last_change_id(*conn);
  }
  thread_ = std::thread([this] { loop(); });
}

void ChangeFeed::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ChangeFeed::loop() {
  bool was_down = false;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, std::chrono::milliseconds(poll_ms_), [this] { return stopping_; })) return;
    }
    try {
      std::vector<Change> changes;
      {
        auto conn = db_.acquire();
        changes = changes_since(*conn, last_id_);
      }
      if (was_down) log::info("change feed: database reachable again");
      was_down = false;
      for (auto& change : changes) {
        auto [begin, end] = handlers_.equal_range(change.kind);
        for (auto it = begin; it != end; ++it) {
          try {
            it->second(change);
          } catch (const std::exception& e) {
            log::error("change feed: handler for {} #{} failed: {}", change.kind, change.id, e.what());
          }
        }
        last_id_ = change.id;
      }
    } catch (const std::exception& e) {
      // The database may be restarting; keep the position and try again next tick.
      if (!was_down) log::warn("change feed: {}", e.what());
      was_down = true;
    }
  }
}

}  // namespace calipso::storage
