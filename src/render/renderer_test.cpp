// Renderer and theme loading: the real themes/default, and small themes in temp folders for
// the error cases.
#include <gtest/gtest.h>
#include <time.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "render/renderer.hpp"
#include "render/sample_views.hpp"
#include "render/theme.hpp"

namespace calipso::render {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

using samples::home_view;
using samples::item_view;
using samples::request;
using samples::site_config;

std::size_t count(const std::string& haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

Block block(std::string id, std::string region, int weight, std::string html) {
  return Block{id, std::move(region), weight, [html = std::move(html)](const PageContext&) { return html; }};
}

// A theme folder of our own, removed afterwards.
class TempTheme {
 public:
  TempTheme() {
    static std::atomic<int> serial{0};
    root_ = fs::temp_directory_path() /
            ("calipso-theme-test-" + std::to_string(::getpid()) + "-" + std::to_string(serial++));
    fs::create_directories(root_ / "t" / "templates" / "partials");
    write("theme.toml", R"(name = "T"
[layouts.default]
template = "layout"
regions = ["main", "side"]
)");
    write("templates/layout.mustache",
          "<title>{{page.full_title}}</title>{{{regions.main}}}|{{{regions.side}}}");
    write("templates/page.mustache", "<p>{{word}}</p>");
  }
  ~TempTheme() { fs::remove_all(root_); }
  void write(const std::string& relative, std::string_view text) {
    fs::create_directories((root_ / "t" / relative).parent_path());
    std::ofstream(root_ / "t" / relative, std::ios::binary | std::ios::trunc) << text;
  }
  std::string dir() const { return root_.string(); }

 private:
  fs::path root_;
};

class DefaultTheme : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(renderer_.load()) << renderer_.theme_dir(); }

  std::string home(int items = 10) {
    auto req = request("/");
    PageContext ctx{req, site_config(), "home", "", "", home_view(items)};
    return renderer_.page(ctx, "home");
  }
  std::string item(std::string title, std::string layout = "default") {
    auto req = request("/hello");
    PageContext ctx{req, site_config(), std::move(layout), title, "A post", item_view(title)};
    return renderer_.page(ctx, "item");
  }

  Renderer renderer_{samples::themes_dir().string(), "default", false};
};

TEST_F(DefaultTheme, HomePageHasLayoutTeasersAndPagination) {
  auto html = home();
  EXPECT_TRUE(html.starts_with("<!doctype html>")) << html.substr(0, 80);
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(html.find("<title>Test Site</title>"), std::string::npos);
  EXPECT_NE(html.find("Notes &amp; more"), std::string::npos);
  EXPECT_NE(html.find("href=\"#main\""), std::string::npos);
  EXPECT_NE(html.find("<main id=\"main\""), std::string::npos);
  EXPECT_EQ(count(html, "<article class=\"teaser\">"), 10u);
  EXPECT_NE(html.find("<p>The first paragraph of post 10, with <em>emphasis</em>.</p>"), std::string::npos);
  EXPECT_NE(html.find("<time datetime=\"2026-12-04T10:00:00Z\">4 December 2026</time>"), std::string::npos);
  EXPECT_NE(html.find("href=\"/?page=3\""), std::string::npos);
  EXPECT_NE(html.find("Page 2 of 5"), std::string::npos);
  EXPECT_NE(html.find("Powered by Calipso"), std::string::npos);
  EXPECT_NE(html.find("<link rel=\"canonical\" href=\"https://example.org/\">"), std::string::npos);
  EXPECT_EQ(html.find("class=\"sidebar\""), std::string::npos);  // the home layout has none
}

TEST_F(DefaultTheme, AssetUrlsCarryAVersion) {
  auto html = home(1);
  auto at = html.find("href=\"/themes/default/assets/css/site.css?v=");
  ASSERT_NE(at, std::string::npos) << html.substr(0, 800);
}

TEST_F(DefaultTheme, EmptySiteShowsAWelcome) {
  auto html = home(0);
  EXPECT_NE(html.find("class=\"empty-state\""), std::string::npos);
  EXPECT_EQ(html.find("class=\"teaser\""), std::string::npos);
}

TEST_F(DefaultTheme, VariablesAreEscapedAndHtmlFieldsAreNot) {
  auto html = item("<script>alert('x')</script> & co");
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"), std::string::npos);
  EXPECT_NE(html.find("<p>Body <strong>text</strong></p>"), std::string::npos);
  EXPECT_EQ(html.find("post-updated"), std::string::npos);  // updated_human is empty
}

