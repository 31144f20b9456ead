#include "modules/content/content.hpp"

#include <gtest/gtest.h>

namespace calipso::modules::content {
namespace {

TEST(Slugify, MakesReadableAliases) {
  EXPECT_EQ(slugify("Hello, World!"), "hello-world");
  EXPECT_EQ(slugify("  Don't   panic  "), "dont-panic");
  EXPECT_EQ(slugify("C++20 & SQLite 3.40"), "c-20-sqlite-3-40");
  EXPECT_EQ(slugify("¡¿!!"), "item");
  EXPECT_EQ(slugify("Admin"), "admin-item");  // reserved word
  EXPECT_LE(slugify(std::string(500, 'a')).size(), 80u);
}

TEST(AliasAllowed, RefusesReservedAndUnsafeAliases) {
  EXPECT_TRUE(alias_allowed("custom-path"));
  EXPECT_TRUE(alias_allowed("post_2"));
  for (auto bad : {"", "api", "metrics", "Upper", "with space", "a/b", "-lead", "trail-", "dot.html", "é"})
    EXPECT_FALSE(alias_allowed(bad)) << bad;
}

TEST(ContentJson, CarriesTheContractFields) {
  Item item;
  item.id = 7;
  item.title = "T";
  item.alias = std::string(1, 't');  // not = "t": GCC 12 warns falsely (-Wrestrict, bug 105329)
  item.status = "draft";
  auto o = to_json(item);
  for (auto key : {"id", "title", "alias", "status", "body", "body_html", "url", "created", "published"})
    EXPECT_TRUE(o.contains(key)) << key;
  EXPECT_TRUE(o.at("published").is_null());
  EXPECT_EQ(o.at("url").as_string(), "/t");
}

}  // namespace
}  // namespace calipso::modules::content
