// X-Forwarded-* resolution; see proxy.hpp.
#include "http/proxy.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <optional>
#include <stdexcept>

#include "http/negotiate.hpp"

namespace calipso::http {

namespace {

struct Address {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;
};

std::optional<Address> parse_address(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Address a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.v4 = true;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
    std::memset(a.bytes.data() + 4, 0, 12);
    a.v4 = true;
  }
  return a;
}

// X-Forwarded-For hops may carry a port ("1.2.3.4:5678", "[::1]:80"); the address is
// what we compare and report.
std::string_view strip_port(std::string_view hop) {
  if (hop.starts_with('[')) {
    auto close = hop.find(']');
    return close == std::string_view::npos ? hop : hop.substr(1, close - 1);
  }
  if (auto colon = hop.find(':');
      colon != std::string_view::npos && hop.find(':', colon + 1) == std::string_view::npos)
    return hop.substr(0, colon);
  return hop;
}

// The last comma-separated item of all headers called `name`, trimmed.
std::optional<std::string_view> last_item(const Request& req, std::string_view name) {
  std::optional<std::string_view> last;
  for (auto& [n, v] : req.headers) {
    if (!iequals(n, name)) continue;
    std::string_view value = v;
    auto comma = value.rfind(',');
    auto item = trim_ows(comma == std::string_view::npos ? value : value.substr(comma + 1));
    if (!item.empty()) last = item;
  }
  return last;
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries) {
  for (auto& entry : entries) {
    std::string_view text = entry;
    auto slash = text.find('/');
    auto addr = parse_address(text.substr(0, slash));
    if (!addr) throw std::invalid_argument("trusted proxy is not an IP address or CIDR range: " + entry);
    int max = addr->v4 ? 32 : 128;
    int prefix = max;
    if (slash != std::string_view::npos) {
      auto digits = text.substr(slash + 1);
      prefix = 0;
      if (digits.empty() || digits.size() > 3) prefix = -1;
      for (char c : digits) prefix = (c >= '0' && c <= '9' && prefix >= 0) ? prefix * 10 + (c - '0') : -1;
      if (prefix < 0 || prefix > max)
        throw std::invalid_argument("bad prefix length in trusted proxy: " + entry);
    }
    nets_.push_back(Net{addr->bytes, addr->v4, prefix});
  }
}

bool TrustedProxies::contains(std::string_view address) const {
  if (nets_.empty()) return false;
  auto a = parse_address(address);
  if (!a) return false;
  for (auto& net : nets_) {
    if (net.v4 != a->v4) continue;
    int full = net.prefix / 8, rest = net.prefix % 8;
    if (std::memcmp(net.bytes.data(), a->bytes.data(), static_cast<std::size_t>(full)) != 0) continue;
    if (rest) {
      auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
      if ((net.bytes[full] & mask) != (a->bytes[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

void apply_forwarded(Request& req, std::string_view peer, const TrustedProxies& proxies) {
  req.remote_addr.assign(peer);
  bool any = false;
  for (auto& [n, v] : req.headers)
    if (n.size() > 12 && iequals(std::string_view(n).substr(0, 12), "X-Forwarded-")) any = true;
  if (!any) return;
  if (!proxies.contains(peer)) {
    for (auto name : {"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"}) req.headers.remove(name);
    return;
  }

  // Walk the hops right to left: each trusted one vouches for the hop before it.
  std::vector<std::string_view> hops;
  for (auto& [n, v] : req.headers) {
    if (!iequals(n, "X-Forwarded-For")) continue;
    std::string_view value = v;
    while (!value.empty()) {
      auto comma = value.find(',');
      auto hop = trim_ows(value.substr(0, comma));
      if (!hop.empty()) hops.push_back(strip_port(hop));
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!parse_address(*it)) break;  // garbage: stop at the last hop a trusted proxy vouched for
    req.remote_addr.assign(*it);
    if (!proxies.contains(*it)) break;
  }

  if (auto proto = last_item(req, "X-Forwarded-Proto")) req.secure = iequals(*proto, "https");
  if (auto host = last_item(req, "X-Forwarded-Host")) req.headers.set("Host", std::string(*host));
}

}  // namespace calipso::http