TEST_F(DefaultTheme, TitleIsJoinedWithTheSiteName) {
  auto html = item("Hello");
  EXPECT_NE(html.find("<title>Hello · Test Site</title>"), std::string::npos);
  EXPECT_NE(html.find("<meta name=\"description\" content=\"A post\">"), std::string::npos);
}

TEST_F(DefaultTheme, BlocksFillTheirRegionInWeightThenIdOrder) {
  renderer_.add_block(block("z.late", "sidebar", 5, "<i>z5</i>"));
  renderer_.add_block(block("a.late", "sidebar", 5, "<i>a5</i>"));
  renderer_.add_block(block("m.first", "sidebar", -1, "<i>m-1</i>"));
  renderer_.add_block(block("f.note", "footer", 0, "<i>footer</i>"));
  auto html = item("Hello");
  auto first = html.find("<i>m-1</i>"), second = html.find("<i>a5</i>"), third = html.find("<i>z5</i>");
  ASSERT_NE(first, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_NE(html.find("<aside class=\"sidebar\""), std::string::npos);
  EXPECT_GT(html.find("<i>footer</i>"), html.find("<footer"));
}

TEST_F(DefaultTheme, BlockWithTheSameIdReplacesTheOldOneAndCanBeRemoved) {
  renderer_.add_block(block("x.about", "sidebar", 0, "<i>old</i>"));
  renderer_.add_block(block("x.about", "sidebar", 0, "<i>new</i>"));
  auto html = item("Hello");
  EXPECT_EQ(html.find("<i>old</i>"), std::string::npos);
  EXPECT_NE(html.find("<i>new</i>"), std::string::npos);
  EXPECT_TRUE(renderer_.remove_block("x.about"));
  EXPECT_FALSE(renderer_.remove_block("x.about"));
  EXPECT_EQ(item("Hello").find("<i>new</i>"), std::string::npos);
}

TEST_F(DefaultTheme, BlocksForRegionsTheLayoutLacksAreSkipped) {
  int calls = 0;
  renderer_.add_block(Block{"x.side", "sidebar", 0, [&](const PageContext&) {
                              ++calls;
                              return std::string("<i>side</i>");
                            }});
  renderer_.add_block(block("x.nowhere", "nowhere", 0, "<i>nowhere</i>"));
  auto html = home(1);  // the home layout has no sidebar
  EXPECT_EQ(html.find("<i>side</i>"), std::string::npos);
  EXPECT_EQ(html.find("<i>nowhere</i>"), std::string::npos);
  EXPECT_EQ(calls, 0);
}

TEST_F(DefaultTheme, ThrowingBlockIsLeftOut) {
  renderer_.add_block(Block{"x.broken", "sidebar", 0, [](const PageContext&) -> std::string {
                              throw std::runtime_error("database is down");
                            }});
  renderer_.add_block(block("x.about", "sidebar", 1, "<i>about</i>"));
  auto html = item("Hello");
  EXPECT_NE(html.find("<i>about</i>"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

TEST_F(DefaultTheme, BlocksSeeThePageContext) {
  renderer_.add_block(Block{"x.echo", "sidebar", 0, [](const PageContext& ctx) {
                              return "<i>" + ctx.title + "@" + ctx.request.path + "</i>";
                            }});
  EXPECT_NE(item("Hello").find("<i>Hello@/hello</i>"), std::string::npos);
}

TEST_F(DefaultTheme, UnknownLayoutFallsBackToDefault) {
  renderer_.add_block(block("x.about", "sidebar", 0, "<i>about</i>"));
  auto html = item("Hello", "no-such-layout");
  EXPECT_NE(html.find("class=\"layout-default\""), std::string::npos);
  EXPECT_NE(html.find("<i>about</i>"), std::string::npos);
}

TEST_F(DefaultTheme, UnknownTemplateIsACallerBug) {
  auto req = request("/");
  PageContext ctx{req, site_config(), "default", "", "", json::object{}};
  EXPECT_THROW(renderer_.page(ctx, "no-such-template"), std::out_of_range);
}

TEST_F(DefaultTheme, ErrorPageShowsTheStatusWithoutBlocks) {
  renderer_.add_block(Block{"x.broken", "sidebar", 0, [](const PageContext&) -> std::string {
                              throw std::runtime_error("database is down");
                            }});
  renderer_.add_block(block("x.about", "sidebar", 0, "<i>about</i>"));
  auto req = request("/missing");
  auto html = renderer_.error_page(req, site_config(), 404, "No page at <this> address.");
  EXPECT_NE(html.find("<p class=\"error-status\">404</p>"), std::string::npos) << html;
  EXPECT_NE(html.find("Page not found"), std::string::npos);
  EXPECT_NE(html.find("No page at &lt;this&gt; address."), std::string::npos);
  EXPECT_NE(html.find("<title>Page not found · Test Site</title>"), std::string::npos);
  EXPECT_EQ(html.find("<i>about</i>"), std::string::npos);

  auto server = renderer_.error_page(req, site_config(), 500, "");
  EXPECT_NE(server.find("<p class=\"error-status\">500</p>"), std::string::npos);
  EXPECT_NE(server.find("Something went wrong"), std::string::npos);
}

TEST_F(DefaultTheme, FragmentRendersATemplateAlone) {
  auto html = renderer_.fragment(
      "blocks/recent",
      json::parse(
          R"({"items":[{"title":"A & B","url":"/a","published":"2026-12-01T00:00:00Z","published_human":"1 December 2026"}]})"));
  EXPECT_EQ(html.find("<html"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/a\">A &amp; B</a>"), std::string::npos) << html;
  EXPECT_NE(html.find("Recent posts"), std::string::npos);
}

TEST_F(DefaultTheme, ConcurrentRendersAgree) {
  const std::string expected = home();
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        if (home() != expected) ++mismatches;
    });
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(renderer_.load());  // swaps under the readers
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// Not a benchmark, a guard against a slow path creeping in (like re-parsing per render);
// the bound is loose so a busy machine does not fail it.
// ---- themes in temp folders ----

TEST(ThemeLoad, BadTomlNamesTheFile) {
  TempTheme theme;
  theme.write("theme.toml", "name = \"T\"\n[layouts.default\ntemplate = 1\n");
  Renderer r(theme.dir(), "t", false);
  auto loaded = r.load();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::invalid);
  EXPECT_NE(loaded.error().message.find("theme.toml:2"), std::string::npos) << loaded.error().message;
}

TEST(ThemeLoad, UnknownKeyNamesTheKey) {
  TempTheme theme;
  theme.write("theme.toml",
              "name = \"T\"\n[layouts.default]\ntemplate = \"layout\"\nregions = [\"main\"]\nregoins = []\n");
  Renderer r(theme.dir(), "t", false);
  auto loaded = r.load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("layouts.default.regoins"), std::string::npos)
      << loaded.error().message;
}

TEST(ThemeLoad, LayoutWithoutMainRegionIsRefused) {
  TempTheme theme;
  theme.write("theme.toml", "name = \"T\"\n[layouts.default]\ntemplate = \"layout\"\nregions = [\"side\"]\n");
  Renderer r(theme.dir(), "t", false);
  auto loaded = r.load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("theme.toml"), std::string::npos) << loaded.error().message;
}

