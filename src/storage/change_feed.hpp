// Tails the change log (DESIGN.md §4.2) so a change made on any node reaches this one:
// a background thread reads new rows every poll interval and hands them to subscribers
// by kind. Starts from the newest row at boot: state before that was loaded directly.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/change_log.hpp"

namespace calipso::storage {

class ChangeFeed {
 public:
  using Handler = std::function<void(const Change&)>;

  ChangeFeed(Db& db, int poll_ms);
  ~ChangeFeed();

  void on(const std::string& kind, Handler handler);  // before start()
  void start();
  void stop();
  std::int64_t last_seen() const { return last_id_.load(); }

 private:
  void loop();

  Db& db_;
  int poll_ms_;
  std::multimap<std::string, Handler> handlers_;
  std::atomic<std::int64_t> last_id_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace calipso::storage
