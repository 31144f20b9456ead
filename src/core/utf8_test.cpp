#include "core/utf8.hpp"

#include <gtest/gtest.h>

namespace calipso::core {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii /path?x=1"));
  EXPECT_TRUE(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(valid_utf8("\xEF\xBF\xBF\xF4\x8F\xBF\xBF"));               // U+FFFF, U+10FFFF
}

TEST(Utf8, RefusesMalformedText) {
  EXPECT_FALSE(valid_utf8("\xCB"));  // truncated
  EXPECT_FALSE(
      valid_utf8("we\xCB"
                 "come"));                       // lead byte without continuation
  EXPECT_FALSE(valid_utf8("\x80"));              // lone continuation
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(valid_utf8("\xFF"));
  EXPECT_FALSE(valid_utf8("\xE2\x82"));  // truncated €
}

}  // namespace
}  // namespace calipso::core