TEST(ThemeLoad, MissingLayoutTemplateNamesIt) {
  TempTheme theme;
  fs::remove(fs::path(theme.dir()) / "t" / "templates" / "layout.mustache");
  Renderer r(theme.dir(), "t", false);
  auto loaded = r.load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("theme.toml"), std::string::npos) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("layout.mustache"), std::string::npos) << loaded.error().message;
}

TEST(ThemeLoad, MustacheSyntaxErrorNamesTheFileAndLine) {
  TempTheme theme;
  theme.write("templates/partials/broken.mustache", "line one\n{{#open}}never closed\n");
  Renderer r(theme.dir(), "t", false);
  auto loaded = r.load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("broken.mustache"), std::string::npos) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("line 2"), std::string::npos) << loaded.error().message;
}

TEST(ThemeLoad, UnknownPartialNamesTheIncludingFile) {
  TempTheme theme;
  theme.write("templates/page.mustache", "{{> nope}}");
  Renderer r(theme.dir(), "t", false);
  auto loaded = r.load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("page.mustache"), std::string::npos) << loaded.error().message;
}

TEST(ThemeLoad, MissingAssetNamesIt) {
  TempTheme theme;
  theme.write(
      "theme.toml",
      "name = \"T\"\n[assets]\ncss = \"css/x.css\"\n[layouts.default]\ntemplate = \"layout\"\nregions = "
      "[\"main\"]\n");
  Renderer r(theme.dir(), "t", false);
  auto loaded = r.load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("css/x.css"), std::string::npos) << loaded.error().message;
}

