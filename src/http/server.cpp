// The HTTP/1.1 server. One C++20 coroutine per connection on its own strand; Beast's
// basic_parser is fed by hand so we can see the raw header bytes, time the request from its
// first byte, and answer Expect: 100-continue between header and body. Responses are
// serialised straight from our Response (head into a per-connection buffer, body sent from
// where the handler left it) rather than copied into a Beast message first.
#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/url/grammar/string_token.hpp>
#include <boost/url/pct_string_view.hpp>

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstring>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/random.hpp"
#include "core/utf8.hpp"
#include "http/errors.hpp"
#include "http/negotiate.hpp"
#include "http/proxy.hpp"
#include "http/steps.hpp"

namespace calipso::http {

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 16 * 1024;
// After refusing a request we read (and drop) what the client still sends for a moment
// before closing, so our answer is not destroyed by a TCP reset (lingering close).
constexpr auto kLinger = std::chrono::milliseconds(2000);
constexpr std::size_t kLingerBytes = 1 << 20;

// Splits the target into path and query and decodes the path. Refused (400): targets that
// are not origin-form (except "*" for OPTIONS), a fragment, malformed escapes, NUL, text that
// does not decode to UTF-8, and "."
// or ".." segments. Browsers and curl resolve dot segments before sending, so refusing them
// costs legitimate clients nothing and keeps "%2e%2e" traversal away from every handler.
bool set_target(Request& req, std::string_view method, std::string_view target) {
  req.target.assign(target);
  if (target == "*") {
    req.path = "*";
    return method == "OPTIONS";
  }
  if (target.empty() || target[0] != '/' || target.find('#') != std::string_view::npos) return false;
  auto q = target.find('?');
  auto raw_path = target.substr(0, q);
  if (q != std::string_view::npos) req.query_string.assign(target.substr(q + 1));
  if (raw_path.find('%') == std::string_view::npos) {
    req.path.assign(raw_path);
  } else {
    auto pct = boost::urls::make_pct_string_view(raw_path);
    if (!pct) return false;
    pct->decode({}, boost::urls::string_token::assign_to(req.path));
    if (req.path.find('\0') != std::string::npos) return false;
  }
  // Paths and query parameters reach aliases and database queries as text: they must be
  // UTF-8 without NUL once decoded (PostgreSQL refuses anything else; SQLite would store it).
  if (!core::valid_utf8(req.path) || !decodes_to_text(req.query_string)) return false;
  std::string_view rest = req.path;
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the '/'
    auto seg = rest.substr(0, rest.find('/'));
    if (seg == "." || seg == "..") return false;
    rest.remove_prefix(seg.size());
  }
  return true;
}

// Feeds a Request directly (no intermediate Beast message) and adds the checks Beast's
// parser leaves to us: header count, Transfer-Encoding other than a single "chunked" (Beast
// treats "gzip" alone as no body and "chunked, chunked" as unframed), Transfer-Encoding with
// Content-Length in either order, Host presence, and the request target.
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  RequestParser(Request& req, const ServerOptions& o) : req_(req), max_fields_(o.max_header_count) {
    header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
    body_limit(static_cast<std::uint64_t>(o.max_body_bytes));
    eager(false);  // stop after the header so the connection can check it before the body
  }
  // The status our own checks chose; 0 when the error (if any) came from Beast.
  int reject_status() const { return reject_; }
  int version() const { return version_; }

 private:
  void refuse(int status, error_code& ec) {
    reject_ = status;
    ec = bhttp::error::bad_value;
  }

  using sv = boost::beast::string_view;  // boost::core::string_view in 1.81, converts to std's

  void on_request_impl(bhttp::verb, sv method, sv target, int version, error_code& ec) override {
    version_ = version;
    req_.method.assign(method.data(), method.size());
    if (!set_target(req_, std::string_view(method), std::string_view(target))) refuse(400, ec);
  }
  void on_response_impl(int, sv, int, error_code&) override {}

  void on_field_impl(bhttp::field f, sv name_sv, sv value_sv, error_code& ec) override {
    std::string_view name = name_sv, value = value_sv;
    if (++fields_ > max_fields_) return refuse(431, ec);
    if (in_trailer_) return;  // trailer fields are not merged into the header (RFC 9110 §6.5.1)
    switch (f) {
      case bhttp::field::transfer_encoding:
        ++te_count_;
        te_chunked_ = iequals(trim_ows(value), "chunked");
        break;
      case bhttp::field::content_length: has_length_ = true; break;
      case bhttp::field::host: ++host_count_; break;
      default: break;
    }
    req_.headers.add(name, std::string(value));
  }

  void on_header_impl(error_code& ec) override {
    in_trailer_ = true;
    if (te_count_ > 0 && (te_count_ > 1 || !te_chunked_ || has_length_)) return refuse(400, ec);
    if (host_count_ > 1 || (version_ >= 11 && host_count_ == 0)) return refuse(400, ec);
  }

  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) req_.body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(sv body, error_code&) override {
    req_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, sv, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, sv body, error_code&) override {
    req_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  Request& req_;
  std::size_t max_fields_;
  std::size_t fields_ = 0;
  int reject_ = 0;
  int version_ = 11;
  int te_count_ = 0;
  int host_count_ = 0;
  bool te_chunked_ = false;
  bool has_length_ = false;
  bool in_trailer_ = false;
};

