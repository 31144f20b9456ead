// Trusted proxies: address/CIDR matching and X-Forwarded-* resolution.
#include "http/proxy.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace calipso::http {
namespace {

TEST(TrustedProxies, AddressesAndRanges) {
  TrustedProxies p({"10.0.0.0/8", "192.168.1.5", "fd00::/8", "::1"});
  EXPECT_TRUE(p.contains("10.1.2.3"));
  EXPECT_TRUE(p.contains("192.168.1.5"));
  EXPECT_FALSE(p.contains("192.168.1.6"));
  EXPECT_FALSE(p.contains("11.0.0.1"));
  EXPECT_TRUE(p.contains("fd12::1"));
  EXPECT_TRUE(p.contains("::1"));
  EXPECT_TRUE(p.contains("::ffff:10.9.9.9"));  // IPv4-mapped peer
  EXPECT_FALSE(p.contains("not an address"));
  TrustedProxies odd({"172.16.0.0/12"});
  EXPECT_TRUE(odd.contains("172.31.255.255"));
  EXPECT_FALSE(odd.contains("172.32.0.1"));
}

TEST(TrustedProxies, BadEntriesThrow) {
  EXPECT_THROW(TrustedProxies({"proxy.example"}), std::invalid_argument);
  EXPECT_THROW(TrustedProxies({"10.0.0.0/33"}), std::invalid_argument);
  EXPECT_THROW(TrustedProxies({"10.0.0.0/"}), std::invalid_argument);
}

Request forwarded(std::string xff, std::string proto = {}, std::string host = {}) {
  Request r;
  r.headers.set("Host", "internal:8080");
  r.headers.add("X-Forwarded-For", std::move(xff));
  if (!proto.empty()) r.headers.add("X-Forwarded-Proto", std::move(proto));
  if (!host.empty()) r.headers.add("X-Forwarded-Host", std::move(host));
  return r;
}

TEST(Forwarded, TrustedPeerGivesRightmostUntrustedHop) {
  TrustedProxies p({"10.0.0.0/8"});
  auto r = forwarded("198.51.100.9, 203.0.113.7, 10.0.0.2", "https", "www.example.org");
  apply_forwarded(r, "10.0.0.1", p);
  EXPECT_EQ(r.remote_addr, "203.0.113.7");  // the spoofable left part is ignored
  EXPECT_TRUE(r.secure);
  EXPECT_EQ(r.headers.get("Host"), "www.example.org");
}

TEST(Forwarded, SeveralHeadersAndPortsAreRead) {
  TrustedProxies p({"10.0.0.1"});
  Request r;
  r.headers.add("X-Forwarded-For", "198.51.100.1");
  r.headers.add("X-Forwarded-For", "203.0.113.7:4711");
  r.headers.add("X-Forwarded-Proto", "http");
  apply_forwarded(r, "10.0.0.1", p);
  EXPECT_EQ(r.remote_addr, "203.0.113.7");
  EXPECT_FALSE(r.secure);
}

TEST(Forwarded, UntrustedPeerIsTheClientAndHeadersAreDropped) {
  TrustedProxies p({"10.0.0.1"});
  auto r = forwarded("1.2.3.4", "https", "evil.example");
  apply_forwarded(r, "203.0.113.50", p);
  EXPECT_EQ(r.remote_addr, "203.0.113.50");
  EXPECT_FALSE(r.secure);
  EXPECT_EQ(r.headers.get("Host"), "internal:8080");
  EXPECT_FALSE(r.headers.has("X-Forwarded-For"));
  EXPECT_FALSE(r.headers.has("X-Forwarded-Proto"));
}

TEST(Forwarded, GarbageHopStopsTheWalk) {
  TrustedProxies p({"10.0.0.0/8"});
  auto r = forwarded("203.0.113.7, nonsense, 10.0.0.3");
  apply_forwarded(r, "10.0.0.1", p);
  EXPECT_EQ(r.remote_addr, "10.0.0.3");
}

}  // namespace
}  // namespace calipso::http
