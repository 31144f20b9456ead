// Pages: the handler's template into "main", blocks into the other regions, all into the
// layout. The compiled theme and the block list are immutable snapshots swapped atomically,
// so rendering takes no lock.
#include "render/renderer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>

#include "core/log.hpp"
#include "render/theme.hpp"
#include "render/view.hpp"

namespace calipso::render {
namespace fs = std::filesystem;

namespace {

// Dev mode stats the theme's files at most this often, whatever the request rate.
constexpr std::chrono::milliseconds kDevCheckInterval{500};

std::string_view status_title(int status) {
  switch (status) {
    case 400: return "Bad request";
    case 401: return "Sign in required";
    case 403: return "Access denied";
    case 404: return "Page not found";
    case 405: return "Method not allowed";
    case 409: return "Conflict";
    case 413: return "Request too large";
    case 422: return "Invalid input";
    case 429: return "Too many requests";
    case 503: return "Temporarily unavailable";
    default: return status >= 500 ? "Something went wrong" : "Request not accepted";
  }
}

// What an error page looks like when the theme cannot draw one.
std::string builtin_error_page(int status, std::string_view title, std::string_view message) {
  return fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{0} {1}</title>"
      "<style>body{{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}}"
      "</style></head>\n<body><main><p>{0}</p><h1>{1}</h1><p>{2}</p><p><a href=\"/\">Home</a></p></main>"
      "</body></html>\n",
      status, escape_html(title), escape_html(message));
}

// Empty strings are left out so that {{#site.tagline}} skips them.
void put_text(Data& obj, const std::string& key, std::string value) {
  if (!value.empty()) put(obj, key, text(std::move(value)));
}

int current_year() {
  using namespace std::chrono;
  return static_cast<int>(year_month_day(floor<days>(system_clock::now())).year());
}

// The layer with site.*, page.* and year; regions.* is added to it once they are rendered.
Data page_layer(const http::Request& req, const core::Config& config, const std::string& title,
                const std::string& description, const std::string& layout) {
  std::string site_name = config.str("site.name");
  std::string site_url = config.str("site.url");
  std::string tagline = config.str("site.tagline");
  while (site_url.ends_with('/')) site_url.pop_back();

  Data page(Data::type::object);
  put_text(page, "title", title);
  put_text(page, "full_title", title.empty() || title == site_name ? site_name : title + " · " + site_name);
  put_text(page, "description", description.empty() ? tagline : description);
  put_text(page, "url", req.path);
  if (!site_url.empty()) put_text(page, "canonical_url", site_url + req.path);
  put_text(page, "layout", layout);

  Data site(Data::type::object);
  put_text(site, "name", std::move(site_name));
  put_text(site, "tagline", std::move(tagline));
  put_text(site, "url", std::move(site_url));
  put_text(site, "language", config.str("site.language"));

  Data layer(Data::type::object);
  put(layer, "site", std::move(site));
  put(layer, "page", std::move(page));
  put(layer, "year", text(std::to_string(current_year())));
  return layer;
}

Data handler_layer(const boost::json::value& data) {
  return data.is_object() ? to_data(data) : Data(Data::type::object);
}

using BlockList = std::vector<Block>;

// The template `name` into "main", `fill(region)` into each other region of the layout, then
// the layout around them. `layer` is the page layer, which gains regions.*.
template <class Fill>
std::string compose(const Theme& theme, const Layout& layout, std::string_view name, const Data& data,
                    Data& layer, Fill&& fill) {
  ViewStack view;
  view.push(&data);
  view.push(&layer);
  view.push(&theme.globals());

  std::string main;
  theme.render(name, view, main);
  Data regions(Data::type::object);
  for (const std::string& region : layout.regions)
    put_text(regions, region, region == "main" ? std::move(main) : fill(region));
  put(layer, "regions", std::move(regions));

  std::string out;
  out.reserve(16 * 1024);
  theme.render(layout.template_name, view, out);
  return out;
}

}  // namespace

struct Renderer::Impl {
  fs::path themes_dir;
  bool dev_mode = false;

  std::atomic<std::shared_ptr<const Theme>> theme;
  std::atomic<std::shared_ptr<const BlockList>> blocks{std::make_shared<const BlockList>()};

  std::mutex load_mutex;  // serialises load, switch and dev reload; guards what follows
  std::string folder;
  std::string last_reload_error;

  std::mutex blocks_mutex;  // serialises writers of `blocks`

  std::atomic<std::int64_t> next_check{0};  // steady clock, ns

  std::mutex warned_mutex;
  std::set<std::string, std::less<>> warned_layouts;

  Result<void> load_folder(const std::string& name) {
    std::lock_guard lock(load_mutex);
    auto loaded = Theme::load(themes_dir, name);
    if (!loaded) return fail(loaded.error());
    folder = name;
    last_reload_error.clear();
    theme.store(std::move(*loaded));
    {
      std::lock_guard w(warned_mutex);
      warned_layouts.clear();
    }
    log::info("theme {} loaded from {}", name, (themes_dir / name).string());
    return {};
  }

  // The theme to render with; in dev mode, first reloaded if its files changed.
  std::shared_ptr<const Theme> current() {
    if (dev_mode) reload_if_changed();
    return theme.load();
  }

