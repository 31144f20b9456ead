// Process metrics in Prometheus text format: request counts by route and status, a latency
// histogram, and gauges read on scrape (open connections, database pool).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace calipso::core {

class Metrics {
 public:
  static Metrics& global();

  // Thread-safe and cheap (called once per request).
  void observe_request(std::string_view method, std::string_view route, int status, double seconds);
  // Registers a gauge read at scrape time; a name registered twice replaces the first.
  void gauge(std::string name, std::string help, std::function<double()> read);
  std::string exposition() const;

  Metrics();
  ~Metrics();

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace calipso::core
