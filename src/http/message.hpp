// Request and response as the rest of the program sees them: plain data, no Beast types,
// so modules compile without the HTTP stack's headers.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/principal.hpp"

namespace calipso::http {

bool iequals(std::string_view a, std::string_view b);
// Whether every name and value of a query string (or form body) decodes to valid UTF-8
// without NUL characters.
bool decodes_to_text(std::string_view query_string);

// Ordered, case-insensitive on names; duplicates kept (Set-Cookie).
class Headers {
 public:
  std::optional<std::string_view> get(std::string_view name) const;
  void set(std::string_view name, std::string value);  // replaces all of that name
  void add(std::string_view name, std::string value);
  void remove(std::string_view name);
  bool has(std::string_view name) const { return get(name).has_value(); }
  void clear() { items_.clear(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  std::size_t size() const { return items_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  std::string method;        // as sent, upper case: GET, HEAD, POST, ...
  std::string target;        // raw request target
  std::string path;          // percent-decoded path, no query
  std::string query_string;  // raw, without '?'
  Headers headers;
  std::string body;
  std::string remote_addr;  // after trusted-proxy resolution
  bool secure = false;      // TLS at us or at a trusted proxy
  std::string request_id;
  std::int64_t start_us = 0;

  // Filled by the router.
  std::string route;  // the matched pattern, e.g. "/api/v1/content/{id}"; metrics label
  std::map<std::string, std::string, std::less<>> params;

  // Filled by the auth step of the middleware chain; empty for anonymous visitors.
  std::optional<core::Principal> principal;

  std::string_view param(std::string_view name) const;
  // First value of a query parameter, percent-decoded ('+' is a space).
  std::optional<std::string> query(std::string_view name) const;
  // Parses an application/x-www-form-urlencoded body.
  std::multimap<std::string, std::string> form() const;
  bool wants_json() const;  // path under /api/ or Accept prefers application/json
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // Page-cache seam: a handler marks a response shareable between anonymous visitors
  // and names what it depends on ("content:12", "list:content", "theme", "config").
  bool cacheable = false;
  std::vector<std::string> cache_tags;

  static Response html(int status, std::string body);
  static Response text(int status, std::string body);
  static Response json(int status, const boost::json::value& body);
  static Response redirect(int status, std::string location);
};

}  // namespace calipso::http
