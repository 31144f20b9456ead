// Minimal fixed-response servers differing only in completion style (callbacks vs
// asio::awaitable), to measure what the coroutine style costs per request. `styles PORT cb|co`.
#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
static const std::string kResp =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, world!\n";

// Counts complete requests ("\r\n\r\n") in the buffer and drops them.
static int take_requests(std::string& buf) {
  int n = 0;
  std::size_t pos;
  while ((pos = buf.find("\r\n\r\n")) != std::string::npos) {
    buf.erase(0, pos + 4);
    ++n;
  }
  return n;
}

struct CbConn : std::enable_shared_from_this<CbConn> {
  tcp::socket s;
  std::string buf;
  char tmp[16384];
  std::string out;
  explicit CbConn(tcp::socket sock) : s(std::move(sock)) { s.set_option(tcp::no_delay(true)); }
  void read() {
    s.async_read_some(asio::buffer(tmp), [self = shared_from_this()](boost::system::error_code ec,
                                                                     std::size_t n) {
      if (ec) return;
      self->buf.append(self->tmp, n);
      int k = take_requests(self->buf);
      if (!k) return self->read();
      self->out.clear();
      for (int i = 0; i < k; ++i) self->out += kResp;
      asio::async_write(self->s, asio::buffer(self->out), [self](boost::system::error_code ec, std::size_t) {
        if (!ec) self->read();
      });
    });
  }
};
void cb_accept(tcp::acceptor& a) {
  a.async_accept([&a](boost::system::error_code ec, tcp::socket s) {
    if (!ec) std::make_shared<CbConn>(std::move(s))->read();
    cb_accept(a);
  });
}

asio::awaitable<void> co_conn(tcp::socket s) {
  s.set_option(tcp::no_delay(true));
  std::string buf, out;
  char tmp[16384];
  constexpr auto tok = asio::as_tuple(asio::use_awaitable);
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(tmp), tok);
    if (ec) co_return;
    buf.append(tmp, n);
    int k = take_requests(buf);
    if (!k) continue;
    out.clear();
    for (int i = 0; i < k; ++i) out += kResp;
    auto [wec, wn] = co_await asio::async_write(s, asio::buffer(out), tok);
    if (wec) co_return;
  }
}
asio::awaitable<void> co_accept(tcp::acceptor& a) {
  for (;;) {
    auto [ec, s] = co_await a.async_accept(asio::as_tuple(asio::use_awaitable));
    if (!ec) asio::co_spawn(a.get_executor(), co_conn(std::move(s)), asio::detached);
  }
}

int main(int argc, char** argv) {
  asio::io_context io(1);
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), std::atoi(argv[1])));
  if (std::strcmp(argv[2], "cb") == 0)
    cb_accept(a);
  else
    asio::co_spawn(io, co_accept(a), asio::detached);
  io.run();
}