// Beast joins obsolete line folding into the value silently; RFC 9112 §5.2 lets a server
// refuse it, and we do, since intermediaries disagree on how to read folded lines.
bool has_obs_fold(const char* p, std::size_t n) {
  for (std::size_t i = 0; i + 1 < n; ++i)
    if (p[i] == '\n' && (p[i + 1] == ' ' || p[i + 1] == '\t')) return true;
  return false;
}

int status_for_parse_error(const error_code& ec) {
  if (ec == bhttp::error::header_limit) return 431;
  if (ec == bhttp::error::body_limit) return 413;
  return 400;
}

// RFC 9110 token characters, as a table: this runs for every byte of every response header name.
constexpr auto kTchar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool valid_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!kTchar[static_cast<unsigned char>(c)]) return false;
  return true;
}

// CR, LF or NUL in a value would let a handler (or data it echoes) split the response.
bool valid_field_value(std::string_view value) {
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

// Headers the server writes itself; a handler's copies are ignored.
bool server_owned(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         iequals(name, "Connection") || iequals(name, "Date") || iequals(name, "Server") ||
         iequals(name, "Keep-Alive");
}

// A HEAD answer announces the GET body's length. A handler that knows it without building
// the body (a file's size) may leave the body empty and set Content-Length itself.
std::uint64_t head_length(const Response& res) {
  if (!res.body.empty()) return res.body.size();
  auto declared = res.headers.get("Content-Length");
  if (!declared) return 0;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(declared->data(), declared->data() + declared->size(), n);
  return ec == std::errc{} && end == declared->data() + declared->size() ? n : 0;
}

bool has_close_token(std::string_view value) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (iequals(trim_ows(value.substr(0, comma)), "close")) return true;
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
  return false;
}

// The Date header changes once a second; each thread formats it once per second.
std::string_view date_now() {
  thread_local std::int64_t second = -1;
  thread_local std::string text;
  auto us = core::now_us();
  if (us / 1000000 != second) {
    second = us / 1000000;
    text = core::http_date(us);
  }
  return text;
}

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

void log_exception(std::string_view what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log::error("http {}: {}", what, ex.what());
  } catch (...) {
    log::error("http {}: unknown exception", what);
  }
}

}  // namespace

// Named (not anonymous) because Server::Impl, which has external linkage, holds them.
namespace wire {
class Connection;

// The server's shared state; Server::Impl is this under the name the header declares.
struct State {
  ServerOptions options;
  Handler handler;
  TrustedProxies proxies;
  // Reset explicitly, before everything else, in ~State: destroying it destroys pending
  // coroutines, whose connections still touch the members below.
  std::optional<asio::io_context> io;
  std::optional<asio::strand<asio::io_context::executor_type>> strand;  // acceptor, signals, drain timer
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::signal_set> signals;
  std::optional<asio::steady_timer> drain_timer;
  std::atomic<std::size_t> open{0};
  std::atomic<bool> stopping{false};
  bool stop_started = false;  // on strand
  bool destroying = false;
  int drain_ms = 10000;
  std::mutex registry_mutex;
  std::list<std::weak_ptr<Connection>> registry;

