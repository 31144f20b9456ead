// Ready-made middleware for the chain built in app/: observation (request id, access log,
// metrics), security headers, and ETag/304 + compression. Trusted proxies are resolved by
// the server before the chain runs (see proxy.hpp), so every step sees the client address.
#pragma once

#include <cstddef>
#include <string_view>

#include "http/compress.hpp"
#include "http/middleware.hpp"

namespace calipso::core {
class Metrics;
}

namespace calipso::http {

// Incoming X-Request-Id values are kept when they are 1-64 chars of [A-Za-z0-9._-].
bool valid_request_id(std::string_view id);
// A new id, "<8 random hex>-<counter hex>": a random prefix per thread and a counter, so no
// syscall per request; collisions need two threads to draw the same 32-bit prefix.
std::string new_request_id();

struct ObserveOptions {
  bool access_log = true;
  core::Metrics* metrics = nullptr;  // null: core::Metrics::global()
};
// Outermost step. Sets req.request_id and echoes it as X-Request-Id; turns an exception
// from inner steps into a 500 (logged with the request id) so the log line and the metric
// see the status the client gets; records the request under req.route or "unmatched".
Middleware observe(ObserveOptions options = {});

// X-Content-Type-Options, Referrer-Policy, X-Frame-Options; a handler's own values win.
Middleware security_headers();

struct CompressOptions {
  std::size_t min_bytes = 256;  // below this the headers cost more than compression saves
  CompressionLevels levels;
};
// For 200 answers to GET/HEAD: a strong ETag from the identity body (a handler's ETag is
// kept), If-None-Match -> 304 without body, then Content-Encoding per Accept-Encoding for
// text-like bodies with Vary: Accept-Encoding and a per-encoding ETag ("<tag>-br"/"-gz").
Middleware conditional_compress(CompressOptions options = {});

}  // namespace calipso::http
