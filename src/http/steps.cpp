// The middleware factories declared in steps.hpp.
#include "http/steps.hpp"

#include <sodium.h>

#include <charconv>
#include <chrono>

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/random.hpp"
#include "http/conditional.hpp"
#include "http/errors.hpp"

namespace calipso::http {

namespace {

void set_default(Headers& h, std::string_view name, std::string_view value) {
  if (!h.has(name)) h.set(name, std::string(value));
}

// Appends a token to Vary unless it (or "*") is already there.
void add_vary(Headers& h, std::string_view token) {
  auto current = h.get("Vary");
  if (!current) {
    h.set("Vary", std::string(token));
    return;
  }
  bool present = false;
  std::string_view rest = *current;
  while (!rest.empty() && !present) {
    auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    present = item == "*" || iequals(item, token);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (!present) h.set("Vary", std::string(*current) + ", " + std::string(token));
}

bool has_no_transform(const Headers& h) {
  auto cc = h.get("Cache-Control");
  if (!cc) return false;
  for (std::size_t i = 0; i + 12 <= cc->size(); ++i)
    if (iequals(cc->substr(i, 12), "no-transform")) return true;
  return false;
}

// RFC 9110 §15.4.5: a 304 keeps the validators and caching headers but no representation
// metadata, and never a body.
Response not_modified(Response res) {
  res.status = 304;
  res.body.clear();
  for (auto name : {"Content-Type", "Content-Length", "Content-Encoding", "Content-Language"})
    res.headers.remove(name);
  return res;
}

}  // namespace

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string new_request_id() {
  // Threads start after a cluster worker forks, so each worker's threads draw their own prefix.
  thread_local const std::string prefix = [] {
    static const bool ready = sodium_init() >= 0;
    (void)ready;
    return core::random_hex(4);
  }();
  thread_local std::uint64_t counter = 0;
  char buf[24];
  buf[0] = '-';
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf, ++counter, 16);
  std::string id;
  id.reserve(prefix.size() + static_cast<std::size_t>(end - buf));
  id.append(prefix).append(buf, end);
  return id;
}

Middleware observe(ObserveOptions options) {
  return [options](Request& req, const Next& next) {
    auto start = std::chrono::steady_clock::now();
    if (auto incoming = req.headers.get("X-Request-Id"); incoming && valid_request_id(*incoming))
      req.request_id = std::string(*incoming);
    else
      req.request_id = new_request_id();

    Response res;
    try {
      res = next(req);
    } catch (const std::exception& e) {
      log::error("request {} {} {} failed: {}", req.request_id, req.method, req.target, e.what());
      res = error_response(req, 500);
    } catch (...) {
      log::error("request {} {} {} failed: unknown exception", req.request_id, req.method, req.target);
      res = error_response(req, 500);
    }
    res.headers.set("X-Request-Id", req.request_id);

    auto elapsed = std::chrono::steady_clock::now() - start;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    auto* metrics = options.metrics ? options.metrics : &core::Metrics::global();
    metrics->observe_request(req.method, req.route.empty() ? std::string_view("unmatched") : req.route,
                             res.status, std::chrono::duration<double>(elapsed).count());
    if (options.access_log) {
      std::size_t bytes = req.method == "HEAD" ? 0 : res.body.size();
      log::info("{} \"{} {}\" {} {} {}us id={}", req.remote_addr, req.method, req.target, res.status, bytes,
                us, req.request_id);
    }
    return res;
  };
}

Middleware security_headers() {
  return [](Request& req, const Next& next) {
    auto res = next(req);
    set_default(res.headers, "X-Content-Type-Options", "nosniff");
    set_default(res.headers, "Referrer-Policy", "strict-origin-when-cross-origin");
    set_default(res.headers, "X-Frame-Options", "SAMEORIGIN");
    return res;
  };
}

Middleware conditional_compress(CompressOptions options) {
  return [options](Request& req, const Next& next) {
    auto res = next(req);
    if (res.status != 200 || (req.method != "GET" && req.method != "HEAD")) return res;

    bool compressible = res.body.size() >= options.min_bytes && !res.headers.has("Content-Encoding") &&
                        is_compressible(res.headers.get("Content-Type").value_or("")) &&
                        !has_no_transform(res.headers);
    auto encoding = Encoding::identity;
    if (compressible) {
      add_vary(res.headers, "Accept-Encoding");
      encoding = negotiate_encoding(req.headers.get("Accept-Encoding"));
    }

    std::string base =
        res.headers.has("ETag") ? std::string(*res.headers.get("ETag")) : strong_etag(res.body);
    std::string tag = variant_etag(base, encoding);
    // A client holding the identity copy may revalidate after its Accept-Encoding changed;
    // both copies decode to the same bytes, so either tag validates.
    if (auto inm = req.headers.get("If-None-Match");
        inm && (etag_matches(*inm, tag) || etag_matches(*inm, base))) {
      res.headers.set("ETag", std::move(tag));
      return not_modified(std::move(res));
    }

    if (encoding != Encoding::identity) {
      auto packed = compress(res.body, encoding, options.levels);
      if (packed && packed->size() < res.body.size()) {
        res.body = std::move(*packed);
        res.headers.set("Content-Encoding", std::string(encoding_token(encoding)));
      } else {
        tag = base;
      }
    }
    res.headers.set("ETag", std::move(tag));
    return res;
  };
}

}  // namespace calipso::http