TEST(ThemeLoad, ThemeNameCannotLeaveTheThemesFolder) {
  TempTheme theme;
  Renderer r(theme.dir(), "../t", false);
  EXPECT_FALSE(r.load());
}

TEST(ThemeLoad, RegionSettingsAreRead) {
  TempTheme theme;
  theme.write("theme.toml",
              "name = \"T\"\n[layouts.default]\ntemplate = \"layout\"\nregions = [\"main\", \"side\"]\n"
              "[regions.side]\ncache_seconds = 30\n");
  auto loaded = Theme::load(theme.dir(), "t");
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_NE((*loaded)->region_settings("side"), nullptr);
  EXPECT_EQ((*loaded)->region_settings("side")->cache_seconds, 30);
  EXPECT_EQ((*loaded)->region_settings("main"), nullptr);
}

TEST(ThemeLoad, PartialsAreFoundInPartialsThenTemplates) {
  TempTheme theme;
  theme.write("templates/page.mustache", "{{> a}}+{{> b}}");
  theme.write("templates/partials/a.mustache", "A{{word}}");
  theme.write("templates/b.mustache", "B");
  auto loaded = Theme::load(theme.dir(), "t");
  ASSERT_TRUE(loaded) << loaded.error().message;
  Data data = to_data(json::parse(R"({"word":"!"})"));
  ViewStack view;
  view.push(&data);
  std::string out;
  (*loaded)->render("page", view, out);
  EXPECT_EQ(out, "A!+B");
}

TEST(Renderer, ErrorPageWithoutAThemeIsBuiltIn) {
  Renderer r("/nonexistent", "default", false);
  EXPECT_FALSE(r.load());
  auto req = request("/x");
  auto html = r.error_page(req, site_config(), 503, "Back <soon>");
  EXPECT_NE(html.find("503"), std::string::npos);
  EXPECT_NE(html.find("Back &lt;soon&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<soon>"), std::string::npos);
}

TEST(Renderer, StatusTemplateWinsOverErrorTemplate) {
  TempTheme theme;
  theme.write("templates/error.mustache", "<p>generic {{status}}</p>");
  theme.write("templates/404.mustache", "<p>lost: {{message}}</p>");
  Renderer r(theme.dir(), "t", false);
  ASSERT_TRUE(r.load());
  auto req = request("/x");
  EXPECT_NE(r.error_page(req, site_config(), 404, "gone").find("<p>lost: gone</p>"), std::string::npos);
  EXPECT_NE(r.error_page(req, site_config(), 500, "").find("<p>generic 500</p>"), std::string::npos);
}

TEST(Renderer, ThemeWithoutErrorTemplateGetsTheBuiltInPage) {
  TempTheme theme;
  Renderer r(theme.dir(), "t", false);
  ASSERT_TRUE(r.load());
  auto req = request("/x");
  auto html = r.error_page(req, site_config(), 404, "gone");
  EXPECT_NE(html.find("<h1>Page not found</h1>"), std::string::npos) << html;
}

TEST(Renderer, FailedSwitchKeepsTheCurrentTheme) {
  TempTheme theme;
  Renderer r(theme.dir(), "t", false);
  ASSERT_TRUE(r.load());
  EXPECT_FALSE(r.switch_theme("missing"));
  auto req = request("/");
  PageContext ctx{req, site_config(), "default", "", "", json::parse(R"({"word":"still"})")};
  EXPECT_NE(r.page(ctx, "page").find("<p>still</p>"), std::string::npos);
}

TEST(Renderer, DevModeReloadsAChangedTemplate) {
  TempTheme theme;
  Renderer dev(theme.dir(), "t", true);
  Renderer prod(theme.dir(), "t", false);
  ASSERT_TRUE(dev.load());
  ASSERT_TRUE(prod.load());
  auto req = request("/");
  PageContext ctx{req, site_config(), "default", "", "", json::parse(R"({"word":"w"})")};
  EXPECT_NE(dev.page(ctx, "page").find("<p>w</p>"), std::string::npos);

  theme.write("templates/page.mustache", "<div>{{word}}</div>");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past the dev check interval
  EXPECT_NE(dev.page(ctx, "page").find("<div>w</div>"), std::string::npos);
  EXPECT_NE(prod.page(ctx, "page").find("<p>w</p>"), std::string::npos);

  // A broken edit keeps the last good templates.
  theme.write("templates/page.mustache", "{{#word}}");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_NE(dev.page(ctx, "page").find("<div>w</div>"), std::string::npos);
}

}  // namespace
}  // namespace calipso::render
