// Markdown safety and GFM extensions; HTML escaping.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "render/renderer.hpp"

namespace calipso::render {
namespace {

TEST(Markdown, DropsRawHtml) {
  auto html = markdown_to_html("Hello <script>alert(1)</script>\n\n<div onclick=\"x()\">block</div>\n");
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_EQ(html.find("<div"), std::string::npos) << html;
  EXPECT_EQ(html.find("onclick"), std::string::npos) << html;
  EXPECT_NE(html.find("Hello"), std::string::npos) << html;
}

TEST(Markdown, DropsDangerousLinkTargets) {
  auto html =
      markdown_to_html("[a](javascript:alert(1)) [b](VBScript:x) [c](data:text/html;base64,PHNjcmlwdD4=)\n");
  EXPECT_EQ(html.find("javascript:"), std::string::npos) << html;
  EXPECT_EQ(html.find("VBScript:"), std::string::npos) << html;
  EXPECT_EQ(html.find("data:text/html"), std::string::npos) << html;
}

TEST(Markdown, KeepsOrdinaryLinksAndImageData) {
  auto html =
      markdown_to_html("[site](https://example.org/a?b=1&c=2) ![dot](data:image/png;base64,iVBORw0KGgo=)\n");
  EXPECT_NE(html.find("href=\"https://example.org/a?b=1&amp;c=2\""), std::string::npos) << html;
  EXPECT_NE(html.find("src=\"data:image/png;base64,"), std::string::npos) << html;
}

TEST(Markdown, RendersTables) {
  auto html = markdown_to_html("| a | b |\n|---|--:|\n| 1 | 2 |\n");
  EXPECT_NE(html.find("<table>"), std::string::npos) << html;
  EXPECT_NE(html.find("<th>a</th>"), std::string::npos) << html;
  EXPECT_NE(html.find("<td align=\"right\">2</td>"), std::string::npos) << html;
}

TEST(Markdown, RendersStrikethroughAutolinksAndTaskLists) {
  auto html = markdown_to_html("~~old~~ see www.example.org\n\n- [x] done\n- [ ] todo\n");
  EXPECT_NE(html.find("<del>old</del>"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"http://www.example.org\">"), std::string::npos) << html;
  EXPECT_NE(html.find("checked=\"\" disabled=\"\""), std::string::npos) << html;
}

TEST(Markdown, IsSafeToCallFromManyThreads) {
  // cmark-gfm's special-character table is global; without serialisation some of these lose
  // the strikethrough or the table.
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  std::string sample;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&wrong] {
      for (int n = 0; n < 500; ++n) {
        auto html = markdown_to_html("| x |\n|---|\n| ~~y~~ |\n\n~~z~~ and a | pipe\n");
        if (html.find("<td><del>y</del></td>") == std::string::npos ||
            html.find("<del>z</del>") == std::string::npos)
          ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(EscapeHtml, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(escape_html(R"(<a href="x">Tom & 'Jerry'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(escape_html("plain"), "plain");
  EXPECT_EQ(escape_html(""), "");
}

}  // namespace
}  // namespace calipso::render
