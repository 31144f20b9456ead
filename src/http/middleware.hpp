// The middleware chain: each step may answer by itself (cache hit, auth failure) or call
// next. The order is fixed at boot in app/: request id + access log + metrics, security
// headers, compression + ETag/304, auth (session or token), page cache, router. Trusted
// proxies are resolved by the server before the chain (http/proxy.hpp).
#pragma once

#include <functional>
#include <vector>

#include "http/message.hpp"
#include "http/router.hpp"

namespace calipso::http {

using Next = std::function<Response(Request&)>;
using Middleware = std::function<Response(Request&, const Next&)>;

class Chain {
 public:
  void use(Middleware m) { steps_.push_back(std::move(m)); }
  // Builds the composed handler ending in `last`.
  Handler build(Handler last) const;

 private:
  std::vector<Middleware> steps_;
};

}  // namespace calipso::http
