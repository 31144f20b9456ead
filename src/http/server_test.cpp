// The server over real sockets: keep-alive, HEAD, framing and limit refusals, handler
// failures, timeouts, connection limits and graceful stop. Raw bytes on purpose: an HTTP
// client library would normalise away exactly what these tests send.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <thread>

#include "http/errors.hpp"
#include "http/message.hpp"

namespace calipso::http {
namespace {

using namespace std::chrono_literals;

struct Reply {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send(std::string_view data) {
    while (!data.empty()) {
      auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may already have refused and closed
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Reads one response; HEAD and 1xx/204/304 answers have no body.
  std::optional<Reply> read(bool head = false, std::chrono::milliseconds timeout = 3000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(deadline)) return std::nullopt;
    Reply r;
    std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    auto line_end = head_text.find("\r\n");
    std::string status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    std::size_t pos = line_end;
    while (pos != std::string::npos && pos < head_text.size()) {
      auto next = head_text.find("\r\n", pos + 2);
      auto line = head_text.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers.emplace(name, value);
      }
      pos = next;
    }
    bool bodiless = head || r.status < 200 || r.status == 204 || r.status == 304;
    if (!bodiless && r.headers.count("content-length")) {
      auto len = std::stoul(r.header("content-length"));
      while (buf_.size() < len)
        if (!fill(deadline)) return std::nullopt;
      r.body = buf_.substr(0, len);
      buf_.erase(0, len);
    }
    return r;
  }

  // True when the server closed the connection (EOF or reset) within the timeout.
  bool closed_by_peer(std::chrono::milliseconds timeout = 3000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    buf_.clear();
    while (true) {
      int r = fill_once(deadline);
      if (r < 0) return true;    // EOF or error
      if (r == 0) return false;  // timeout
      buf_.clear();
    }
  }

