// Pages from themes: a theme (theme.toml + mustache templates + assets) declares layouts
// and their regions; modules contribute blocks to regions; a handler renders its main
// content with a template and the renderer puts it into the layout. Templates are parsed
// once and cached; in dev mode they are reloaded when their file changes.
#pragma once

#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"
#include "http/message.hpp"

namespace calipso::render {

// What a block sees while a page is rendered.
struct PageContext {
  const http::Request& request;
  const core::Config& config;
  std::string layout = "default";  // a layout the theme declares
  std::string title;               // page title (without the site name)
  std::string description;         // meta description
  boost::json::value data;         // the main template's view, also visible to blocks
};

struct Block {
  std::string id;                                         // "content.recent"
  std::string region;                                     // "sidebar"
  int weight = 0;                                         // lower first
  std::function<std::string(const PageContext&)> render;  // returns HTML
};

class Renderer {
 public:
  // themes_dir holds one folder per theme; `theme` is the one to use.
  Renderer(std::string themes_dir, std::string theme, bool dev_mode);
  ~Renderer();

  // Loads (or reloads) the theme; an error names the file and what is wrong.
  Result<void> load();
  Result<void> switch_theme(const std::string& theme);

  // A block with the id of an existing one replaces it. Blocks may be added or removed while
  // pages render (a module enabled at runtime).
  void add_block(Block block);
  bool remove_block(std::string_view id);  // false when no block has that id

  // Renders template `name` (templates/<name>.mustache) with `view` into the "main" region,
  // runs the layout's blocks, and renders the layout. The view passed to templates also
  // holds site.* (from config), page.title and regions.*. An unknown layout falls back to
  // "default"; an unknown template name is a caller bug and throws std::out_of_range.
  std::string page(const PageContext& ctx, std::string_view name);
  // A template alone, no layout (feeds, fragments).
  std::string fragment(std::string_view name, const boost::json::value& view);
  // The theme's error page for a status (templates/error.mustache, or 404.mustache/500.mustache).
  std::string error_page(const http::Request& req, const core::Config& config, int status,
                         const std::string& message);

  std::string theme_dir() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Markdown (GitHub-flavoured: tables, strikethrough, autolinks, task lists) to HTML in
// safe mode: raw HTML and dangerous URLs are dropped.
std::string markdown_to_html(std::string_view markdown);

// HTML-escapes text for attribute or element content.
std::string escape_html(std::string_view text);

}  // namespace calipso::render
