#include "http/static_files.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/random.hpp"
#include "http/errors.hpp"

namespace calipso::http {
namespace fs = std::filesystem;

namespace {

// Splits on '/' and refuses empty, dot and hidden segments, so the result stays inside root.
bool safe_relative(std::string_view rel) {
  if (rel.empty() || rel.find('\0') != std::string_view::npos || rel.find('\\') != std::string_view::npos)
    return false;
  std::size_t start = 0;
  while (start <= rel.size()) {
    auto end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    auto seg = rel.substr(start, end - start);
    if (seg.empty() || seg.front() == '.') return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::string_view content_type_for(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".html", "text/html; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".xml", "application/xml"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".avif", "image/avif"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
  };
  auto dot = path.rfind('.');
  if (dot != std::string_view::npos && path.find('/', dot) == std::string_view::npos) {
    std::string ext(path.substr(dot));
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& [e, type] : kTypes)
      if (e == ext) return type;
  }
  return "application/octet-stream";
}

Middleware static_files(StaticOptions options) {
  std::error_code ec;
  auto root = fs::weakly_canonical(options.root, ec);
  return [options = std::move(options), root](Request& req, const Next& next) -> Response {
    if (!req.path.starts_with(options.url_prefix)) return next(req);
    if (req.method != "GET" && req.method != "HEAD") return next(req);
    std::string_view rel = std::string_view(req.path).substr(options.url_prefix.size());
    if (!safe_relative(rel) || (options.allow && !options.allow(rel))) return error_response(req, 404);

    std::error_code ec;
    auto full = fs::weakly_canonical(root / fs::path(rel), ec);
    auto [r_end, f_it] = std::mismatch(root.begin(), root.end(), full.begin(), full.end());
    struct stat st {};
    if (ec || r_end != root.end() || ::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<std::size_t>(st.st_size) > options.max_bytes)
      return error_response(req, 404);

    req.route = options.url_prefix + "*";
    auto mtime_us = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
    auto etag = fmt::format("\"{:x}-{:x}\"", st.st_size, mtime_us);
    Response res;
    res.headers.set("ETag", etag);
    res.headers.set("Last-Modified", core::http_date(mtime_us));
    res.headers.set("Cache-Control",
                    req.query("v") ? "public, max-age=31536000, immutable" : "public, max-age=300");
    auto inm = req.headers.get("If-None-Match");
    auto ims = req.headers.get("If-Modified-Since");
    if ((inm && inm->find(etag) != std::string_view::npos) ||
        (!inm && ims && *ims == core::http_date(mtime_us))) {
      res.status = 304;
      return res;
    }
    std::ifstream in(full, std::ios::binary);
    if (!in) return error_response(req, 404);
    res.body.resize(static_cast<std::size_t>(st.st_size));
    in.read(res.body.data(), st.st_size);
    res.body.resize(static_cast<std::size_t>(in.gcount()));
    res.headers.set("Content-Type", std::string(content_type_for(rel)));
    return res;
  };
}

}  // namespace calipso::http