 private:
  // 1: got bytes, 0: timeout, -1: closed.
  int fill_once(std::chrono::steady_clock::time_point deadline) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return 0;
    char tmp[16384];
    auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return -1;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return 1;
  }
  bool fill(std::chrono::steady_clock::time_point deadline) { return fill_once(deadline) > 0; }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

class TestServer {
 public:
  explicit TestServer(Handler handler, ServerOptions options = {}, int drain_ms = 5000) {
    options.port = 0;
    if (options.threads == 1) options.threads = 2;
    server_ = std::make_unique<Server>(std::move(options), std::move(handler));
    server_->listen();
    thread_ = std::thread([this, drain_ms] { server_->run(drain_ms); });
  }
  ~TestServer() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
  }
  std::uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

// Echoes what the server made of the request, so tests can check parsing end to end.
Response echo(Request& req) {
  if (req.path == "/throw") throw std::runtime_error("handler bug");
  std::string body = req.method + " " + req.path + " ?" + req.query_string + " body=" + req.body +
                     " addr=" + req.remote_addr + (req.secure ? " secure" : "");
  return Response::text(200, body);
}

std::string get(std::string_view path, std::string_view extra = {}) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

TEST(Server, KeepAliveServesTwoRequestsOnOneConnection) {
  TestServer ts(echo);
  Client c(ts.port());
  ASSERT_TRUE(c.connected());
  c.send(get("/one?x=1"));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(a->body.substr(0, 14), "GET /one ?x=1 ");
  EXPECT_EQ(a->header("server"), "calipso");
  EXPECT_TRUE(a->header("date").ends_with("GMT"));
  EXPECT_EQ(a->header("connection"), "");
  c.send(get("/two"));
  auto b = c.read();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  EXPECT_TRUE(b->body.starts_with("GET /two"));
}

TEST(Server, PipelinedRequestsAreAnsweredInOrder) {
  TestServer ts(echo);
  Client c(ts.port());
  c.send(get("/a") + get("/b") + get("/c"));
  for (auto path : {"/a", "/b", "/c"}) {
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->body.starts_with(std::string("GET ") + path + " ")) << r->body;
  }
}

TEST(Server, DecodesPathAndKeepsRawQuery) {
  TestServer ts(echo);
  Client c(ts.port());
  c.send(get("/caf%C3%A9/a%20b?q=a+b%21"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->body.starts_with("GET /caf\xC3\xA9/a b ?q=a+b%21 ")) << r->body;
}

TEST(Server, HeadKeepsContentLengthAndSendsNoBody) {
  TestServer ts(echo);
  Client c(ts.port());
  c.send(get("/page"));
  auto g = c.read();
  ASSERT_TRUE(g);
  c.send("HEAD /page HTTP/1.1\r\nHost: test\r\n\r\n");
  auto h = c.read(/*head=*/true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  // The handler saw HEAD, so its echo is one byte longer than GET's.
  EXPECT_EQ(std::stoul(h->header("content-length")), g->body.size() + 1);
  // If a body had been sent, this next response would not parse.
  c.send(get("/after"));
  auto next = c.read();
  ASSERT_TRUE(next);
  EXPECT_TRUE(next->body.starts_with("GET /after"));
}

TEST(Server, HeadMayDeclareTheLengthWithoutABody) {
  TestServer ts([](Request& req) {
    auto res = Response::text(200, req.method == "HEAD" ? "" : std::string(1234, 'f'));
    if (req.method == "HEAD") res.headers.set("Content-Length", "1234");
    return res;
  });
  Client c(ts.port());
  c.send("HEAD /file HTTP/1.1\r\nHost: t\r\n\r\n");
  auto h = c.read(/*head=*/true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->header("content-length"), "1234");
  EXPECT_EQ(h->headers.count("content-length"), 1u);
  c.send(get("/file"));
  auto g = c.read();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->body.size(), 1234u);
}

TEST(Server, Http10ClosesUnlessKeepAliveIsAsked) {
  TestServer ts(echo);
  {
    Client c(ts.port());
    c.send("GET /old HTTP/1.0\r\n\r\n");
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(ts.port());
    c.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("connection"), "keep-alive");
    c.send("GET /again HTTP/1.0\r\n\r\n");
    auto r2 = c.read();
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status, 200);
  }
}

