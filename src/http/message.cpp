// Request/response helpers: header lookup, query and form decoding (Boost.URL), and the
// response constructors every handler uses.
#include "http/message.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/grammar/string_token.hpp>
#include <boost/url/pct_string_view.hpp>

#include <algorithm>

#include "core/utf8.hpp"
#include "http/negotiate.hpp"

namespace calipso::http {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

// One name or value of a query string or form body. Malformed escapes ("%zz") are kept
// literally rather than failing the whole request, as browsers and most servers do.
std::string decode_component(std::string_view s) {
  std::string out;
  if (s.find_first_of("%+") == std::string_view::npos) return std::string(s);
  auto pct = boost::urls::make_pct_string_view(s);
  if (!pct) {
    out.assign(s);
    std::replace(out.begin(), out.end(), '+', ' ');
    return out;
  }
  boost::urls::encoding_opts opt;
  opt.space_as_plus = true;
  pct->decode(opt, boost::urls::string_token::assign_to(out));
  return out;
}

// Calls visit(raw_name, raw_value) for each "name=value" pair separated by '&'.
template <class F>
void for_each_pair(std::string_view s, F&& visit) {
  while (!s.empty()) {
    auto amp = s.find('&');
    auto pair = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view() : s.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (eq == std::string_view::npos)
      visit(pair, std::string_view());
    else
      visit(pair.substr(0, eq), pair.substr(eq + 1));
  }
}

// How closely a media range covers `type` ("application/json"): 2 exact, 1 "application/*",
// 0 "*/*", -1 not at all.
int range_match(std::string_view range, std::string_view type) {
  if (iequals(range, type)) return 2;
  if (range == "*/*") return 0;
  auto slash = type.find('/');
  if (range.size() == slash + 2 && range.ends_with("/*") &&
      iequals(range.substr(0, slash), type.substr(0, slash)))
    return 1;
  return -1;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (auto& [n, v] : items_)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

void Headers::set(std::string_view name, std::string value) {
  auto it = std::find_if(items_.begin(), items_.end(), [&](auto& item) { return iequals(item.first, name); });
  if (it == items_.end()) {
    items_.emplace_back(std::string(name), std::move(value));
    return;
  }
  it->second = std::move(value);
  // Keeps the first one's position so output order stays as the handler built it.
  items_.erase(std::remove_if(it + 1, items_.end(), [&](auto& item) { return iequals(item.first, name); }),
               items_.end());
}

void Headers::add(std::string_view name, std::string value) {
  items_.emplace_back(std::string(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(items_, [&](auto& item) { return iequals(item.first, name); });
}

std::string_view Request::param(std::string_view name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

bool decodes_to_text(std::string_view query_string) {
  auto text = [](std::string_view s) {
    return core::valid_utf8(s) && s.find('\0') == std::string_view::npos;
  };
  if (query_string.find('%') == std::string_view::npos) return text(query_string);
  bool ok = true;
  for_each_pair(query_string, [&](std::string_view raw_name, std::string_view raw_value) {
    ok = ok && text(decode_component(raw_name)) && text(decode_component(raw_value));
  });
  return ok;
}

std::optional<std::string> Request::query(std::string_view name) const {
  std::optional<std::string> found;
  for_each_pair(query_string, [&](std::string_view raw_name, std::string_view raw_value) {
    if (found) return;
    if (raw_name == name || decode_component(raw_name) == name) found = decode_component(raw_value);
  });
  return found;
}

std::multimap<std::string, std::string> Request::form() const {
  std::multimap<std::string, std::string> out;
  // A body of another type (JSON, multipart) would decode into nonsense pairs.
  if (auto type = headers.get("Content-Type")) {
    auto media = trim_ows(type->substr(0, type->find(';')));
    if (!iequals(media, "application/x-www-form-urlencoded")) return out;
  }
  for_each_pair(body, [&](std::string_view raw_name, std::string_view raw_value) {
    out.emplace(decode_component(raw_name), decode_component(raw_value));
  });
  return out;
}

bool Request::wants_json() const {
  if (path.starts_with("/api/") || path == "/api") return true;
  auto accept = headers.get("Accept");
  if (!accept) return false;
  // Each type takes the weight of the most specific range that covers it (RFC 9110 §12.5.1).
  int json_spec = -1, html_spec = -1;
  double json_q = 0, html_q = 0;
  for_each_qvalue(*accept, [&](std::string_view range, double q) {
    if (int s = range_match(range, "application/json"); s > json_spec) json_spec = s, json_q = q;
    if (int s = range_match(range, "text/html"); s > html_spec) html_spec = s, html_q = q;
  });
  return json_q > 0 && json_q > html_q;
}

namespace {

Response typed(int status, std::string_view content_type, std::string body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", std::string(content_type));
  r.body = std::move(body);
  return r;
}

}  // namespace

Response Response::html(int status, std::string body) {
  return typed(status, "text/html; charset=utf-8", std::move(body));
}

Response Response::text(int status, std::string body) {
  return typed(status, "text/plain; charset=utf-8", std::move(body));
}

Response Response::json(int status, const boost::json::value& body) {
  return typed(status, "application/json; charset=utf-8", boost::json::serialize(body));
}

Response Response::redirect(int status, std::string location) {
  Response r;
  r.status = status;
  r.headers.set("Location", std::move(location));
  return r;
}

}  // namespace calipso::http
