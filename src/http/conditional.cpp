// Entity-tag helpers; see conditional.hpp.
#include "http/conditional.hpp"

#include <cstdint>
#include <functional>

#include "http/negotiate.hpp"

namespace calipso::http {

namespace {

std::string_view opaque(std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

}  // namespace

std::string strong_etag(std::string_view body) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t h = std::hash<std::string_view>{}(body);
  std::string out(18, '"');
  for (int i = 16; i >= 1; --i, h >>= 4) out[i] = kHex[h & 0xf];
  return out;
}

std::string variant_etag(std::string_view etag, Encoding e) {
  if (e == Encoding::identity) return std::string(etag);
  std::string_view suffix = e == Encoding::br ? "-br" : "-gz";
  std::string out(etag);
  if (out.size() >= 2 && out.back() == '"')
    out.insert(out.size() - 1, suffix);
  else
    out += suffix;
  return out;
}

bool etag_matches(std::string_view header, std::string_view etag) {
  header = trim_ows(header);
  if (header == "*") return true;
  auto want = opaque(etag);
  // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc may include ',', so scan quotes.
  std::size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t' || header[i] == ',')) ++i;
    if (i >= header.size()) break;
    std::size_t start = i;
    if (header.substr(i, 2) == "W/") i += 2;
    if (i >= header.size() || header[i] != '"') return false;  // malformed: no match
    auto close = header.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    if (opaque(header.substr(start, close + 1 - start)) == want) return true;
    i = close + 1;
  }
  return false;
}

}  // namespace calipso::http
