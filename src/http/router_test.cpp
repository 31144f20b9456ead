// Router: literal vs parameter precedence, backtracking, 404/405 + Allow, HEAD via GET.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace calipso::http {
namespace {

Handler says(std::string what) {
  return [what](Request&) { return Response::text(200, what); };
}

Request req(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(Router, LiteralBeatsParameter) {
  Router router;
  router.get("/content/{id}", says("param"));
  router.get("/content/new", says("literal"));
  auto r = req("GET", "/content/new");
  EXPECT_EQ(router.dispatch(r).body, "literal");
  auto p = req("GET", "/content/42");
  EXPECT_EQ(router.dispatch(p).body, "param");
  EXPECT_EQ(p.param("id"), "42");
  EXPECT_EQ(p.route, "/content/{id}");
}

TEST(Router, BacktracksFromADeadEndLiteral) {
  Router router;
  router.get("/a/b/c", says("literal"));
  router.get("/a/{x}/d", says("param"));
  auto r = req("GET", "/a/b/d");
  EXPECT_EQ(router.dispatch(r).body, "param");
  EXPECT_EQ(r.param("x"), "b");
}

TEST(Router, RootAndTailParameters) {
  Router router;
  router.get("/", says("home"));
  router.get("/static/{path...}", says("static"));
  auto home = req("GET", "/");
  EXPECT_EQ(router.dispatch(home).body, "home");
  auto file = req("GET", "/static/css/site.css");
  EXPECT_EQ(router.dispatch(file).body, "static");
  EXPECT_EQ(file.param("path"), "css/site.css");
  auto bare = req("GET", "/static");
  EXPECT_EQ(router.dispatch(bare).status, 404);
}

TEST(Router, UnknownPathIs404AndEmptySegmentsDoNotMatch) {
  Router router;
  router.get("/a/{id}", says("a"));
  for (auto path : {"/b", "/a", "/a/", "/a//", "/a/1/2"}) {
    auto r = req("GET", path);
    auto m = router.match(r);
    EXPECT_EQ(m.handler, nullptr) << path;
    EXPECT_TRUE(m.allowed.empty()) << path;
    EXPECT_EQ(router.dispatch(r).status, 404) << path;
  }
}

TEST(Router, WrongMethodIs405WithAllow) {
  Router router;
  router.get("/items", says("list"));
  router.post("/items", says("create"));
  auto r = req("DELETE", "/items");
  auto m = router.match(r);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "HEAD", "POST"}));
  auto res = router.dispatch(r);
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.headers.get("Allow"), "GET, HEAD, POST");
}

TEST(Router, MethodFallsThroughToAParameterRoute) {
  Router router;
  router.get("/items/new", says("form"));
  router.post("/items/{id}", says("update"));
  auto r = req("POST", "/items/new");
  EXPECT_EQ(router.dispatch(r).body, "update");
}

TEST(Router, HeadIsAnsweredByGet) {
  Router router;
  router.get("/page", says("page"));
  auto r = req("HEAD", "/page");
  auto res = router.dispatch(r);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "page");  // the server drops the body but keeps its length
}

TEST(Router, ExplicitHeadRouteWins) {
  Router router;
  router.get("/page", says("get"));
  router.add("HEAD", "/page", says("head"));
  auto r = req("HEAD", "/page");
  EXPECT_EQ(router.dispatch(r).body, "head");
}

TEST(Router, DuplicateRegistrationThrows) {
  Router router;
  router.get("/a/{id}", says("a"));
  EXPECT_THROW(router.get("/a/{slug}", says("b")), std::logic_error);
  EXPECT_NO_THROW(router.post("/a/{slug}", says("c")));
}

TEST(Router, MalformedPatternsThrow) {
  Router router;
  EXPECT_THROW(router.get("nolead", says("x")), std::invalid_argument);
  EXPECT_THROW(router.get("/a//b", says("x")), std::invalid_argument);
  EXPECT_THROW(router.get("/a/{}", says("x")), std::invalid_argument);
  EXPECT_THROW(router.get("/a/{rest...}/b", says("x")), std::invalid_argument);
  EXPECT_THROW(router.get("/a/x{y}", says("x")), std::invalid_argument);
}

TEST(Router, ParamsAreResetOnEachMatch) {
  Router router;
  router.get("/a/{x}", says("x"));
  router.get("/b/{y}", says("y"));
  auto r = req("GET", "/a/1");
  router.dispatch(r);
  r.path = "/b/2";
  router.dispatch(r);
  EXPECT_EQ(r.params.size(), 1u);
  EXPECT_EQ(r.param("y"), "2");
}

}  // namespace
}  // namespace calipso::http
