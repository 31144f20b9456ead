// HTTP for content: the public pages (/, /{alias}[.html|.json]) and /api/v1/content.
#include <fmt/format.h>
#include <boost/json.hpp>

#include <charconv>
#include <ctime>

#include "core/json.hpp"
#include "core/random.hpp"
#include "http/errors.hpp"
#include "modules/content/content.hpp"

namespace calipso::modules::content {
namespace json = boost::json;
using http::Request;
using http::Response;

namespace {

std::string human_date(std::int64_t us) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  auto n = std::strftime(buf, sizeof buf, "%-d %B %Y", &tm);
  return std::string(buf, n);
}

std::int64_t reading_minutes(const Item& item) {
  return std::max<std::int64_t>(1, (item.word_count + 199) / 200);
}

json::object teaser_view(const Item& item) {
  auto published = item.published_us.value_or(item.created_us);
  return json::object{{"id", item.id},
                      {"title", item.title},
                      {"alias", item.alias},
                      {"url", "/" + item.alias},
                      {"teaser_html", item.teaser_html},
                      {"published", core::format_time(published)},
                      {"published_human", human_date(published)},
                      {"author_name", item.author_name},
                      {"reading_minutes", reading_minutes(item)}};
}

json::object item_view(const Item& item) {
  auto v = teaser_view(item);
  v["body_html"] = item.body_html;
  v["teaser"] = item.teaser;
  v["updated"] = core::format_time(item.updated_us);
  v["updated_human"] = human_date(item.updated_us);
  return v;
}

// A positive integer query parameter; nullopt when absent, 0 when malformed.
std::optional<std::int64_t> int_param(const Request& req, std::string_view name) {
  auto text = req.query(name);
  if (!text) return std::nullopt;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || p != text->data() + text->size() || n < 1) return 0;
  return n;
}

Response unauthorized(const Request& req) {
  auto res = http::error_response(req, Error{Errc::unauthorized, "an API token is required", "", {}});
  res.headers.set("WWW-Authenticate", "Bearer");
  return res;
}

Result<ItemInput> read_input(const Request& req) {
  auto body = core::parse_object(req.body);
  if (!body) return fail(body.error());
  Validation v;
  ItemInput in;
  in.type = core::get_string(*body, "type", v);
  in.title = core::get_string(*body, "title", v);
  in.alias = core::get_string(*body, "alias", v);
  in.teaser = core::get_string(*body, "teaser", v);
  in.body = core::get_string(*body, "body", v);
  in.status = core::get_string(*body, "status", v);
  if (!v.ok()) return fail(v.error());
  return in;
}

std::optional<std::int64_t> id_param(const Request& req) {
  auto text = req.param("id");
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || p != text.data() + text.size() || id < 1) return std::nullopt;
  return id;
}

// Published pages for the main navigation, oldest first.
json::array load_menu_pages(ContentService& svc) {
  ListQuery q;
  q.status = "published";
  q.type = "page";
  q.limit = 8;
  q.count_total = false;
  q.with_bodies = false;
  json::array pages;
  if (auto found = svc.list(q))
    for (auto it = found->items.rbegin(); it != found->items.rend(); ++it)
      pages.push_back(json::object{{"title", it->title}, {"url", "/" + it->alias}});
  return pages;
}

// The main navigation: Home, then the pages; themes show it as {{#menu}}.
json::array menu_for(const json::array& pages, std::string_view current_path) {
  json::array menu;
  menu.push_back(json::object{{"title", "Home"}, {"url", "/"}, {"current", current_path == "/"}});
  for (auto& page : pages) {
    auto entry = page.as_object();
    entry["current"] = entry.at("url").as_string() == current_path;
    menu.push_back(std::move(entry));
  }
  return menu;
}

Response item_response(int status, const Item& item) {
  return Response::json(status, json::object{{"data", to_json(item)}});
}

}  // namespace

