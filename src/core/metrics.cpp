// Request metrics sharded by thread: each thread sticks to one of a few mutex-guarded maps,
// so request threads rarely contend and a scrape merges the shards. Methods outside the
// standard set count as "OTHER" so a client cannot grow the label set at will.
#include "core/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace calipso::core {

namespace {

constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
constexpr std::size_t kShards = 16;

struct Series {
  std::vector<std::pair<int, std::uint64_t>> statuses;       // a route sees few distinct statuses
  std::array<std::uint64_t, kBuckets.size() + 1> buckets{};  // non-cumulative; last is +Inf
  double sum = 0;
  std::uint64_t count = 0;

  void merge(const Series& o) {
    for (auto& [status, n] : o.statuses) add_status(status, n);
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += o.buckets[i];
    sum += o.sum;
    count += o.count;
  }
  void add_status(int status, std::uint64_t n) {
    for (auto& s : statuses)
      if (s.first == status) {
        s.second += n;
        return;
      }
    statuses.emplace_back(status, n);
  }
};

using Key = std::pair<std::string, std::string>;  // method, route
using KeyView = std::pair<std::string_view, std::string_view>;

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(const KeyView& k) const {
    auto h = std::hash<std::string_view>{};
    return h(k.first) * 31 + h(k.second);
  }
  std::size_t operator()(const Key& k) const { return (*this)(KeyView(k.first, k.second)); }
};
struct KeyEq {
  using is_transparent = void;
  static KeyView view(const Key& k) { return {k.first, k.second}; }
  static KeyView view(const KeyView& k) { return k; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return view(a) == view(b);
  }
};

struct alignas(64) Shard {
  std::mutex mutex;
  std::unordered_map<Key, Series, KeyHash, KeyEq> series;
};

struct Gauge {
  std::string help;
  std::function<double()> read;
};

std::string_view method_label(std::string_view m) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    if (m == known) return known;
  return "OTHER";
}

void escape_into(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

struct Metrics::Impl {
  std::array<Shard, kShards> shards;
  std::atomic<std::size_t> next_shard{0};
  std::mutex gauge_mutex;
  std::map<std::string, Gauge> gauges;
};

Metrics::Metrics() : impl_(new Impl) {}
Metrics::~Metrics() { delete impl_; }

Metrics& Metrics::global() {
  static Metrics metrics;
  return metrics;
}

void Metrics::observe_request(std::string_view method, std::string_view route, int status, double seconds) {
  // A thread keeps its shard for life; with one Metrics per process that spreads the
  // request threads over the shards.
  thread_local std::size_t shard_index = impl_->next_shard.fetch_add(1, std::memory_order_relaxed) % kShards;
  auto& shard = impl_->shards[shard_index];
  std::size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;

  std::lock_guard lock(shard.mutex);
  KeyView key(method_label(method), route);
  auto it = shard.series.find(key);
  if (it == shard.series.end()) it = shard.series.emplace(Key(key.first, key.second), Series{}).first;
  auto& s = it->second;
  s.add_status(status, 1);
  ++s.buckets[bucket];
  s.sum += seconds;
  ++s.count;
}

void Metrics::gauge(std::string name, std::string help, std::function<double()> read) {
  if (!valid_metric_name(name)) throw std::invalid_argument("invalid metric name: " + name);
  std::lock_guard lock(impl_->gauge_mutex);
  impl_->gauges.insert_or_assign(std::move(name), Gauge{std::move(help), std::move(read)});
}

std::string Metrics::exposition() const {
  std::map<Key, Series> merged;  // ordered: stable output for humans and diffing
  for (auto& shard : impl_->shards) {
    std::lock_guard lock(shard.mutex);
    for (auto& [key, series] : shard.series) merged[key].merge(series);
  }

  std::string out;
  auto labels = [&](const Key& key) {
    out += "method=\"";
    escape_into(out, key.first, true);
    out += "\",route=\"";
    escape_into(out, key.second, true);
    out += '"';
  };

  out += "# HELP calipso_http_requests_total HTTP requests answered, by method, route pattern and status.\n";
  out += "# TYPE calipso_http_requests_total counter\n";
  for (auto& [key, s] : merged) {
    auto statuses = s.statuses;
    std::sort(statuses.begin(), statuses.end());
    for (auto& [status, n] : statuses) {
      out += "calipso_http_requests_total{";
      labels(key);
      out += fmt::format(",status=\"{}\"}} {}\n", status, n);
    }
  }

  out +=
      "# HELP calipso_http_request_duration_seconds Time to answer an HTTP request, by method and route "
      "pattern.\n";
  out += "# TYPE calipso_http_request_duration_seconds histogram\n";
  for (auto& [key, s] : merged) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= kBuckets.size(); ++i) {
      cumulative += s.buckets[i];
      out += "calipso_http_request_duration_seconds_bucket{";
      labels(key);
      out += fmt::format(",le=\"{}\"}} {}\n", i < kBuckets.size() ? number(kBuckets[i]) : "+Inf", cumulative);
    }
    out += "calipso_http_request_duration_seconds_sum{";
    labels(key);
    out += "} " + number(s.sum) + "\n";
    out += "calipso_http_request_duration_seconds_count{";
    labels(key);
    out += fmt::format("}} {}\n", s.count);
  }

  // Read outside the lock: a gauge callback may take its own locks or register gauges.
  std::vector<std::pair<std::string, Gauge>> gauges;
  {
    std::lock_guard lock(impl_->gauge_mutex);
    gauges.assign(impl_->gauges.begin(), impl_->gauges.end());
  }
  for (auto& [name, g] : gauges) {
    double value;
    try {
      value = g.read();
    } catch (...) {
      continue;  // a failing source is left out of this scrape rather than failing all of it
    }
    out += "# HELP " + name + " ";
    escape_into(out, g.help, false);
    out += "\n# TYPE " + name + " gauge\n" + name + " " + number(value) + "\n";
  }
  return out;
}

}  // namespace calipso::core
