// Load-time partial inlining and the view conversion.
#include <gtest/gtest.h>

#include <sstream>

#include <boost/json.hpp>

#include <deque>
#include <map>

#include "render/partials.hpp"
#include "render/view.hpp"

namespace calipso::render {
namespace {

class Partials : public ::testing::Test {
 protected:
  Result<std::string> expand(std::string_view source) {
    return inline_partials("page.mustache", source, [this](std::string_view name) -> const PartialSource* {
      auto it = sources_.find(std::string(name));
      return it == sources_.end() ? nullptr : &it->second;
    });
  }
  void add(const std::string& name, std::string_view text) {
    const std::string& file = files_.emplace_back("partials/" + name);
    sources_[name] = PartialSource{file, text};
  }
  std::deque<std::string> files_;  // PartialSource holds views; these keep the names alive
  std::map<std::string, PartialSource> sources_;
};

TEST_F(Partials, InlineTagIsReplacedInPlace) {
  add("who", "{{name}}");
  auto out = expand("Hello {{> who}}!");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "Hello {{name}}!");
}

TEST_F(Partials, StandaloneTagTakesTheLineAndIndentsEachLine) {
  add("item", "<li>\n  {{x}}\n</li>\n");
  auto out = expand("<ul>\n  {{> item}}\n</ul>\n");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "<ul>\n  <li>\n    {{x}}\n  </li>\n</ul>\n");
}

TEST_F(Partials, NestedPartialsExpand) {
  add("outer", "[{{> inner}}]");
  add("inner", "in");
  auto out = expand("{{>outer}}");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "[in]");
}

TEST_F(Partials, StandaloneCommentLinesAreDropped) {
  auto out = expand("{{! about this file }}\n<p>{{! inline }}x</p>\n");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "<p>{{! inline }}x</p>\n");
}

TEST_F(Partials, TripleMustachesAreLeftAlone) {
  auto out = expand("{{{body}}} {{title}}");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "{{{body}}} {{title}}");
}

TEST_F(Partials, UnknownPartialNamesTheFileAndLine) {
  auto out = expand("a\nb {{> nope}}\n");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::invalid);
  EXPECT_NE(out.error().message.find("page.mustache:2"), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("nope"), std::string::npos) << out.error().message;
}

TEST_F(Partials, RecursionIsRefused) {
  add("a", "{{> b}}");
  add("b", "{{> a}}");
  auto out = expand("{{> a}}");
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("partials/b"), std::string::npos) << out.error().message;
}

TEST_F(Partials, SetDelimiterIsRefused) {
  auto out = expand("{{=<% %>=}}");
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("page.mustache:1"), std::string::npos) << out.error().message;
}

TEST(WithLineNumber, AddsTheLineOfAByteOffset) {
  EXPECT_EQ(with_line_number("a\nb\nc", "Unclosed tag at 4"), "Unclosed tag at 4 (line 3)");
  EXPECT_EQ(with_line_number("abc", "no offset here"), "no offset here");
}

TEST(ToData, KeepsShapeAndTurnsScalarsIntoText) {
  auto view = to_data(boost::json::parse(
      R"({"s":"x","i":-3,"u":18446744073709551615,"d":2.5,"t":true,"f":false,"n":null,"e":"",)"
      R"("list":[{"a":1},{"a":2}],"obj":{"k":"v"}})"));
  ASSERT_TRUE(view.is_object());
  EXPECT_EQ(view.get("s")->string_value(), "x");
  EXPECT_EQ(view.get("i")->string_value(), "-3");
  EXPECT_EQ(view.get("u")->string_value(), "18446744073709551615");
  EXPECT_EQ(view.get("d")->string_value(), "2.5");
  EXPECT_TRUE(view.get("t")->is_true());
  EXPECT_TRUE(view.get("f")->is_false());
  EXPECT_TRUE(view.get("n")->is_false());
  EXPECT_TRUE(view.get("e")->is_false());  // so that {{#e}} skips it, as in mustache.js
  ASSERT_TRUE(view.get("list")->is_list());
  ASSERT_EQ(view.get("list")->list_value().size(), 2u);
  EXPECT_EQ(view.get("list")->list_value()[1].get("a")->string_value(), "2");
  EXPECT_EQ(view.get("obj")->get("k")->string_value(), "v");
}

std::string render_with(const std::string& tpl, std::initializer_list<const char*> layers_json) {
  std::vector<Data> layers;
  for (const char* j : layers_json) layers.push_back(to_data(boost::json::parse(j)));
  ViewStack view;
  for (const auto& layer : layers) view.push(&layer);  // the last is searched first
  kainjow::mustache::mustache m(tpl);
  EXPECT_TRUE(m.is_valid()) << m.error_message();
  std::ostringstream out;
  m.render(view, out);
  return out.str();
}

TEST(ViewStack, FindsPlainNamesInTheInnermostLayerFirst) {
  EXPECT_EQ(render_with("{{a}} {{b}}", {R"({"a":"outer","b":"B"})", R"({"a":"inner"})"}), "inner B");
  EXPECT_EQ(render_with("[{{missing}}]", {R"({"a":"x"})"}), "[]");
}

TEST(ViewStack, ResolvesDottedNamesThroughObjects) {
  EXPECT_EQ(render_with("{{site.name}}/{{a.b.c}}/{{a.b.x}}/{{a.b.c.d}}",
                        {R"({"site":{"name":"S"},"a":{"b":{"c":"deep"}}})"}),
            "S/deep//");
  // Sections push layers; dotted names inside them still resolve.
  EXPECT_EQ(render_with("{{#items}}{{t}}:{{site.name}} {{/items}}",
                        {R"({"site":{"name":"S"},"items":[{"t":"1"},{"t":"2"}]})"}),
            "1:S 2:S ");
  EXPECT_EQ(render_with("{{#a}}{{.}}{{/a}}", {R"({"a":["x","y"]})"}), "xy");
}

TEST(ViewStack, DottedNameStaysInTheLayerThatHasItsFirstPart) {
  // Mustache spec, "Dotted Names - Context Precedence": {{a.b}} does not look further out
  // once `a` is found.
  EXPECT_EQ(render_with("[{{a.b}}]", {R"({"a":{"b":"outer"}})", R"({"a":{"c":"inner"}})"}), "[]");
  EXPECT_EQ(render_with("[{{a.b}}]", {R"({"a":{"b":"outer"}})", R"({"x":1})"}), "[outer]");
  EXPECT_EQ(render_with("[{{a.}}{{.a}}{{a..b}}]", {R"({"a":{"b":"v"}})"}), "[]");
}

}  // namespace
}  // namespace calipso::render
