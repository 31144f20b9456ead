// Trusted reverse proxies: which peers may tell us the client's address and scheme. The
// server applies this once per request, before the middleware chain, so the access log,
// rate limits and cookies (Secure) all see the same client. Plain POSIX address parsing
// keeps Asio out of this header.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace calipso::http {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Entries are addresses ("10.0.0.1", "::1") or CIDR ranges ("10.0.0.0/8", "fd00::/8");
  // throws std::invalid_argument naming a bad entry (a start-up configuration error).
  explicit TrustedProxies(const std::vector<std::string>& entries);

  bool empty() const { return nets_.empty(); }
  // IPv4-mapped IPv6 peers ("::ffff:10.0.0.1") match IPv4 entries.
  bool contains(std::string_view address) const;

 private:
  struct Net {
    std::array<std::uint8_t, 16> bytes{};
    bool v4 = false;
    int prefix = 0;
  };
  std::vector<Net> nets_;
};

// With a trusted peer: remote_addr is the rightmost X-Forwarded-For hop that is not itself
// a trusted proxy, secure follows the last X-Forwarded-Proto, and Host is replaced by the
// last X-Forwarded-Host. With any other peer those headers are removed so that nothing
// downstream can be misled by them; remote_addr stays the peer.
void apply_forwarded(Request& req, std::string_view peer, const TrustedProxies& proxies);

}  // namespace calipso::http