void ContentModule::attach(Context& ctx) {
  service_ = std::make_unique<ContentService>(ctx.db, ctx.events);
  auto* svc = service_.get();
  auto* renderer = &ctx.renderer;
  auto* config = &ctx.config;
  auto* recent_posts = &recent_posts_;
  auto menu_pages = [svc, memo = &menu_pages_] { return memo->get([svc] { return load_menu_pages(*svc); }); };

  // Any content change, here or on another node, may alter the menu or the latest posts.
  auto drop_shared = [this] {
    menu_pages_.invalidate();
    recent_posts_.invalidate();
  };
  ctx.changes.on("content", [drop_shared](const storage::Change&) { drop_shared(); });
  for (auto event : {"content.create", "content.update", "content.delete"})
    ctx.events.after(event, [drop_shared](const json::value&) { drop_shared(); });  // this node: at once

  ctx.router.get("/", [svc, renderer, config, menu_pages](Request& req) {
    auto cfg = config->get();
    auto page_no = int_param(req, "page").value_or(1);
    if (page_no == 0) return http::error_response(req, 404);
    ListQuery q;
    q.status = "published";
    q.type = "post";
    q.by_published = true;
    q.limit = static_cast<int>(cfg->integer("site.page_size"));
    q.page = static_cast<int>(std::min<std::int64_t>(page_no, 1 << 20));
    q.with_bodies = false;
    auto page = svc->list(q);
    if (!page) return http::error_response(req, page.error());
    auto pages = std::max<std::int64_t>(1, (page->total + q.limit - 1) / q.limit);
    if (page_no > pages) return http::error_response(req, 404);

    json::array items;
    for (auto& item : page->items) items.push_back(teaser_view(item));
    auto page_url = [](std::int64_t n) { return n == 1 ? std::string("/") : "/?page=" + std::to_string(n); };
    json::object view{{"items", std::move(items)},
                      {"empty", page->total == 0},
                      {"menu", menu_for(*menu_pages(), "/")},
                      {"pagination", json::object{{"page", page_no},
                                                  {"pages", pages},
                                                  {"has_prev", page_no > 1},
                                                  {"prev_url", page_url(page_no - 1)},
                                                  {"has_next", page_no < pages},
                                                  {"next_url", page_url(page_no + 1)}}}};
    render::PageContext pc{req,
                           *cfg,
                           "home",
                           page_no > 1 ? fmt::format("Page {}", page_no) : "",
                           cfg->str("site.tagline"),
                           std::move(view)};
    auto res = Response::html(200, renderer->page(pc, "home"));
    res.cacheable = true;
    res.cache_tags = {"content:list", "menu", "theme", "config"};
    return res;
  });

  ctx.router.get("/{alias}", [svc, renderer, config, menu_pages](Request& req) {
    std::string_view alias = req.param("alias");
    bool as_json = false;
    if (alias.ends_with(".json")) {
      as_json = true;
      alias.remove_suffix(5);
    } else if (alias.ends_with(".html")) {
      alias.remove_suffix(5);
    }
    auto item = svc->get_by_alias(alias);
    if (!item || item->status != "published") {
      if (item || item.error().code == Errc::not_found) {
        if (as_json)
          return Response::json(404, http::error_json(Error{Errc::not_found, "not found", "", {}}));
        return http::error_response(req, 404);
      }
      return http::error_response(req, item.error());
    }
    Response res;
    if (as_json) {
      res = item_response(200, *item);
    } else {
      auto cfg = config->get();
      render::PageContext pc{
          req,
          *cfg,
          "default",
          item->title,
          item->teaser.empty() ? item->title : item->teaser,
          json::object{{"item", item_view(*item)}, {"menu", menu_for(*menu_pages(), "/" + item->alias)}}};
      res = Response::html(200, renderer->page(pc, "item"));
    }
    res.cacheable = true;
    res.cache_tags = {"content:" + std::to_string(item->id), "menu", "theme", "config"};
    return res;
  });

  // JSON API. Every call needs a principal (bearer token); permissions are checked in the service.
  ctx.router.get("/api/v1/content", [svc](Request& req) {
    if (!req.principal) return unauthorized(req);
    ListQuery q;
    auto per_page = int_param(req, "per_page").value_or(10);
    if (per_page < 1 || per_page > 100)
      return http::error_response(req, Error{Errc::invalid, "must be 1 to 100", "per_page", {}});
    q.limit = static_cast<int>(per_page);
    q.cursor = req.query("cursor");
    q.status = req.query("status");
    q.type = req.query("type");
    if (q.status && *q.status != "draft" && *q.status != "published")
      return http::error_response(req, Error{Errc::invalid, "must be draft or published", "status", {}});
    auto page = svc->list(q);
    if (!page) return http::error_response(req, page.error());
    json::array data;
    for (auto& item : page->items) data.push_back(to_json(item));
    json::value next = nullptr;
    if (page->next_cursor) {
      std::string url = fmt::format("/api/v1/content?per_page={}&cursor={}", q.limit, *page->next_cursor);
      if (q.status) url += "&status=" + *q.status;
      if (q.type) url += "&type=" + *q.type;
      next = url;
    }
    return Response::json(200, json::object{{"data", std::move(data)},
                                            {"meta", json::object{{"next", next}, {"total", page->total}}}});
  });

  ctx.router.post("/api/v1/content", [svc](Request& req) {
    if (!req.principal) return unauthorized(req);
    auto in = read_input(req);
    if (!in) return http::error_response(req, in.error());
    auto item = svc->create(*in, *req.principal);
    if (!item) return http::error_response(req, item.error());
    auto res = item_response(201, *item);
    res.headers.set("Location", "/api/v1/content/" + std::to_string(item->id));
    return res;
  });

  ctx.router.get("/api/v1/content/{id}", [svc](Request& req) {
    if (!req.principal) return unauthorized(req);
    auto id = id_param(req);
    if (!id) return http::error_response(req, Error{Errc::not_found, "no content with this id", "", {}});
    auto item = svc->get(*id);
    if (!item) return http::error_response(req, item.error());
    return item_response(200, *item);
  });

  ctx.router.patch("/api/v1/content/{id}", [svc](Request& req) {
    if (!req.principal) return unauthorized(req);
    auto id = id_param(req);
    if (!id) return http::error_response(req, Error{Errc::not_found, "no content with this id", "", {}});
    auto in = read_input(req);
    if (!in) return http::error_response(req, in.error());
    auto item = svc->update(*id, *in, *req.principal);
    if (!item) return http::error_response(req, item.error());
    return item_response(200, *item);
  });

  ctx.router.del("/api/v1/content/{id}", [svc](Request& req) {
    if (!req.principal) return unauthorized(req);
    auto id = id_param(req);
    if (!id) return http::error_response(req, Error{Errc::not_found, "no content with this id", "", {}});
    auto done = svc->remove(*id, *req.principal);
    if (!done) return http::error_response(req, done.error());
    Response res;
    res.status = 204;
    return res;
  });

  // Themes draw the list with templates/blocks/recent.mustache.
  ctx.renderer.add_block(
      {"content.recent", "sidebar", 10, [svc, renderer, recent_posts](const render::PageContext&) {
         auto items = recent_posts->get([svc] {
           ListQuery q;
           q.status = "published";
           q.type = "post";
           q.by_published = true;
           q.limit = 5;
           q.count_total = false;
           q.with_bodies = false;
           json::array out;
           if (auto page = svc->list(q))
             for (auto& item : page->items) out.push_back(teaser_view(item));
           return out;
         });
         if (items->empty()) return std::string();
         return renderer->fragment("blocks/recent", json::object{{"items", *items}});
       }});
}

}  // namespace calipso::modules::content
