// A value computed on demand and shared until invalidated: for small, hot, read-mostly data
// (menus, block lists). Invalidation may come from any thread, e.g. the change feed; a load
// that raced with an invalidation is used once but not kept.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace calipso::core {

template <class T>
class Memo {
 public:
  template <class Load>
  std::shared_ptr<const T> get(Load&& load) {
    if (auto v = value_.load(std::memory_order_acquire)) return v;
    auto gen = generation_.load(std::memory_order_acquire);
    auto fresh = std::make_shared<const T>(load());
    if (generation_.load(std::memory_order_acquire) == gen) value_.store(fresh, std::memory_order_release);
    return fresh;
  }
  void invalidate() {
    generation_.fetch_add(1, std::memory_order_acq_rel);
    value_.store(nullptr, std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const T>> value_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace calipso::core
