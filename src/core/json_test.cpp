#include "core/json.hpp"

#include <gtest/gtest.h>

namespace calipso::core {
namespace {

TEST(GetString, ReadsStringsAndReportsWhatIsNotOne) {
  auto body = parse_object(R"({"a":"x","n":null,"i":3,"z":"bad\u0000text","e":""})");
  ASSERT_TRUE(body);
  Validation v;
  EXPECT_EQ(get_string(*body, "a", v), "x");
  EXPECT_EQ(get_string(*body, "e", v), "");
  EXPECT_EQ(get_string(*body, "missing", v), std::nullopt);
  EXPECT_EQ(get_string(*body, "n", v), std::nullopt);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(get_string(*body, "i", v), std::nullopt);
  EXPECT_EQ(get_string(*body, "z", v), std::nullopt);
  ASSERT_FALSE(v.ok());
  auto error = v.error();
  std::vector<std::string> fields{error.field};
  for (const auto& other : error.others) fields.push_back(other.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"i", "z"}));
}

}  // namespace
}  // namespace calipso::core
