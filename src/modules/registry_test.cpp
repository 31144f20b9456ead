#include <gtest/gtest.h>

#include "modules/module.hpp"

namespace calipso::modules {
namespace {

class Fake : public Module {
 public:
  Fake(std::string name, std::vector<std::string> deps) : name_(std::move(name)), deps_(std::move(deps)) {}
  std::string_view name() const override { return name_; }
  std::vector<std::string> dependencies() const override { return deps_; }
  void attach(Context&) override {}

 private:
  std::string name_;
  std::vector<std::string> deps_;
};

std::vector<std::string> names(const Registry& r) {
  std::vector<std::string> out;
  for (auto* m : r.ordered()) out.emplace_back(m->name());
  return out;
}

TEST(Registry, OrdersModulesAfterTheirDependencies) {
  Registry r;
  r.add(std::make_unique<Fake>("feeds", std::vector<std::string>{"content"}));
  r.add(std::make_unique<Fake>("content", std::vector<std::string>{"users"}));
  r.add(std::make_unique<Fake>("users", std::vector<std::string>{}));
  ASSERT_TRUE(r.resolve());
  EXPECT_EQ(names(r), (std::vector<std::string>{"users", "content", "feeds"}));
}

TEST(Registry, RefusesACycleNamingItsMembers) {
  Registry r;
  r.add(std::make_unique<Fake>("a", std::vector<std::string>{"b"}));
  r.add(std::make_unique<Fake>("b", std::vector<std::string>{"c"}));
  r.add(std::make_unique<Fake>("c", std::vector<std::string>{"a"}));
  auto result = r.resolve();
  ASSERT_FALSE(result);
  for (auto name : {"a", "b", "c"}) EXPECT_NE(result.error().message.find(name), std::string::npos);
}

TEST(Registry, RefusesAnUnknownDependencyAndDuplicates) {
  Registry unknown;
  unknown.add(std::make_unique<Fake>("a", std::vector<std::string>{"missing"}));
  EXPECT_FALSE(unknown.resolve());
  Registry twice;
  twice.add(std::make_unique<Fake>("a", std::vector<std::string>{}));
  twice.add(std::make_unique<Fake>("a", std::vector<std::string>{}));
  EXPECT_FALSE(twice.resolve());
}

}  // namespace
}  // namespace calipso::modules