  State(ServerOptions o, Handler h)
      : options(std::move(o)), handler(std::move(h)), proxies(options.trusted_proxies) {
    io.emplace(std::max(1, options.threads));
    strand.emplace(asio::make_strand(*io));
  }
  ~State();

  void begin_stop();
  void connection_closed();
  asio::awaitable<void> accept_loop();
};

}  // namespace wire

using wire::Connection;

struct Server::Impl : wire::State {
  using State::State;
};

namespace wire {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(State& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {
    ++server_.open;
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) {
      auto addr = ep.address();
      if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
      peer_ = addr.to_string();
    }
    head_.reserve(512);
  }

  ~Connection() {
    {
      std::lock_guard lock(server_.registry_mutex);
      if (registered_) server_.registry.erase(registry_pos_);
    }
    server_.connection_closed();
  }

  void start() {
    {
      std::lock_guard lock(server_.registry_mutex);
      registry_pos_ = server_.registry.insert(server_.registry.end(), weak_from_this());
      registered_ = true;
    }
    auto ex = socket_.get_executor();
    asio::co_spawn(ex, watchdog(shared_from_this()),
                   [](std::exception_ptr e) { log_exception("watchdog", e); });
    asio::co_spawn(ex, serve(shared_from_this()),
                   [](std::exception_ptr e) { log_exception("connection", e); });
  }

  asio::any_io_executor executor() { return socket_.get_executor(); }

  // Graceful stop: a connection waiting for its next request is closed now; one with a
  // request under way finishes it and closes after the response (Connection: close).
  void stop_if_idle() {
    error_code ec;
    if (idle_ && !closed_) socket_.cancel(ec);
  }

  void force_close() { close(); }

 private:
  static asio::awaitable<void> serve(std::shared_ptr<Connection> self) {
    co_await self->serve_loop();
    self->close();
  }

  // Deadlines without a timer operation per request: the watchdog sleeps until the
  // deadline it last saw and re-checks; only a deadline moved earlier wakes it.
  static asio::awaitable<void> watchdog(std::shared_ptr<Connection> self) {
    auto& c = *self;
    while (!c.closed_) {
      c.timer_expiry_ = c.deadline_;
      c.timer_.expires_at(c.deadline_);
      co_await c.timer_.async_wait(use_tuple);
      if (c.closed_) break;
      if (Clock::now() >= c.deadline_) {
        c.timed_out_ = true;
        c.deadline_ = Clock::time_point::max();
        error_code ec;
        c.socket_.cancel(ec);
      }
    }
  }

