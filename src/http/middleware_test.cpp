// Chain composition order and short-circuiting.
#include "http/middleware.hpp"

#include <gtest/gtest.h>

namespace calipso::http {
namespace {

TEST(Chain, StepsRunInOrderAroundTheLastHandler) {
  std::string trace;
  Chain chain;
  chain.use([&](Request& r, const Next& next) {
    trace += "a";
    auto res = next(r);
    trace += "A";
    return res;
  });
  chain.use([&](Request& r, const Next& next) {
    trace += "b";
    auto res = next(r);
    trace += "B";
    return res;
  });
  auto h = chain.build([&](Request&) {
    trace += "h";
    return Response::text(200, "ok");
  });
  Request r;
  EXPECT_EQ(h(r).body, "ok");
  EXPECT_EQ(trace, "abhBA");
}

TEST(Chain, AStepMayAnswerByItself) {
  Chain chain;
  chain.use([](Request&, const Next&) { return Response::text(401, "no"); });
  bool reached = false;
  auto h = chain.build([&](Request&) {
    reached = true;
    return Response::text(200, "ok");
  });
  Request r;
  EXPECT_EQ(h(r).status, 401);
  EXPECT_FALSE(reached);
}

TEST(Chain, EmptyChainIsTheLastHandler) {
  Chain chain;
  auto h = chain.build([](Request&) { return Response::text(204, ""); });
  Request r;
  EXPECT_EQ(h(r).status, 204);
}

}  // namespace
}  // namespace calipso::http
