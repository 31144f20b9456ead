#include "core/memo.hpp"

#include <gtest/gtest.h>

namespace calipso::core {
namespace {

TEST(Memo, LoadsOnceUntilInvalidated) {
  Memo<int> memo;
  int loads = 0;
  auto load = [&] { return ++loads; };
  EXPECT_EQ(*memo.get(load), 1);
  EXPECT_EQ(*memo.get(load), 1);
  memo.invalidate();
  EXPECT_EQ(*memo.get(load), 2);
  EXPECT_EQ(loads, 2);
}

TEST(Memo, ALoadThatRacedWithAnInvalidationIsNotKept) {
  Memo<int> memo;
  int loads = 0;
  auto value = memo.get([&] {
    memo.invalidate();  // a change lands while we read the old state
    return ++loads;
  });
  EXPECT_EQ(*value, 1);
  EXPECT_EQ(*memo.get([&] { return ++loads; }), 2);
}

}  // namespace
}  // namespace calipso::core