TEST(Server, ConnectionCloseIsHonoured) {
  TestServer ts(echo);
  Client c(ts.port());
  c.send(get("/bye", "Connection: close\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(Server, HandlerMayCloseTheConnection) {
  TestServer ts([](Request&) {
    auto res = Response::text(200, "last");
    res.headers.set("Connection", "close");
    return res;
  });
  Client c(ts.port());
  c.send(get("/"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(r->headers.count("connection"), 1u);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(Server, BodiesByLengthAndChunked) {
  TestServer ts(echo);
  Client c(ts.port());
  c.send("POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_NE(a->body.find("body=hello "), std::string::npos);
  c.send(
      "POST /form HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nX-T: 1\r\n\r\n");
  auto b = c.read();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  EXPECT_NE(b->body.find("body=abcde "), std::string::npos);
}

// Each of these must be refused with 400 and the connection closed: they are the framing
// ambiguities behind request smuggling, or requests no conforming client sends.
TEST(Server, AmbiguousOrMalformedRequestsAre400AndClose) {
  TestServer ts(echo);
  const std::vector<std::string> cases = {
      // Content-Length together with Transfer-Encoding, either order
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello",
      // differing or malformed Content-Length
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\nhello!",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5 5\r\n\r\nhello",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0x10\r\n\r\nhello",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: \r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
      // Transfer-Encoding not ending in chunked, unknown codings, chunked twice
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: foo\r\n\r\n",
      // obsolete line folding
      "GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n\tb\r\n\r\n",
      "GET / HTTP/1.1\r\n Host: t\r\n\r\n",
      // invalid field names
      "GET / HTTP/1.1\r\nHost : t\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: t\r\nX(A): 1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: t\r\n: empty\r\n\r\n",
      // bad request line, method or version
      "GET  / HTTP/1.1\r\nHost: t\r\n\r\n",
      "G(T / HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET / HTTP/2.0\r\nHost: t\r\n\r\n",
      "GET / HTTP/1.1 x\r\nHost: t\r\n\r\n",
      "GET / HTTX/1.1\r\nHost: t\r\n\r\n",
      "GET / HTTP/1.1\nHost: t\n\n",
      // targets
      "GET http://example.com/ HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET example.com:80 HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET * HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /a%00b HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /a/../b HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /a/%2e%2E/b HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /a/./b HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /a#frag HTTP/1.1\r\nHost: t\r\n\r\n",
      // Host missing or repeated in HTTP/1.1
      "GET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      // bad chunk framing
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
  };
  for (auto& request : cases) {
    Client c(ts.port());
    c.send(request);
    auto r = c.read();
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 400) << request;
    EXPECT_EQ(r->header("connection"), "close") << request;
    EXPECT_TRUE(c.closed_by_peer()) << request;
  }
}

TEST(Server, OptionsStarAndIdenticalContentLengthsAreAccepted) {
  TestServer ts(echo);
  Client c(ts.port());
  c.send("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_NE(r->status, 400);
  c.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok");
  auto same = c.read();
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 200);
}

TEST(Server, OversizedHeadersAre431) {
  ServerOptions o;
  o.max_header_bytes = 2048;
  o.max_header_count = 20;
  TestServer ts(echo, o);
  {
    Client c(ts.port());
    c.send(get("/", "X-Big: " + std::string(4000, 'a') + "\r\n"));
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    std::string many;
    for (int i = 0; i < 30; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    Client c(ts.port());
    c.send(get("/", many));
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(ts.port());  // just under both limits is fine
    std::string some;
    for (int i = 0; i < 10; ++i) some += "X-H" + std::to_string(i) + ": v\r\n";
    c.send(get("/", some));
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST(Server, OversizedBodiesAre413) {
  ServerOptions o;
  o.max_body_bytes = 1000;
  TestServer ts(echo, o);
  {
    // Declared too large: refused from the header, before any body is sent.
    Client c(ts.port());
    c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n");
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    // Chunked: refused once the chunks add up past the limit.
    Client c(ts.port());
    std::string chunk = std::string(600, 'x');
    c.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk + "\r\n258\r\n" +
           chunk + "\r\n0\r\n\r\n");
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(ts.port());
    c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'y'));
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST(Server, ExpectContinue) {
  TestServer ts(echo);
  {
    Client c(ts.port());
    c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    auto interim = c.read();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    c.send("data");
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("body=data"), std::string::npos);
  }
  {
    Client c(ts.port());
    c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: teapot\r\n\r\n");
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 417);
    EXPECT_TRUE(c.closed_by_peer());
  }
}

TEST(Server, HandlerExceptionIs500AndTheConnectionGoesOn) {
  TestServer ts(echo);
  Client c(ts.port());
  c.send(get("/throw", "Accept: application/json\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.find("handler bug"), std::string::npos);
  EXPECT_FALSE(r->header("x-request-id").empty());
  c.send(get("/fine"));
  auto ok = c.read();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(Server, InvalidResponseHeadersAreDropped) {
  TestServer ts([](Request&) {
    auto res = Response::text(200, "x");
    res.headers.set("X-Injected", "a\r\nSet-Cookie: evil=1");
    res.headers.set("Bad Name", "v");
    res.headers.set("X-Fine", "yes");
    return res;
  });
  Client c(ts.port());
  c.send(get("/"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("x-fine"), "yes");
  EXPECT_EQ(r->headers.count("x-injected"), 0u);
  EXPECT_EQ(r->headers.count("set-cookie"), 0u);
}

TEST(Server, SlowRequestTimesOutAndIdleConnectionCloses) {
  ServerOptions o;
  o.request_timeout_ms = 300;
  o.idle_timeout_ms = 300;
  TestServer ts(echo, o);
  {
    Client c(ts.port());
    c.send("GET / HTTP/1.1\r\nHost: t\r\n");  // never finished
    auto start = std::chrono::steady_clock::now();
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 408);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  }
  {
    Client c(ts.port());
    c.send(get("/"));
    ASSERT_TRUE(c.read());
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_by_peer(2000ms));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  }
}

TEST(Server, ConnectionsOverTheLimitAreRefusedWithoutHarmingOthers) {
  ServerOptions o;
  o.max_connections = 2;
  TestServer ts(echo, o);
  Client a(ts.port()), b(ts.port());
  a.send(get("/a"));
  b.send(get("/b"));
  ASSERT_TRUE(a.read());
  ASSERT_TRUE(b.read());
  EXPECT_EQ(ts.server().open_connections(), 2u);
  Client extra(ts.port());
  auto r = extra.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(extra.closed_by_peer());
  a.send(get("/a2"));
  auto again = a.read();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST(Server, TrustedProxySuppliesClientAddressAndScheme) {
  ServerOptions o;
  o.trusted_proxies = {"127.0.0.1"};
  TestServer ts(echo, o);
  Client c(ts.port());
  c.send(get("/p", "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("addr=203.0.113.9 secure"), std::string::npos) << r->body;
}

TEST(Server, UntrustedPeerAddressIsThePeer) {
  TestServer ts(echo);
  Client c(ts.port());
  c.send(get("/p", "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->body.ends_with("addr=127.0.0.1")) << r->body;
}

TEST(Server, StopDrainsAnInFlightRequest) {
  std::atomic<bool> started{false};
  auto slow = [&](Request& req) {
    started = true;
    std::this_thread::sleep_for(300ms);
    return Response::text(200, "done " + req.path);
  };
  auto ts = std::make_unique<TestServer>(slow);
  Client idle(ts->port());
  idle.send(get("/warm"));
  ASSERT_TRUE(idle.read());
  started = false;
  Client busy(ts->port());
  busy.send(get("/slow"));
  auto wait_until = std::chrono::steady_clock::now() + 3s;
  while (!started && std::chrono::steady_clock::now() < wait_until) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(started);
  auto begin = std::chrono::steady_clock::now();
  ts->server().stop();
  auto r = busy.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done /slow");
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(busy.closed_by_peer());
  EXPECT_TRUE(idle.closed_by_peer());
  busy.close();  // as a client does after "Connection: close"; ends the server's lingering read
  ts->stop();    // returns once run() has
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 1500ms);
  Client late(ts->port());
  EXPECT_FALSE(late.connected() && late.read(false, 300ms).has_value());
}

TEST(Server, SigtermStopsRun) {
  ServerOptions o;
  o.port = 0;
  Server server(o, echo);
  server.listen();
  std::atomic<bool> returned{false};
  std::thread t([&] {
    server.run(1000);
    returned = true;
  });
  {
    // A served request proves run() is under way, so its signal handler is installed.
    Client c(server.port());
    c.send(get("/", "Connection: close\r\n"));
    ASSERT_TRUE(c.read());
  }
  ::raise(SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!returned && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(returned);
  if (!returned) server.stop();
  t.join();
}

TEST(Server, AdoptsAListeningSocket) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ServerOptions o;
  o.listen_fd = fd;
  TestServer ts(echo, o);
  EXPECT_EQ(ts.port(), ntohs(addr.sin_port));
  Client c(ts.port());
  c.send(get("/fd"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(Server, PortInUseIsAClearError) {
  TestServer first(echo);
  ServerOptions o;
  o.port = first.port();
  Server second(o, echo);
  try {
    second.listen();
    FAIL() << "listen should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(first.port())), std::string::npos);
  }
}

}  // namespace
}  // namespace calipso::http