  void arm_until(Clock::time_point when) {
    timed_out_ = false;
    deadline_ = when;
    if (deadline_ < timer_expiry_) timer_.cancel();
  }
  void arm(int ms) { arm_until(Clock::now() + std::chrono::milliseconds(ms)); }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    timer_.cancel();
  }

  void reset_request() {
    req_.method.clear();
    req_.target.clear();
    req_.path.clear();
    req_.query_string.clear();
    req_.headers.clear();
    // Keep a small body buffer for the next request, but not a large upload's.
    if (req_.body.capacity() > 64 * 1024)
      std::string().swap(req_.body);
    else
      req_.body.clear();
    req_.remote_addr.clear();
    req_.secure = false;
    req_.request_id.clear();
    req_.start_us = 0;
    req_.route.clear();
    req_.params.clear();
    req_.principal.reset();
  }

  asio::awaitable<void> serve_loop() {
    auto& opt = server_.options;
    for (;;) {
      reset_request();
      parser_.emplace(req_, opt);
      bool header_seen = false, request_armed = false, began = false;
      idle_ = buffer_.size() == 0;
      if (idle_) {
        if (server_.stopping) co_return;
        arm(opt.idle_timeout_ms);
      }
      int error_status = 0;
      for (;;) {
        if (buffer_.size() > 0) {
          idle_ = false;
          if (!began) began = true, request_began_ = Clock::now();
          error_code ec;
          auto data = buffer_.data();
          std::size_t n = parser_->put(data, ec);
          bool header_now = !header_seen && parser_->is_header_done();
          if (header_now) {
            header_seen = true;
            // With eager(false) the call that completes the header consumes exactly it.
            if (has_obs_fold(static_cast<const char*>(data.data()), n)) {
              error_status = 400;
              break;
            }
          }
          buffer_.consume(n);
          if (ec && ec != bhttp::error::need_more) {
            error_status = parser_->reject_status() ? parser_->reject_status() : status_for_parse_error(ec);
            break;
          }
          if (header_now) {
            int status = co_await after_header();
            if (status < 0) co_return;
            if (status > 0) {
              error_status = status;
              break;
            }
            parser_->eager(true);
          }
          if (parser_->is_done()) break;
          if (!ec && buffer_.size() > 0) continue;
        }
        if (!idle_ && !request_armed) {
          arm_until(request_began_ + std::chrono::milliseconds(opt.request_timeout_ms));
          request_armed = true;
        }
        auto [rec, n] = co_await socket_.async_read_some(buffer_.prepare(kReadChunk), use_tuple);
        if (rec || timed_out_) {
          if (timed_out_ && !idle_) {
            error_status = 408;
            break;
          }
          co_return;  // peer closed, idle timeout, or stop() while idle
        }
        buffer_.commit(n);
      }
      if (error_status) {
        co_await refuse(error_status);
        co_return;
      }
      if (!co_await respond()) co_return;
    }
  }

  // Expect: 100-continue gets its interim answer before we wait for the body; any other
  // expectation is refused (417). Returns 0 to go on, a status to refuse, -1 when the
  // connection broke.
  asio::awaitable<int> after_header() {
    auto expect = req_.headers.get("Expect");
    if (!expect) co_return 0;
    if (!iequals(trim_ows(*expect), "100-continue")) co_return 417;
    if (parser_->is_done() || buffer_.size() > 0 || parser_->version() < 11) co_return 0;
    static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
    arm(server_.options.idle_timeout_ms);
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(k100.data(), k100.size()), use_tuple);
    if (ec || timed_out_) co_return -1;
    arm_until(request_began_ + std::chrono::milliseconds(server_.options.request_timeout_ms));
    co_return 0;
  }

  // Runs the handler and writes its answer; false when the connection is to be closed.
  asio::awaitable<bool> respond() {
    bool head = req_.method == "HEAD";
    bool keep = parser_->keep_alive();
    req_.start_us = core::now_us();
    apply_forwarded(req_, peer_, server_.proxies);
    Response res;
    try {
      res = server_.handler(req_);
    } catch (const std::exception& e) {
      res = handler_failed(e.what());
    } catch (...) {
      res = handler_failed("unknown exception");
    }
    if (server_.stopping) keep = false;
    if (auto c = res.headers.get("Connection"); c && has_close_token(*c)) keep = false;
    bool ok = co_await write_response(res, head, keep);
    if (ok && !keep) co_await linger_close();
    co_return ok&& keep;
  }

  // Normally the observe step catches first; this is the backstop for a chain without it.
  // The request id ties the log line to what the client reports.
  Response handler_failed(std::string_view what) {
    if (req_.request_id.empty()) req_.request_id = new_request_id();
    log::error("request {} {} {} failed: {}", req_.request_id, req_.method, req_.target, what);
    Response res = error_response(req_, 500);
    res.headers.set("X-Request-Id", req_.request_id);
    return res;
  }

  // A protocol error or limit: answer with the status (JSON or HTML per error_response),
  // count it, and close.
  asio::awaitable<void> refuse(int status) {
    log::debug("http {} from {}: {} {}", status, peer_, req_.method, req_.target);
    std::chrono::duration<double> took = Clock::now() - request_began_;
    core::Metrics::global().observe_request(req_.method.empty() ? "OTHER" : req_.method, "unmatched", status,
                                            took.count());
    Response res = error_response(req_, status);
    if (co_await write_response(res, req_.method == "HEAD", false)) co_await linger_close();
  }

  asio::awaitable<bool> write_response(Response& res, bool head, bool keep) {
    int status = res.status;
    if (status < 100 || status > 599) {
      log::error("handler answered status {} for {}; sending 500", status, req_.target);
      res = error_response(req_, 500);
      status = 500;
    }
    bool bodiless = status < 200 || status == 204 || status == 304;
    auto& h = head_;
    h.clear();
    h += "HTTP/1.1 ";
    append_number(h, static_cast<std::uint64_t>(status));
    h += ' ';
    h += reason(status);
    h += "\r\n";
    for (auto& [name, value] : res.headers) {
      if (server_owned(name)) continue;
      if (!valid_field_name(name) || !valid_field_value(value)) {
        log::warn("dropping invalid response header \"{}\" for {}", name, req_.target);
        continue;
      }
      h += name;
      h += ": ";
      h += value;
      h += "\r\n";
    }
    h += "Date: ";
    h += date_now();
    h += "\r\nServer: calipso\r\n";
    if (!bodiless) {
      h += "Content-Length: ";
      append_number(h, head ? head_length(res) : res.body.size());
      h += "\r\n";
    }
    if (!keep)
      h += "Connection: close\r\n";
    else if (parser_ && parser_->version() == 10)
      h += "Connection: keep-alive\r\n";
    h += "\r\n";

    bool with_body = !head && !bodiless && !res.body.empty();
    std::array<asio::const_buffer, 2> buffers{asio::buffer(h), asio::buffer(res.body)};
    arm(server_.options.idle_timeout_ms);  // a client must read its answer within the idle timeout
    error_code ec;
    if (with_body)
      std::tie(ec, std::ignore) = co_await asio::async_write(socket_, buffers, use_tuple);
    else
      std::tie(ec, std::ignore) = co_await asio::async_write(socket_, asio::buffer(h), use_tuple);
    co_return !ec && !timed_out_;
  }

  asio::awaitable<void> linger_close() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    arm_until(Clock::now() + std::min<Clock::duration>(
                                 kLinger, std::chrono::milliseconds(server_.options.request_timeout_ms)));
    std::size_t drained = 0;
    while (!timed_out_ && drained < kLingerBytes) {
      buffer_.clear();
      auto [rec, n] = co_await socket_.async_read_some(buffer_.prepare(kReadChunk), use_tuple);
      if (rec) break;
      drained += n;
    }
    close();
  }

  State& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  std::string head_;
  Request req_;
  std::optional<RequestParser> parser_;
  std::string peer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point timer_expiry_ = Clock::time_point::max();
  Clock::time_point request_began_;
  bool idle_ = true;
  bool timed_out_ = false;
  bool closed_ = false;
  bool registered_ = false;
  std::list<std::weak_ptr<Connection>>::iterator registry_pos_;
};

}  // namespace wire

