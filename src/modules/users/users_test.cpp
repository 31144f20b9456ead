#include "modules/users/users.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

namespace calipso::modules::users {
namespace {

TEST(Passwords, HashVerifiesOnlyTheRightPassword) {
  ASSERT_GE(sodium_init(), 0);
  auto hash = hash_password("correct horse");
  EXPECT_TRUE(hash.starts_with("$argon2id$"));
  EXPECT_TRUE(verify_password(hash, "correct horse"));
  EXPECT_FALSE(verify_password(hash, "correct horsE"));
  EXPECT_NE(hash, hash_password("correct horse"));  // salted
}

}  // namespace
}  // namespace calipso::modules::users
