// Logging front door: thin names over spdlog so call sites stay short and the backend
// can change in one place.
#pragma once

#include <spdlog/spdlog.h>

namespace calipso::log {

template <class... A>
void debug(spdlog::format_string_t<A...> f, A&&... a) {
  spdlog::debug(f, std::forward<A>(a)...);
}
template <class... A>
void info(spdlog::format_string_t<A...> f, A&&... a) {
  spdlog::info(f, std::forward<A>(a)...);
}
template <class... A>
void warn(spdlog::format_string_t<A...> f, A&&... a) {
  spdlog::warn(f, std::forward<A>(a)...);
}
template <class... A>
void error(spdlog::format_string_t<A...> f, A&&... a) {
  spdlog::error(f, std::forward<A>(a)...);
}

// Sets the level by name ("info", ...) and a compact pattern; logs go to stderr.
void setup(const std::string& level);

}  // namespace calipso::log