namespace {

// Over max_connections: a short 503 written without waiting, then close. Existing
// connections are not touched.
void refuse_connection(tcp::socket& socket) {
  static constexpr std::string_view k503 =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
  error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(k503.data(), k503.size()), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

}  // namespace

wire::State::~State() {
  destroying = true;
  error_code ec;
  if (acceptor) acceptor->close(ec);
  if (io) io->stop();
  // Pending coroutines (and their connections) go with the io_context; the objects bound
  // to it must go before it.
  drain_timer.reset();
  signals.reset();
  acceptor.reset();
  strand.reset();
  io.reset();
}

void wire::State::connection_closed() {
  if (--open == 0 && stopping && !destroying)
    asio::post(*strand, [this] {
      if (drain_timer) drain_timer->cancel();
    });
}

void wire::State::begin_stop() {
  stopping = true;
  asio::post(*strand, [this] {
    if (stop_started) return;
    stop_started = true;
    error_code ec;
    if (acceptor) acceptor->close(ec);
    if (signals) signals->cancel(ec);
    std::vector<std::shared_ptr<Connection>> live;
    {
      std::lock_guard lock(registry_mutex);
      for (auto& weak : registry)
        if (auto c = weak.lock()) live.push_back(std::move(c));
    }
    for (auto& c : live) asio::post(c->executor(), [c] { c->stop_if_idle(); });
    drain_timer.emplace(*io, std::chrono::milliseconds(drain_ms));
    drain_timer->async_wait(asio::bind_executor(*strand, [this](error_code ec) {
      if (ec) return;  // cancelled: every connection finished in time
      log::warn("drain timeout after {} ms: closing {} connection(s)", drain_ms, open.load());
      std::vector<std::shared_ptr<Connection>> rest;
      {
        std::lock_guard lock(registry_mutex);
        for (auto& weak : registry)
          if (auto c = weak.lock()) rest.push_back(std::move(c));
      }
      for (auto& c : rest) asio::post(c->executor(), [c] { c->force_close(); });
      io->stop();
    }));
    if (open == 0) drain_timer->cancel();
  });
}

asio::awaitable<void> wire::State::accept_loop() {
  for (;;) {
    asio::any_io_executor ex = options.threads > 1 ? asio::any_io_executor(asio::make_strand(*io))
                                                   : asio::any_io_executor(io->get_executor());
    auto [ec, socket] = co_await acceptor->async_accept(ex, use_tuple);
    if (stopping || ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      // Out of descriptors and the like: back off instead of spinning on the error.
      log::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (open >= options.max_connections) {
      refuse_connection(socket);
      continue;
    }
    std::make_shared<Connection>(*this, std::move(socket))->start();
  }
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

void Server::listen() {
  auto& s = *impl_;
  auto& o = s.options;
  s.acceptor.emplace(*s.io);
  error_code ec;
  if (o.listen_fd >= 0) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(o.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("listen_fd " + std::to_string(o.listen_fd) +
                               " is not a socket: " + std::strerror(errno));
    s.acceptor->assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), o.listen_fd, ec);
    if (ec)
      throw std::runtime_error("cannot adopt listen_fd " + std::to_string(o.listen_fd) + ": " + ec.message());
    int listening = 0;
    socklen_t optlen = sizeof listening;
    ::getsockopt(o.listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen);
    if (!listening) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on listen_fd: " + ec.message());
    return;
  }
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(o.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, o.port);
  } else {
    tcp::resolver resolver(*s.io);
    auto results = resolver.resolve(o.host, std::to_string(o.port), tcp::resolver::passive, ec);
    if (ec || results.empty())
      throw std::runtime_error("cannot resolve listen address " + o.host + ": " +
                               (ec ? ec.message() : "no address"));
    endpoint = results.begin()->endpoint();
  }
  auto where = o.host + ":" + std::to_string(o.port);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    s.acceptor.reset();
    std::string hint = ec == asio::error::address_in_use
                           ? " (another server is using the port: stop it, or pick another with --port or "
                             "server.port)"
                           : "";
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message() + hint);
  }
}

std::uint16_t Server::port() const {
  error_code ec;
  if (!impl_->acceptor || !impl_->acceptor->is_open()) return 0;
  auto ep = impl_->acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::run(int drain_ms) {
  auto& s = *impl_;
  if (!s.acceptor) listen();
  s.drain_ms = drain_ms;
  s.signals.emplace(*s.io, SIGINT, SIGTERM);
  s.signals->async_wait(asio::bind_executor(*s.strand, [&s](error_code ec, int signal) {
    if (ec) return;
    log::info("signal {}: no longer accepting, draining open requests", signal);
    s.begin_stop();
  }));
  asio::co_spawn(*s.strand, s.accept_loop(), [](std::exception_ptr e) { log_exception("accept loop", e); });

  auto work = [&s] {
    // An exception escaping a completion handler must not end the thread: the rest of the
    // connections are still being served by it.
    for (;;) {
      try {
        s.io->run();
        return;
      } catch (const std::exception& e) {
        log::error("http io thread: {}", e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < s.options.threads; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
}

void Server::stop() { impl_->begin_stop(); }

std::size_t Server::open_connections() const { return impl_->open.load(); }

}  // namespace calipso::http
