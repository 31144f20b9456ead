// Markdown to HTML with cmark-gfm in safe mode, and the one HTML escaper every template and
// built-in page uses. cmark-gfm is not a sanitiser: safe mode only drops raw HTML and
// dangerous link targets, which is all Markdown input needs.
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include <array>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "render/renderer.hpp"

namespace calipso::render {
namespace {

constexpr std::array kExtensions = {"table", "strikethrough", "autolink", "tasklist"};

// Safe mode is the default since cmark-gfm 0.29 (CMARK_OPT_UNSAFE turns it off); CMARK_OPT_SAFE
// is kept so an older library would still drop raw HTML.
constexpr int kOptions = CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE;

// The registry of core extensions is a process-wide list that cmark-gfm fills without locking,
// so it is filled exactly once; after that, lookups only read it.
const std::array<cmark_syntax_extension*, kExtensions.size()>& extensions() {
  static std::once_flag once;
  static std::array<cmark_syntax_extension*, kExtensions.size()> found{};
  std::call_once(once, [] {
    cmark_gfm_core_extensions_ensure_registered();
    for (std::size_t i = 0; i < kExtensions.size(); ++i) {
      found[i] = cmark_find_syntax_extension(kExtensions[i]);
      if (!found[i]) throw std::runtime_error(std::string("cmark-gfm lacks extension ") + kExtensions[i]);
    }
  });
  return found;
}

struct ParserFree {
  void operator()(cmark_parser* p) const { cmark_parser_free(p); }
};
struct NodeFree {
  void operator()(cmark_node* n) const { cmark_node_free(n); }
};

// cmark-gfm keeps the table of special inline characters in a global that every parse edits:
// extensions add theirs ('~', '|') when inlines are parsed and take them out afterwards, so one
// thread finishing a parse strips '~' from another's (github/cmark-gfm PR #176, unmerged).
// Parsing is therefore serialised; it happens when content is saved, not when pages are served.
std::mutex parse_mutex;

}  // namespace

std::string markdown_to_html(std::string_view markdown) {
  const auto& exts = extensions();
  std::unique_ptr<cmark_parser, ParserFree> parser(cmark_parser_new(kOptions));
  if (!parser) throw std::bad_alloc();
  for (auto* ext : exts) cmark_parser_attach_syntax_extension(parser.get(), ext);
  std::unique_ptr<cmark_node, NodeFree> doc;
  {
    std::lock_guard lock(parse_mutex);
    cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
    doc.reset(cmark_parser_finish(parser.get()));
  }
  if (!doc) throw std::bad_alloc();

  cmark_mem* mem = cmark_get_default_mem_allocator();
  char* html =
      cmark_render_html_with_mem(doc.get(), kOptions, cmark_parser_get_syntax_extensions(parser.get()), mem);
  if (!html) throw std::bad_alloc();
  std::string out(html);
  mem->free(html);
  return out;
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t plain = 0;  // start of the run not yet copied
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view entity;
    switch (text[i]) {
      case '&': entity = "&amp;"; break;
      case '<': entity = "&lt;"; break;
      case '>': entity = "&gt;"; break;
      case '"': entity = "&quot;"; break;
      case '\'': entity = "&#39;"; break;
      default: continue;
    }
    out.append(text, plain, i - plain);
    out.append(entity);
    plain = i + 1;
  }
  out.append(text, plain);
  return out;
}

}  // namespace calipso::render
