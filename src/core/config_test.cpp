#include "core/config.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

namespace calipso::core {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    add_core_keys(schema_);
    dir_ = std::filesystem::temp_directory_path() / ("calipso-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    auto path = (dir_ / "c.toml").string();
    std::ofstream(path) << text;
    return path;
  }
  ConfigSchema schema_;
  std::filesystem::path dir_;
};

TEST_F(ConfigTest, DefaultsApplyWithoutFile) {
  auto c = Config::load(schema_, "", {});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->integer("server.port"), 8080);
  EXPECT_EQ(c->str("server.role"), "all");
  EXPECT_EQ(c->str("site.name"), "Calipso");
}

TEST_F(ConfigTest, FileThenEnvironmentOverride) {
  auto file = write("data_dir = \"/tmp/x\"\n[server]\nport = 9000\n[site]\nname = \"From file\"\n");
  auto c = Config::load(schema_, file, {{"CALIPSO_SITE_NAME", "From env"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->integer("server.port"), 9000);
  EXPECT_EQ(c->str("data_dir"), "/tmp/x");
  EXPECT_EQ(c->str("site.name"), "From env");
}

TEST_F(ConfigTest, EnvironmentTypesAreChecked) {
  auto c = Config::load(schema_, "", {{"CALIPSO_SERVER_PORT", "eighty"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().field, "server.port");
  auto ok = Config::load(schema_, "", {{"CALIPSO_SERVER_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->list("server.trusted_proxies"), (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
}

TEST_F(ConfigTest, BadValuesNameTheKey) {
  for (auto text : {"[server]\nport = \"abc\"\n", "[server]\nport = 70000\n", "[server]\nrole = \"boss\"\n",
                    "[database]\nurl = \"mysql://x\"\n"}) {
    auto c = Config::load(schema_, write(text), {});
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.error().code, Errc::invalid);
    EXPECT_FALSE(c.error().field.empty()) << text;
    EXPECT_NE(c.error().message.find(c.error().field), std::string::npos);
  }
}

TEST_F(ConfigTest, UnknownKeyAndSyntaxErrorsAreRefused) {
  auto unknown = Config::load(schema_, write("[server]\nprot = 1\n"), {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "server.prot");
  auto broken = Config::load(schema_, write("[server\nport = 1\n"), {});
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, Errc::invalid);
}

TEST_F(ConfigTest, SiteSettingsLayerOnlyTakesSiteKeys) {
  auto c = Config::load(schema_, "", {});
  ASSERT_TRUE(c);
  std::vector<std::string> rejected;
  auto settings = boost::json::parse(R"({"site":{"name":"DB name","page_size":"x"},"server":{"port":1}})");
  auto layered = c->with_site_settings(settings.as_object(), &rejected);
  EXPECT_EQ(layered.str("site.name"), "DB name");
  EXPECT_EQ(layered.integer("site.page_size"), 10);  // invalid value skipped
  EXPECT_EQ(layered.integer("server.port"), 8080);   // not a site setting
  EXPECT_EQ(rejected.size(), 2u);
}

TEST_F(ConfigTest, StoreSwapsSnapshots) {
  auto c = Config::load(schema_, "", {});
  ASSERT_TRUE(c);
  ConfigStore store(std::move(*c));
  auto before = store.get();
  store.apply_site_settings(boost::json::parse(R"({"site":{"name":"New"}})").as_object());
  EXPECT_EQ(before->str("site.name"), "Calipso");  // a request keeps its snapshot
  EXPECT_EQ(store.get()->str("site.name"), "New");
}

}  // namespace
}  // namespace calipso::core
