// Views shaped like the content module's (see themes/default/README.md), a site config and the
// repository's themes folder, shared by the render tests and benchmarks.
#pragma once

#include <boost/json.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "core/config.hpp"
#include "http/message.hpp"

namespace calipso::render::samples {

// src/render/sample_views.hpp → <repository>/themes.
inline std::filesystem::path themes_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "themes";
}

inline const core::Config& site_config() {
  static const core::ConfigSchema schema = [] {
    core::ConfigSchema s;
    core::add_core_keys(s);
    return s;
  }();
  static const core::Config config = [] {
    auto base = core::Config::load(schema, "", {});
    if (!base) throw std::runtime_error(base.error().message);
    return base->with_site_settings(
        boost::json::parse(
            R"({"site":{"name":"Test Site","tagline":"Notes & more","url":"https://example.org/"}})")
            .as_object());
  }();
  return config;
}

inline http::Request request(std::string path) {
  http::Request req;
  req.method = "GET";
  req.path = std::move(path);
  req.target = req.path;
  return req;
}

// The front page's view with `items` teasers, on page 2 of 5.
inline boost::json::value home_view(int items) {
  boost::json::array list;
  for (int i = 1; i <= items; ++i) {
    const std::string n = std::to_string(i);
    list.push_back(boost::json::object{
        {"id", i},
        {"title", "Post number " + n},
        {"alias", "post-" + n},
        {"url", "/post-" + n},
        {"teaser_html", "<p>The first paragraph of post " + n + ", with <em>emphasis</em>.</p>"},
        {"published", "2026-12-04T10:00:00Z"},
        {"published_human", "4 December 2026"},
        {"author_name", "Ada"},
        {"reading_minutes", 3},
    });
  }
  return boost::json::object{
      {"items", std::move(list)},
      {"pagination",
       {{"page", 2},
        {"pages", 5},
        {"has_prev", true},
        {"prev_url", "/"},
        {"has_next", true},
        {"next_url", "/?page=3"}}},
      {"empty", items == 0},
  };
}

inline boost::json::value item_view(std::string title) {
  return boost::json::object{{"item",
                              {{"id", 7},
                               {"title", std::move(title)},
                               {"alias", "hello"},
                               {"url", "/hello"},
                               {"body_html", "<p>Body <strong>text</strong></p>"},
                               {"teaser", "Body text"},
                               {"published", "2026-12-04T10:00:00Z"},
                               {"published_human", "4 December 2026"},
                               {"updated", ""},
                               {"updated_human", ""},
                               {"author_name", "Ada"},
                               {"reading_minutes", 1}}}};
}

}  // namespace calipso::render::samples
