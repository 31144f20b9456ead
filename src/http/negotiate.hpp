// Reading of q-value lists (Accept, Accept-Encoding) shared by content-type and encoding
// negotiation. Lenient on purpose: a malformed item is skipped, never an error.
#pragma once

#include <cstdlib>
#include <string_view>

namespace calipso::http {

inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The weight of "q=0.5" among an item's parameters; 1 when absent, clamped to [0, 1].
inline double q_weight(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    auto p = trim_ows(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    auto v = p.substr(2);
    // RFC 9110 qvalue: "0" / "0.ddd" / "1" / "1.000"; anything else counts as 0 (refused).
    if (v.empty() || v.size() > 5 || (v[0] != '0' && v[0] != '1')) return 0;
    double q = v[0] - '0', scale = 0.1;
    if (v.size() > 1) {
      if (v[1] != '.') return 0;
      for (char c : v.substr(2)) {
        if (c < '0' || c > '9') return 0;
        q += (c - '0') * scale;
        scale /= 10;
      }
    }
    return q > 1 ? 1 : q;
  }
  return 1;
}

// Calls visit(item, q) for each comma-separated item; `item` is the part before any ';'.
template <class F>
void for_each_qvalue(std::string_view header, F&& visit) {
  while (!header.empty()) {
    auto comma = header.find(',');
    auto entry = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    auto semi = entry.find(';');
    auto item = trim_ows(entry.substr(0, semi));
    if (item.empty()) continue;
    visit(item, semi == std::string_view::npos ? 1.0 : q_weight(entry.substr(semi + 1)));
  }
}

}  // namespace calipso::http
