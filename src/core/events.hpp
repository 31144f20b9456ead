// The hook bus: modules subscribe to named events ("content.create", ...). "before"
// handlers run in priority order inside the caller's transaction and may change the payload
// or veto with an error; "after" handlers run once the change is committed and cannot veto.
#pragma once

#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace calipso::core {

enum class Phase { before, after };

class Events {
 public:
  using BeforeHandler = std::function<Result<void>(boost::json::value& payload)>;
  using AfterHandler = std::function<void(const boost::json::value& payload)>;

  // Lower priority runs first; equal priorities run in subscription order.
  void before(const std::string& event, BeforeHandler handler, int priority = 0);
  void after(const std::string& event, AfterHandler handler, int priority = 0);

  // Stops at the first error and returns it.
  Result<void> emit_before(const std::string& event, boost::json::value& payload) const;
  // A throwing after-handler is logged and skipped: it must not undo a committed change.
  void emit_after(const std::string& event, const boost::json::value& payload) const;

 private:
  template <class H>
  struct Entry {
    int priority;
    std::size_t order;
    H handler;
  };
  mutable std::shared_mutex mutex_;
  std::size_t order_ = 0;
  std::map<std::string, std::vector<Entry<BeforeHandler>>, std::less<>> before_;
  std::map<std::string, std::vector<Entry<AfterHandler>>, std::less<>> after_;
};

}  // namespace calipso::core
