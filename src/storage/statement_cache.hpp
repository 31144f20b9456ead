// Per-connection prepared statements keyed by SQL text, bounded so that SQL assembled at
// run time (IN lists of varying length) cannot grow a long-lived connection without limit.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace calipso::storage {

// When full it is emptied at once: crude but cheap, and the statements really in use are
// prepared again on their next call.
template <class T>
class StatementCache {
 public:
  static constexpr std::size_t kCapacity = 256;

  T* find(std::string_view sql) {
    auto it = map_.find(sql);
    return it == map_.end() ? nullptr : &it->second;
  }
  T& insert(std::string_view sql, T value) {
    return map_.insert_or_assign(std::string(sql), std::move(value)).first->second;
  }
  void erase(std::string_view sql) {
    if (auto it = map_.find(sql); it != map_.end()) map_.erase(it);
  }
  bool full() const { return map_.size() >= kCapacity; }
  void clear() { map_.clear(); }
  std::size_t size() const { return map_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, T, Hash, std::equal_to<>> map_;
};

}  // namespace calipso::storage
