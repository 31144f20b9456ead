// Content items (posts and pages): storage and rules in ContentService, HTTP in
// content_routes.cpp (public pages and /api/v1/content). Bodies are Markdown, rendered to
// HTML once at write time so reads stay cheap.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/memo.hpp"
#include "core/principal.hpp"
#include "modules/module.hpp"

namespace calipso::modules::content {

struct Item {
  std::int64_t id = 0;
  std::string type = "post";  // "post" (listed on the home page) or "page"
  std::string title;
  std::string alias;
  std::string teaser;
  std::string teaser_html;  // from teaser, or the body's first paragraph
  std::string body;
  std::string body_html;
  std::string status = "draft";  // "draft" or "published"
  std::int64_t author_id = 0;
  std::string author_name;
  std::int64_t word_count = 0;
  std::int64_t created_us = 0;
  std::int64_t updated_us = 0;
  std::optional<std::int64_t> published_us;
};

// Fields a create or update may set; unset members are left alone on update.
struct ItemInput {
  std::optional<std::string> type, title, alias, teaser, body, status;
};

struct ListQuery {
  std::optional<std::string> status;  // none: any
  std::optional<std::string> type;
  int limit = 10;
  int page = 1;                       // offset pagination (public pages)
  std::optional<std::string> cursor;  // keyset pagination (API); wins over page
  bool by_published = false;          // order by publication time instead of creation
  bool count_total = true;            // ItemPage::total costs a second query
  bool with_bodies = true;            // teaser lists leave body and body_html empty
};

struct ItemPage {
  std::vector<Item> items;
  std::int64_t total = 0;
  std::optional<std::string> next_cursor;
};

class ContentService {
 public:
  ContentService(storage::Db& db, core::Events& events) : db_(db), events_(events) {}

  Result<ItemPage> list(const ListQuery& q);
  Result<Item> get(std::int64_t id);
  Result<Item> get_by_alias(std::string_view alias);
  Result<Item> create(const ItemInput& input, const core::Principal& who);
  Result<Item> update(std::int64_t id, const ItemInput& input, const core::Principal& who);
  Result<void> remove(std::int64_t id, const core::Principal& who);

 private:
  storage::Db& db_;
  core::Events& events_;
};

// "Hello, World!" -> "hello-world"; never empty.
std::string slugify(std::string_view title);
// Aliases the router owns (api, admin, user, ...) or that are not URL-safe.
bool alias_allowed(std::string_view alias);
boost::json::object to_json(const Item& item);

class ContentModule : public Module {
 public:
  std::string_view name() const override { return "content"; }
  std::vector<std::string> dependencies() const override { return {"users"}; }
  std::vector<storage::Migration> migrations() const override;
  std::vector<std::string> permissions() const override {
    return {"content.create",     "content.edit.own",   "content.edit.any",
            "content.delete.own", "content.delete.any", "content.publish"};
  }
  void attach(Context& ctx) override;
  ContentService& service() { return *service_; }

 private:
  std::unique_ptr<ContentService> service_;
  // Shared by every page: the published pages (menu) and the latest posts (sidebar block).
  // Dropped on any content change from any node.
  core::Memo<boost::json::array> menu_pages_, recent_posts_;
};

}  // namespace calipso::modules::content
