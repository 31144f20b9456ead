// Serves files under a URL prefix from a directory: GET/HEAD only, safe path resolution
// (no dot segments, hidden files or symlinks out of the root), ETag/Last-Modified/304, and
// long-lived immutable caching when the URL carries a version (?v=…). Files are read per
// request; the asset pipeline issue replaces this with a cached, zero-copy handler.
#pragma once

#include <functional>
#include <string>

#include "http/middleware.hpp"

namespace calipso::http {

struct StaticOptions {
  std::string url_prefix;  // "/themes/"
  std::string root;        // directory the prefix maps to
  // Which relative paths may be served (e.g. only "<theme>/assets/..."); null: all.
  std::function<bool(std::string_view relative)> allow;
  std::size_t max_bytes = 16 << 20;
};

Middleware static_files(StaticOptions options);

// "text/css; charset=utf-8" for "a/b.css"; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view path);

}  // namespace calipso::http
