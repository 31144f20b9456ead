// Content storage and rules: validation, aliases, permissions, hooks, change log.
#include <boost/json.hpp>

#include <charconv>

#include "core/log.hpp"
#include "core/random.hpp"
#include "modules/content/content.hpp"
#include "render/renderer.hpp"
#include "storage/change_log.hpp"

namespace calipso::modules::content {
namespace json = boost::json;
using storage::Value;

namespace {

#define CALIPSO_CONTENT_COLUMNS(BODY)                                                          \
  "SELECT c.id, c.type, c.title, c.alias, c.teaser, c.teaser_html, " BODY                      \
  ", c.status, c.author_id, COALESCE(u.name, '') AS author_name, c.word_count, c.created_us, " \
  "c.updated_us, c.published_us FROM content c LEFT JOIN users u ON u.id = c.author_id"
constexpr std::string_view kSelect = CALIPSO_CONTENT_COLUMNS("c.body, c.body_html");
// Lists of teasers need no bodies, which are most of a row's bytes.
constexpr std::string_view kSelectTeasers = CALIPSO_CONTENT_COLUMNS("'' AS body, '' AS body_html");
constexpr std::string_view kSelectById = CALIPSO_CONTENT_COLUMNS("c.body, c.body_html") " WHERE c.id = ?";
constexpr std::string_view kSelectByAlias =
    CALIPSO_CONTENT_COLUMNS("c.body, c.body_html") " WHERE c.alias = ?";
#undef CALIPSO_CONTENT_COLUMNS

constexpr std::size_t kMaxTitle = 200, kMaxAlias = 200, kMaxTeaser = 2000, kMaxBody = 4 << 20;

Item item_from(const storage::Rows& r, std::size_t i) {
  Item it;
  it.id = r.integer(i, "id");
  it.type = r.text(i, "type");
  it.title = r.text(i, "title");
  it.alias = r.text(i, "alias");
  it.teaser = r.text(i, "teaser");
  it.teaser_html = r.text(i, "teaser_html");
  it.body = r.text(i, "body");
  it.body_html = r.text(i, "body_html");
  it.status = r.text(i, "status");
  it.author_id = r.integer(i, "author_id");
  it.author_name = r.text(i, "author_name");
  it.word_count = r.integer(i, "word_count");
  it.created_us = r.integer(i, "created_us");
  it.updated_us = r.integer(i, "updated_us");
  if (!r.is_null(i, "published_us")) it.published_us = r.integer(i, "published_us");
  return it;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::int64_t count_words(std::string_view s) {
  std::int64_t n = 0;
  bool in_word = false;
  for (unsigned char c : s) {
    bool space = std::isspace(c);
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

std::string first_paragraph(const std::string& html) {
  auto start = html.find("<p>");
  if (start == std::string::npos) return {};
  auto end = html.find("</p>", start);
  if (end == std::string::npos) return {};
  return html.substr(start, end + 4 - start);
}

// Checks the input's fields; `creating` makes title required.
void validate(const ItemInput& in, bool creating, Validation& v) {
  if (in.title) {
    auto t = trim(*in.title);
    if (t.empty())
      v.add("title", "must not be empty");
    else if (utf8_length(t) > kMaxTitle)
      v.add("title", "must be at most 200 characters");
  } else if (creating) {
    v.add("title", "is required");
  }
  if (in.status && *in.status != "draft" && *in.status != "published")
    v.add("status", "must be \"draft\" or \"published\"");
  if (in.type && *in.type != "post" && *in.type != "page") v.add("type", "must be \"post\" or \"page\"");
  if (in.alias) {
    if (in.alias->empty() || in.alias->size() > kMaxAlias || !alias_allowed(*in.alias))
      v.add("alias", "must be 1-200 lowercase letters, digits, '-' or '_', not a reserved word");
  }
  if (in.teaser && utf8_length(*in.teaser) > kMaxTeaser) v.add("teaser", "must be at most 2000 characters");
  if (in.body && in.body->size() > kMaxBody) v.add("body", "must be at most 4 MiB");
}

// The lowest free alias of base, base-2, base-3, ... (excluding item `self`).
std::string free_alias(storage::Connection& c, const std::string& base, std::int64_t self) {
  auto rows = c.query("SELECT alias FROM content WHERE (alias = ? OR alias LIKE ?) AND id <> ?",
                      {base, base + "-%", self});
  std::vector<std::int64_t> taken;
  bool base_taken = false;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto a = rows.text(i, "alias");
    if (a == base) {
      base_taken = true;
      continue;
    }
    std::int64_t n = 0;
    auto tail = std::string_view(a).substr(base.size() + 1);
    auto [p, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), n);
    if (ec == std::errc{} && p == tail.data() + tail.size()) taken.push_back(n);
  }
  if (!base_taken) return base;
  for (std::int64_t n = 2;; ++n)
    if (std::find(taken.begin(), taken.end(), n) == taken.end()) return base + "-" + std::to_string(n);
}

bool may_edit(const core::Principal& who, const Item& item) {
  return who.can("content.edit.any") || (who.can("content.edit.own") && item.author_id == who.user_id);
}

// Lets before-hooks adjust the editable fields.
void read_back(const json::value& payload, Item& item) {
  auto& o = payload.as_object();
  auto take = [&](std::string_view key, std::string& field) {
    if (auto it = o.find(key); it != o.end() && it->value().is_string()) field = it->value().as_string();
  };
  take("title", item.title);
  take("teaser", item.teaser);
  take("body", item.body);
  take("status", item.status);
}

void render_fields(Item& item) {
  item.body_html = render::markdown_to_html(item.body);
  item.teaser_html =
      item.teaser.empty() ? first_paragraph(item.body_html) : render::markdown_to_html(item.teaser);
  item.word_count = count_words(item.body);
}

Error db_conflict_or_throw(const storage::DbError& e) {
  if (e.kind == storage::DbError::Kind::constraint)
    return Error{Errc::conflict, "the alias is already in use", "alias", {}};
  throw e;
}

}  // namespace

Result<ItemPage> ContentService::list(const ListQuery& q) {
  std::string where = " WHERE 1=1";
  std::vector<Value> filter;
  if (q.status) {
    where += " AND c.status = ?";
    filter.emplace_back(*q.status);
  }
  if (q.type) {
    where += " AND c.type = ?";
    filter.emplace_back(*q.type);
  }
  // cursor = "<sort key>.<id>" of the last item seen
  std::int64_t cursor_key = 0, cursor_id = 0;
  if (q.cursor) {
    auto dot = q.cursor->find('.');
    bool ok = dot != std::string::npos;
    if (ok) {
      auto a = std::from_chars(q.cursor->data(), q.cursor->data() + dot, cursor_key);
      auto b = std::from_chars(q.cursor->data() + dot + 1, q.cursor->data() + q.cursor->size(), cursor_id);
      ok = a.ec == std::errc{} && b.ec == std::errc{} && b.ptr == q.cursor->data() + q.cursor->size();
    }
    if (!ok) return fail(Errc::invalid, "not a cursor from meta.next", "cursor");
  }

  const char* key = q.by_published ? "c.published_us" : "c.created_us";
  auto conn = db_.acquire();
  auto count = [&] {
    return conn->query("SELECT COUNT(*) AS n FROM content c" + where, filter).integer(0, "n");
  };
  ItemPage page;
  // Without a cursor the total comes with the rows, from an uncorrelated subquery that both
  // databases evaluate once: one round trip instead of two. Past the last row there is no
  // row to carry it, and with a cursor the rows start mid-way, so those count separately.
  const bool count_in_rows = q.count_total && !q.cursor;
  if (q.count_total && q.cursor) page.total = count();

  std::string_view select = q.with_bodies ? kSelect : kSelectTeasers;
  std::string sql;
  std::vector<Value> params;
  if (count_in_rows) {
    auto from = select.find(" FROM content c");
    sql = fmt::format("{}, (SELECT COUNT(*) FROM content c{}) AS total_count{}", select.substr(0, from),
                      where, select.substr(from));
    params = filter;  // the subquery's placeholders come first
  } else {
    sql = select;
  }
  sql += where;
  params.insert(params.end(), filter.begin(), filter.end());
  if (q.cursor) {
    sql += fmt::format(" AND ({0} < ? OR ({0} = ? AND c.id < ?))", key);
    params.insert(params.end(), {cursor_key, cursor_key, cursor_id});
  }
  sql += fmt::format(" ORDER BY {} DESC, c.id DESC LIMIT ?", key);
  params.emplace_back(static_cast<std::int64_t>(q.limit + 1));
  if (!q.cursor) {
    sql += " OFFSET ?";
    params.emplace_back(static_cast<std::int64_t>(q.limit) * (q.page - 1));
  }
  auto rows = conn->query(sql, params);
  if (count_in_rows)
    page.total = rows.size() > 0 ? rows.integer(0, "total_count") : q.page == 1 ? 0 : count();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(q.limit); ++i)
    page.items.push_back(item_from(rows, i));
  if (rows.size() > static_cast<std::size_t>(q.limit)) {
    auto& last = page.items.back();
    auto sort_key = q.by_published ? last.published_us.value_or(0) : last.created_us;
    page.next_cursor = std::to_string(sort_key) + "." + std::to_string(last.id);
  }
  return page;
}

Result<Item> ContentService::get(std::int64_t id) {
  auto conn = db_.acquire();
  auto rows = conn->query(kSelectById, {id});
  if (rows.empty()) return fail(Errc::not_found, "no content with this id");
  return item_from(rows, 0);
}

Result<Item> ContentService::get_by_alias(std::string_view alias) {
  auto conn = db_.acquire();
  auto rows = conn->query(kSelectByAlias, {std::string(alias)});
  if (rows.empty()) return fail(Errc::not_found, "no content at this address");
  return item_from(rows, 0);
}

Result<Item> ContentService::create(const ItemInput& in, const core::Principal& who) {
  if (!who.can("content.create")) return fail(Errc::forbidden, "you may not create content");
  Validation v;
  validate(in, true, v);
  if (!v.ok()) return fail(v.error());
  if (in.status == "published" && !who.can("content.publish"))
    return fail(Errc::forbidden, "you may not publish content", "status");

  Item item;
  item.type = in.type.value_or("post");
  item.title = trim(*in.title);
  item.teaser = in.teaser.value_or("");
  item.body = in.body.value_or("");
  item.status = in.status.value_or("draft");
  item.author_id = who.user_id;
  item.author_name = who.name;

  json::value payload = to_json(item);
  auto saved = storage::transaction(db_, [&](storage::Connection& c) -> Result<Item> {
    if (auto r = events_.emit_before("content.create", payload); !r) return fail(r.error());
    read_back(payload, item);
    render_fields(item);
    try {
      if (in.alias) {
        if (!c.query("SELECT id FROM content WHERE alias = ?", {*in.alias}).empty())
          return fail(Errc::conflict, "the alias is already in use", "alias");
        item.alias = *in.alias;
      } else {
        item.alias = free_alias(c, slugify(item.title), 0);
      }
      item.created_us = item.updated_us = core::now_us();
      if (item.status == "published") item.published_us = item.created_us;
      auto rows = c.query(
          "INSERT INTO content (type, title, alias, teaser, teaser_html, body, body_html, status, author_id, "
          "word_count, created_us, updated_us, published_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
          "RETURNING id",
          {item.type, item.title, item.alias, item.teaser, item.teaser_html, item.body, item.body_html,
           item.status, item.author_id, item.word_count, item.created_us, item.updated_us,
           item.published_us ? Value(*item.published_us) : Value(nullptr)});
      item.id = rows.integer(0, "id");
    } catch (const storage::DbError& e) {
      return fail(db_conflict_or_throw(e));
    }
    storage::append_change(c, "content", std::to_string(item.id), json::object{{"op", "create"}});
    return item;
  });
  if (saved) events_.emit_after("content.create", to_json(*saved));
  return saved;
}

Result<Item> ContentService::update(std::int64_t id, const ItemInput& in, const core::Principal& who) {
  Validation v;
  validate(in, false, v);
  if (!v.ok()) return fail(v.error());

  auto saved = storage::transaction(db_, [&](storage::Connection& c) -> Result<Item> {
    auto rows = c.query(kSelectById, {id});
    if (rows.empty()) return fail(Errc::not_found, "no content with this id");
    Item item = item_from(rows, 0);
    if (!may_edit(who, item)) return fail(Errc::forbidden, "you may not edit this content");
    if (in.status && *in.status != item.status && !who.can("content.publish"))
      return fail(Errc::forbidden, "you may not change the publication status", "status");
    if (in.type) item.type = *in.type;
    if (in.title) item.title = trim(*in.title);
    if (in.teaser) item.teaser = *in.teaser;
    if (in.body) item.body = *in.body;
    if (in.status) item.status = *in.status;

    json::value payload = to_json(item);
    if (auto r = events_.emit_before("content.update", payload); !r) return fail(r.error());
    read_back(payload, item);
    render_fields(item);
    try {
      if (in.alias && *in.alias != item.alias) {
        if (!c.query("SELECT id FROM content WHERE alias = ? AND id <> ?", {*in.alias, id}).empty())
          return fail(Errc::conflict, "the alias is already in use", "alias");
        item.alias = *in.alias;
      }
      item.updated_us = core::now_us();
      if (item.status == "published" && !item.published_us) item.published_us = item.updated_us;
      c.exec(
          "UPDATE content SET type = ?, title = ?, alias = ?, teaser = ?, teaser_html = ?, body = ?, "
          "body_html = ?, "
          "status = ?, word_count = ?, updated_us = ?, published_us = ? WHERE id = ?",
          {item.type, item.title, item.alias, item.teaser, item.teaser_html, item.body, item.body_html,
           item.status, item.word_count, item.updated_us,
           item.published_us ? Value(*item.published_us) : Value(nullptr), id});
    } catch (const storage::DbError& e) {
      return fail(db_conflict_or_throw(e));
    }
    storage::append_change(c, "content", std::to_string(id), json::object{{"op", "update"}});
    return item;
  });
  if (saved) events_.emit_after("content.update", to_json(*saved));
  return saved;
}

Result<void> ContentService::remove(std::int64_t id, const core::Principal& who) {
  json::value payload;
  auto done = storage::transaction(db_, [&](storage::Connection& c) -> Result<void> {
    auto rows = c.query(kSelectById, {id});
    if (rows.empty()) return fail(Errc::not_found, "no content with this id");
    Item item = item_from(rows, 0);
    bool own = item.author_id == who.user_id;
    if (!who.can("content.delete.any") && !(own && who.can("content.delete.own")))
      return fail(Errc::forbidden, "you may not delete this content");
    payload = to_json(item);
    if (auto r = events_.emit_before("content.delete", payload); !r) return r;
    c.exec("DELETE FROM content WHERE id = ?", {id});
    storage::append_change(c, "content", std::to_string(id), json::object{{"op", "delete"}});
    return {};
  });
  if (done) events_.emit_after("content.delete", payload);
  return done;
}

std::string slugify(std::string_view title) {
  std::string out;
  bool dash = false;
  for (unsigned char c : title) {
    if (std::isalnum(c) && c < 0x80) {
      if (dash && !out.empty()) out += '-';
      out += static_cast<char>(std::tolower(c));
      dash = false;
    } else if (c != '\'') {
      dash = true;  // apostrophes vanish ("don't" -> "dont"); everything else separates words
    }
    if (out.size() >= 80) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty() || !alias_allowed(out)) out = out.empty() ? "item" : out + "-item";
  return out;
}

bool alias_allowed(std::string_view alias) {
  static constexpr std::string_view kReserved[] = {
      "api",    "admin", "user",   "tag", "section", "search",  "healthz", "metrics", "themes",
      "assets", "media", "static", "rss", "atom",    "sitemap", "feed",    "login",   "logout"};
  if (alias.empty() || alias.front() == '-' || alias.back() == '-') return false;
  for (unsigned char c : alias)
    if (!(std::isdigit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '_')) return false;
  for (auto r : kReserved)
    if (alias == r) return false;
  return true;
}

json::object to_json(const Item& item) {
  json::object o;
  o["id"] = item.id;
  o["type"] = item.type;
  o["title"] = item.title;
  o["alias"] = item.alias;
  o["url"] = "/" + item.alias;
  o["status"] = item.status;
  o["teaser"] = item.teaser;
  o["teaser_html"] = item.teaser_html;
  o["body"] = item.body;
  o["body_html"] = item.body_html;
  o["author"] = json::object{{"id", item.author_id}, {"name", item.author_name}};
  o["created"] = core::format_time(item.created_us);
  o["updated"] = core::format_time(item.updated_us);
  o["published"] =
      item.published_us ? json::value(core::format_time(*item.published_us)) : json::value(nullptr);
  return o;
}

std::vector<storage::Migration> ContentModule::migrations() const {
  storage::Migration m1;
  m1.version = 1;
  m1.description = "content items";
  m1.sql = R"(
CREATE TABLE content (
  id {{id}},
  type TEXT NOT NULL DEFAULT 'post',
  title TEXT NOT NULL,
  alias TEXT NOT NULL UNIQUE,
  teaser TEXT NOT NULL DEFAULT '',
  teaser_html TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',
  body_html TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  author_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  word_count BIGINT NOT NULL DEFAULT 0,
  created_us BIGINT NOT NULL,
  updated_us BIGINT NOT NULL,
  published_us BIGINT
);
CREATE INDEX content_by_published ON content (status, type, published_us DESC, id DESC);
CREATE INDEX content_by_created ON content (created_us DESC, id DESC);
)";
  return {m1};
}

}  // namespace calipso::modules::content
