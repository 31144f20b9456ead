// Headers, query/form decoding, content negotiation for errors, response constructors.
#include "http/message.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace calipso::http {
namespace {

TEST(Headers, NamesAreCaseInsensitive) {
  Headers h;
  h.add("Content-Type", "text/plain");
  EXPECT_EQ(h.get("content-type"), "text/plain");
  EXPECT_TRUE(h.has("CONTENT-TYPE"));
  EXPECT_FALSE(h.has("Content-Length"));
}

TEST(Headers, SetReplacesAllAndAddKeepsDuplicates) {
  Headers h;
  h.add("Set-Cookie", "a=1");
  h.add("set-cookie", "b=2");
  EXPECT_EQ(h.size(), 2u);
  h.set("SET-COOKIE", "c=3");
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.get("Set-Cookie"), "c=3");
  h.remove("set-cookie");
  EXPECT_EQ(h.size(), 0u);
}

TEST(Request, QueryDecodesPercentAndPlus) {
  Request r;
  r.query_string = "q=hello+world%21&empty=&flag&x%20y=1&q=second";
  EXPECT_EQ(r.query("q"), "hello world!");
  EXPECT_EQ(r.query("empty"), "");
  EXPECT_EQ(r.query("flag"), "");
  EXPECT_EQ(r.query("x y"), "1");
  EXPECT_FALSE(r.query("missing").has_value());
}

TEST(Request, QueryKeepsMalformedEscapesLiterally) {
  Request r;
  r.query_string = "a=100%&b=%zz+1";
  EXPECT_EQ(r.query("a"), "100%");
  EXPECT_EQ(r.query("b"), "%zz 1");
}

TEST(Request, FormParsesUrlEncodedBody) {
  Request r;
  r.headers.set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8");
  r.body = "title=Hello+there&tag=a&tag=b%26c&note=caf%C3%A9";
  auto form = r.form();
  EXPECT_EQ(form.count("tag"), 2u);
  EXPECT_EQ(form.find("title")->second, "Hello there");
  EXPECT_EQ(form.find("note")->second, "caf\xC3\xA9");
  auto [b, e] = form.equal_range("tag");
  std::vector<std::string> tags;
  for (auto it = b; it != e; ++it) tags.push_back(it->second);
  EXPECT_EQ(tags, (std::vector<std::string>{"a", "b&c"}));
}

TEST(Request, FormIgnoresOtherContentTypes) {
  Request r;
  r.headers.set("Content-Type", "application/json");
  r.body = "a=1";
  EXPECT_TRUE(r.form().empty());
}

TEST(Request, ParamIsEmptyWhenAbsent) {
  Request r;
  r.params["id"] = "7";
  EXPECT_EQ(r.param("id"), "7");
  EXPECT_EQ(r.param("nope"), "");
}

TEST(Request, WantsJsonUnderApiOrWhenAcceptPrefersJson) {
  Request r;
  r.path = "/api/v1/content";
  EXPECT_TRUE(r.wants_json());
  r.path = "/apiary";
  EXPECT_FALSE(r.wants_json());
  r.headers.set("Accept", "application/json");
  EXPECT_TRUE(r.wants_json());
  r.headers.set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
  EXPECT_FALSE(r.wants_json());
  r.headers.set("Accept", "*/*");
  EXPECT_FALSE(r.wants_json());
  r.headers.set("Accept", "text/html;q=0.5, application/*");
  EXPECT_TRUE(r.wants_json());
  r.headers.set("Accept", "application/json;q=0, */*");
  EXPECT_FALSE(r.wants_json());
}

TEST(Response, ConstructorsSetTypeWithCharset) {
  EXPECT_EQ(Response::html(200, "x").headers.get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Response::text(201, "x").status, 201);
  auto j = Response::json(200, boost::json::value{{"a", 1}});
  EXPECT_EQ(j.headers.get("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(boost::json::parse(j.body).at("a").as_int64(), 1);
  auto r = Response::redirect(303, "/next");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.headers.get("Location"), "/next");
}

TEST(QueryText, OnlyUtf8WithoutNulPasses) {
  EXPECT_TRUE(decodes_to_text(""));
  EXPECT_TRUE(decodes_to_text("a=1&b=caf%C3%A9&c=x+y&d=100%"));  // a malformed escape is kept as text
  EXPECT_TRUE(decodes_to_text("q=caf\xC3\xA9"));
  EXPECT_FALSE(decodes_to_text("a=%FF"));
  EXPECT_FALSE(decodes_to_text("%C0%AF=1"));
  EXPECT_FALSE(decodes_to_text("a=x%00y"));
  EXPECT_FALSE(decodes_to_text("q=\xCB"));
}

}  // namespace
}  // namespace calipso::http
