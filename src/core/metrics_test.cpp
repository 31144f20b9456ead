// Prometheus exposition: counters, cumulative histogram, gauges, label escaping.
#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

namespace calipso::core {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

TEST(Metrics, CountsByMethodRouteAndStatus) {
  Metrics m;
  m.observe_request("GET", "/a", 200, 0.001);
  m.observe_request("GET", "/a", 200, 0.002);
  m.observe_request("GET", "/a", 404, 0.002);
  m.observe_request("BREW", "/a", 200, 0.002);
  auto text = m.exposition();
  EXPECT_TRUE(has_line(text, "# TYPE calipso_http_requests_total counter"));
  EXPECT_TRUE(has_line(text, "calipso_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2"));
  EXPECT_TRUE(has_line(text, "calipso_http_requests_total{method=\"GET\",route=\"/a\",status=\"404\"} 1"));
  EXPECT_TRUE(has_line(text, "calipso_http_requests_total{method=\"OTHER\",route=\"/a\",status=\"200\"} 1"));
}

TEST(Metrics, HistogramIsCumulativeWithSumAndCount) {
  Metrics m;
  m.observe_request("GET", "/h", 200, 0.0003);
  m.observe_request("GET", "/h", 200, 0.003);
  m.observe_request("GET", "/h", 200, 20);
  auto text = m.exposition();
  std::string p = "calipso_http_request_duration_seconds";
  EXPECT_TRUE(has_line(text, "# TYPE " + p + " histogram"));
  EXPECT_TRUE(has_line(text, p + "_bucket{method=\"GET\",route=\"/h\",le=\"0.0005\"} 1"));
  EXPECT_TRUE(has_line(text, p + "_bucket{method=\"GET\",route=\"/h\",le=\"0.0025\"} 1"));
  EXPECT_TRUE(has_line(text, p + "_bucket{method=\"GET\",route=\"/h\",le=\"0.005\"} 2"));
  EXPECT_TRUE(has_line(text, p + "_bucket{method=\"GET\",route=\"/h\",le=\"10\"} 2"));
  EXPECT_TRUE(has_line(text, p + "_bucket{method=\"GET\",route=\"/h\",le=\"+Inf\"} 3"));
  EXPECT_TRUE(has_line(text, p + "_count{method=\"GET\",route=\"/h\"} 3"));
  EXPECT_NE(text.find(p + "_sum{method=\"GET\",route=\"/h\"} 20.0033"), std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics m;
  m.observe_request("GET", "/q\"\\\n", 200, 0.1);
  EXPECT_TRUE(
      has_line(m.exposition(),
               "calipso_http_requests_total{method=\"GET\",route=\"/q\\\"\\\\\\n\",status=\"200\"} 1"));
}

TEST(Metrics, GaugesAreReadAtScrapeAndReplacedByName) {
  Metrics m;
  double open = 3;
  m.gauge("calipso_open_connections", "Open connections.\nNow.", [&] { return open; });
  open = 5;
  auto text = m.exposition();
  EXPECT_TRUE(has_line(text, "# HELP calipso_open_connections Open connections.\\nNow."));
  EXPECT_TRUE(has_line(text, "# TYPE calipso_open_connections gauge"));
  EXPECT_TRUE(has_line(text, "calipso_open_connections 5"));
  m.gauge("calipso_open_connections", "Replaced.", [] { return 1.5; });
  text = m.exposition();
  EXPECT_TRUE(has_line(text, "calipso_open_connections 1.5"));
  EXPECT_FALSE(has_line(text, "calipso_open_connections 5"));
  m.gauge("calipso_broken", "Throws.", []() -> double { throw std::runtime_error("down"); });
  EXPECT_EQ(m.exposition().find("calipso_broken "), std::string::npos);
  EXPECT_THROW(m.gauge("bad name", "", [] { return 0.0; }), std::invalid_argument);
}

TEST(Metrics, ConcurrentObservationsAreAllCounted) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) m.observe_request("POST", "/c", 201, 0.0001);
    });
  for (auto& t : threads) t.join();
  EXPECT_TRUE(has_line(m.exposition(),
                       "calipso_http_requests_total{method=\"POST\",route=\"/c\",status=\"201\"} 20000"));
}

}  // namespace
}  // namespace calipso::core
