#include "core/events.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace calipso::core {
namespace {

TEST(Events, BeforeHandlersRunByPriorityAndMayChangeThePayload) {
  Events events;
  std::vector<int> order;
  events.before(
      "x",
      [&](boost::json::value& p) -> Result<void> {
        order.push_back(2);
        p.as_object()["b"] = 2;
        return {};
      },
      5);
  events.before(
      "x",
      [&](boost::json::value& p) -> Result<void> {
        order.push_back(1);
        p.as_object()["a"] = 1;
        return {};
      },
      1);
  boost::json::value payload = boost::json::object{};
  ASSERT_TRUE(events.emit_before("x", payload));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(payload.at("a").as_int64(), 1);
  EXPECT_EQ(payload.at("b").as_int64(), 2);
}

TEST(Events, ABeforeHandlerVetoesAndStopsTheRest) {
  Events events;
  bool later_ran = false;
  events.before("x", [](boost::json::value&) -> Result<void> { return fail(Errc::invalid, "no", "title"); });
  events.before("x", [&](boost::json::value&) -> Result<void> {
    later_ran = true;
    return {};
  });
  boost::json::value payload;
  auto r = events.emit_before("x", payload);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "title");
  EXPECT_FALSE(later_ran);
}

TEST(Events, AThrowingAfterHandlerDoesNotStopOthers) {
  Events events;
  int calls = 0;
  events.after("x", [&](const boost::json::value&) {
    ++calls;
    throw std::runtime_error("boom");
  });
  events.after("x", [&](const boost::json::value&) { ++calls; });
  events.emit_after("x", nullptr);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace calipso::core
