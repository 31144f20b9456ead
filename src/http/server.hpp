// The HTTP/1.1 server: Beast + Asio behind this small header. N threads run one
// io_context; handlers are called synchronously on those threads.
//
// What clients see (details in server.cpp):
// - 400 + close for ambiguous framing (Content-Length with Transfer-Encoding, differing or
//   malformed Content-Length, Transfer-Encoding other than a single "chunked"), obs-fold,
//   bad field names, a bad request line, a missing or repeated Host on HTTP/1.1, targets
//   not starting with '/' ("*" only for OPTIONS), fragments, NUL, and "."/".." segments
//   (refused, not resolved: conforming clients never send them).
// - 431 + close past max_header_bytes or max_header_count; 413 + close past max_body_bytes
//   (declared length up front, chunked bodies as they arrive); 408 + close when a started
//   request is not complete within request_timeout_ms; silent close after idle_timeout_ms
//   without a request. Writes must progress within idle_timeout_ms.
// - Over max_connections a new connection gets 503 and is closed; others are unaffected.
// - Trusted proxies (X-Forwarded-For/Proto/Host) are applied before the handler runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/router.hpp"

namespace calipso::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: pick a free port (see Server::port())
  int threads = 1;
  int listen_fd = -1;  // an already-bound listening socket (cluster workers); overrides host/port
  std::size_t max_connections = 10000;
  std::size_t max_body_bytes = 8 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::size_t max_header_count = 100;
  int request_timeout_ms = 30000;            // whole request (headers + body) must arrive in this time
  int idle_timeout_ms = 60000;               // keep-alive wait for the next request
  std::vector<std::string> trusted_proxies;  // addresses whose X-Forwarded-* are believed
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();

  // Binds; throws std::runtime_error with a clear message when the port is taken.
  void listen();
  std::uint16_t port() const;
  // Runs until stop() or SIGTERM/SIGINT; then stops accepting, lets in-flight requests
  // finish (up to `drain_ms`), and returns.
  void run(int drain_ms = 10000);
  void stop();  // thread-safe

  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace calipso::http
