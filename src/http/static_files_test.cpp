#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace calipso::http {
namespace {
namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("calipso-static-" + std::to_string(::getpid()));
    fs::create_directories(base_ / "root/t/assets/css");
    std::ofstream(base_ / "root/t/assets/css/site.css") << "body{color:red}";
    std::ofstream(base_ / "root/t/theme.toml") << "secret";
    std::ofstream(base_ / "root/t/assets/.hidden") << "hidden";
    std::ofstream(base_ / "outside.txt") << "outside";
    fs::create_symlink(base_ / "outside.txt", base_ / "root/t/assets/link.txt");
    Chain chain;
    chain.use(static_files({"/themes/", (base_ / "root").string(), [](std::string_view rel) {
                              return rel.find("/assets/") != std::string_view::npos;
                            }}));
    handler_ = chain.build([](Request&) { return Response::text(200, "next"); });
  }
  void TearDown() override { fs::remove_all(base_); }

  Response get(std::string path, std::string query = {}) {
    Request req;
    req.method = "GET";
    req.path = std::move(path);
    req.query_string = std::move(query);
    return handler_(req);
  }

  fs::path base_;
  Handler handler_;
};

TEST_F(StaticFilesTest, ServesAllowedFilesWithTypeAndValidators) {
  auto res = get("/themes/t/assets/css/site.css");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "body{color:red}");
  EXPECT_EQ(res.headers.get("Content-Type"), "text/css; charset=utf-8");
  ASSERT_TRUE(res.headers.get("ETag"));
  EXPECT_TRUE(res.headers.get("Last-Modified"));
  EXPECT_EQ(res.headers.get("Cache-Control"), "public, max-age=300");
  EXPECT_EQ(get("/themes/t/assets/css/site.css", "v=abc").headers.get("Cache-Control"),
            "public, max-age=31536000, immutable");

  Request again;
  again.method = "GET";
  again.path = "/themes/t/assets/css/site.css";
  again.headers.set("If-None-Match", std::string(*res.headers.get("ETag")));
  auto cached = handler_(again);
  EXPECT_EQ(cached.status, 304);
  EXPECT_TRUE(cached.body.empty());
}

TEST_F(StaticFilesTest, RefusesEscapesHiddenFilesAndDisallowedPaths) {
  for (auto path : {"/themes/t/assets/../theme.toml", "/themes/t/theme.toml", "/themes/t/assets/.hidden",
                    "/themes/t/assets/link.txt", "/themes/t/assets//css/site.css", "/themes/t/assets/css/",
                    "/themes/t/assets/missing.css"})
    EXPECT_EQ(get(path).status, 404) << path;
}

TEST_F(StaticFilesTest, OtherPathsAndMethodsPassThrough) {
  EXPECT_EQ(get("/elsewhere").body, "next");
  Request post;
  post.method = "POST";
  post.path = "/themes/t/assets/css/site.css";
  EXPECT_EQ(handler_(post).body, "next");
}

TEST(ContentType, ByExtension) {
  EXPECT_EQ(content_type_for("a/b.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("x.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("dir.v1/file"), "application/octet-stream");
}

}  // namespace
}  // namespace calipso::http
