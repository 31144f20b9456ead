// Composition of the middleware chain; the steps themselves live in steps.cpp.
#include "http/middleware.hpp"

namespace calipso::http {

Handler Chain::build(Handler last) const {
  // Built from the innermost step outwards, so steps_[0] runs first.
  Handler next = std::move(last);
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it)
    next = [step = *it, inner = std::move(next)](Request& req) { return step(req, inner); };
  return next;
}

}  // namespace calipso::http
