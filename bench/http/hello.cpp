// Hello-world server on calipso::http::Server for load tests: `hello PORT THREADS [chain]`;
// "chain" adds the observe, security-header and ETag/compression steps.
#include <cstdlib>
#include <iostream>
#include "core/log.hpp"
#include "http/server.hpp"
#include "http/steps.hpp"
using namespace calipso::http;
int main(int argc, char** argv) {
  calipso::log::setup("warn");
  ServerOptions o;
  o.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  o.threads = std::atoi(argv[2]);
  bool chain = argc > 3 && std::string(argv[3]) == "chain";
  Handler hello = [](Request&) { return Response::text(200, "Hello, world!\n"); };
  Handler h = hello;
  if (chain) {
    Chain c;
    c.use(observe({.access_log = false}));
    c.use(security_headers());
    c.use(conditional_compress());
    h = c.build(hello);
  }
  Server s(o, h);
  s.listen();
  s.run(1000);
}
