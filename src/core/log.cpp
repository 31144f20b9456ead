#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace calipso::log {

void setup(const std::string& level) {
  static auto logger = spdlog::stderr_color_mt("calipso");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace calipso::log
