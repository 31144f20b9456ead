#include "core/events.hpp"

#include <algorithm>
#include <mutex>

#include "core/log.hpp"

namespace calipso::core {

namespace {
template <class V, class H>
void insert_sorted(V& list, int priority, std::size_t order, H handler) {
  auto pos = std::upper_bound(list.begin(), list.end(), priority,
                              [](int p, const auto& e) { return p < e.priority; });
  list.insert(pos, {priority, order, std::move(handler)});
}
}  // namespace

void Events::before(const std::string& event, BeforeHandler handler, int priority) {
  std::unique_lock lock(mutex_);
  insert_sorted(before_[event], priority, order_++, std::move(handler));
}

void Events::after(const std::string& event, AfterHandler handler, int priority) {
  std::unique_lock lock(mutex_);
  insert_sorted(after_[event], priority, order_++, std::move(handler));
}

Result<void> Events::emit_before(const std::string& event, boost::json::value& payload) const {
  std::shared_lock lock(mutex_);
  auto it = before_.find(event);
  if (it == before_.end()) return {};
  for (auto& e : it->second)
    if (auto r = e.handler(payload); !r) return r;
  return {};
}

void Events::emit_after(const std::string& event, const boost::json::value& payload) const {
  std::shared_lock lock(mutex_);
  auto it = after_.find(event);
  if (it == after_.end()) return;
  for (auto& e : it->second) {
    try {
      e.handler(payload);
    } catch (const std::exception& ex) {
      log::error("hook after {} failed: {}", event, ex.what());
    }
  }
}

}  // namespace calipso::core