  void reload_if_changed() {
    using namespace std::chrono;
    const std::int64_t now = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
    std::int64_t due = next_check.load(std::memory_order_relaxed);
    // One thread per interval does the stat calls; the others render with what is there.
    if (now < due ||
        !next_check.compare_exchange_strong(due, now + duration_cast<nanoseconds>(kDevCheckInterval).count()))
      return;
    auto old = theme.load();
    if (!old || !old->changed_on_disk()) return;
    std::lock_guard lock(load_mutex);
    if (theme.load() != old) return;  // switched or reloaded meanwhile; never put `old` back
    auto loaded = Theme::load(themes_dir, old->folder());
    if (!loaded) {
      // A half-saved template is normal while editing: keep serving the last good theme.
      if (loaded.error().message != last_reload_error) {
        last_reload_error = loaded.error().message;
        log::error("theme reload failed, keeping the previous one: {}", last_reload_error);
      }
      return;
    }
    last_reload_error.clear();
    theme.store(std::move(*loaded));
    log::info("theme {} reloaded", old->folder());
  }

  const Layout& layout_for(const Theme& t, const std::string& name) {
    if (const Layout* layout = t.layout(name)) return *layout;
    {
      std::lock_guard lock(warned_mutex);
      if (warned_layouts.insert(name).second)
        log::warn("theme {} has no layout '{}'; using 'default'", t.folder(), name);
    }
    return *t.layout("default");  // Theme::load refuses a theme without it
  }

  // The region's blocks in order, concatenated; a block that throws is left out.
  static std::string run_blocks(const BlockList& list, const std::string& region, const PageContext& ctx) {
    std::string html;
    for (const Block& block : list) {
      if (block.region != region) continue;
      try {
        html += block.render(ctx);
      } catch (const std::exception& e) {
        log::warn("block {} left out of {}: {}", block.id, ctx.request.path, e.what());
      } catch (...) {
        log::warn("block {} left out of {}: unknown exception", block.id, ctx.request.path);
      }
    }
    return html;
  }
};

Renderer::Renderer(std::string themes_dir, std::string theme, bool dev_mode)
    : impl_(std::make_unique<Impl>()) {
  impl_->themes_dir = std::move(themes_dir);
  impl_->folder = std::move(theme);
  impl_->dev_mode = dev_mode;
}

Renderer::~Renderer() = default;

Result<void> Renderer::load() {
  std::string folder;
  {
    std::lock_guard lock(impl_->load_mutex);
    folder = impl_->folder;
  }
  return impl_->load_folder(folder);
}

Result<void> Renderer::switch_theme(const std::string& theme) { return impl_->load_folder(theme); }

void Renderer::add_block(Block block) {
  if (!block.render) throw std::invalid_argument("block " + block.id + " has no render function");
  std::lock_guard lock(impl_->blocks_mutex);
  auto next = std::make_shared<BlockList>(*impl_->blocks.load());
  std::erase_if(*next, [&](const Block& b) { return b.id == block.id; });
  next->push_back(std::move(block));
  std::stable_sort(next->begin(), next->end(), [](const Block& a, const Block& b) {
    return a.weight != b.weight ? a.weight < b.weight : a.id < b.id;
  });
  impl_->blocks.store(std::move(next));
}

bool Renderer::remove_block(std::string_view id) {
  std::lock_guard lock(impl_->blocks_mutex);
  auto next = std::make_shared<BlockList>(*impl_->blocks.load());
  if (std::erase_if(*next, [&](const Block& b) { return b.id == id; }) == 0) return false;
  impl_->blocks.store(std::move(next));
  return true;
}

std::string Renderer::page(const PageContext& ctx, std::string_view name) {
  auto theme = impl_->current();
  if (!theme) throw std::logic_error("Renderer::page called before a theme was loaded");
  const Layout& layout = impl_->layout_for(*theme, ctx.layout);

  Data data = handler_layer(ctx.data);
  Data layer = page_layer(ctx.request, ctx.config, ctx.title, ctx.description, layout.name);
  auto blocks = impl_->blocks.load();
  return compose(*theme, layout, name, data, layer,
                 [&](const std::string& region) { return Impl::run_blocks(*blocks, region, ctx); });
}

std::string Renderer::fragment(std::string_view name, const boost::json::value& view_data) {
  auto theme = impl_->current();
  if (!theme) throw std::logic_error("Renderer::fragment called before a theme was loaded");
  Data data = handler_layer(view_data);
  ViewStack view;
  view.push(&data);
  view.push(&theme->globals());
  std::string out;
  theme->render(name, view, out);
  return out;
}

std::string Renderer::error_page(const http::Request& req, const core::Config& config, int status,
                                 const std::string& message) {
  const std::string title(status_title(status));
  try {
    auto theme = impl_->current();
    if (!theme) return builtin_error_page(status, title, message);
    const std::string specific = std::to_string(status);
    const std::string& name = theme->has_template(specific) ? specific : std::string("error");
    if (!theme->has_template(name)) return builtin_error_page(status, title, message);
    const Layout& layout = *theme->layout("default");

    Data data(Data::type::object);
    put(data, "status", text(specific));
    put_text(data, "title", title);
    put_text(data, "message", message);
    Data layer = page_layer(req, config, title, "", layout.name);
    // No blocks: an error page must render even when what blocks read from is down.
    return compose(*theme, layout, name, data, layer, [](const std::string&) { return std::string(); });
  } catch (const std::exception& e) {
    log::error("theme error page for {} failed, using the built-in one: {}", status, e.what());
    return builtin_error_page(status, title, message);
  }
}

std::string Renderer::theme_dir() const {
  if (auto theme = impl_->theme.load()) return theme->dir().string();
  std::lock_guard lock(impl_->load_mutex);
  return (impl_->themes_dir / impl_->folder).string();
}

}  // namespace calipso::render
