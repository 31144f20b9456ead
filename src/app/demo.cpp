#include "app/demo.hpp"

#include <iostream>

#include "app/app.hpp"
#include "core/random.hpp"
#include "modules/content/content.hpp"
#include "modules/users/users.hpp"

namespace calipso::app {

namespace {

struct DemoItem {
  const char* type;
  const char* title;
  const char* teaser;
  const char* body;
};

const DemoItem kItems[] = {
    {"page", "About", "What this site is and who runs it.",
     "This is a demo site running on **Calipso**, a content management system written in C++.\n\n"
     "Everything you see is served by one binary: the pages, the theme, the JSON API and the "
     "command line. Edit this page through the API, or replace it with your own."},
    {"post", "Scheduled jobs that run once per occurrence", "",
     "In a cluster, a scheduled job must run **once**, not once per node.\n\n"
     "Calipso keeps jobs in the database. A node claims an occurrence with one atomic "
     "compare-and-set and holds a lease while it works; if it dies, another node takes over.\n\n"
     "| Setting | Meaning |\n|---|---|\n| cron | when, with seconds |\n| lease | how long a claim lasts |\n"},
    {"post", "Putting nginx or a CDN in front", "",
     "Calipso serves static files well, but a CDN serves them closer to your readers.\n\n"
     "Set `static.cdn_url` and every asset and media URL in rendered pages points at the CDN, "
     "while this node keeps answering the same paths as the CDN's **origin**."},
    {"post", "Themes, layouts and regions", "",
     "A theme is a folder: a `theme.toml` that declares layouts and their regions, Mustache "
     "templates, and assets.\n\nModules contribute *blocks* to regions: the list of recent posts "
     "on the side of this page is one.\n\n- `layout.mustache` frames every page\n"
     "- `home.mustache` lists posts\n- `item.mustache` shows one"},
    {"post", "Writing in Markdown",
     "Headings, lists, tables, code: everything you need to write, nothing that breaks the page.",
     "Posts are written in GitHub-flavoured Markdown.\n\n## What works\n\n- *emphasis* and **strong**\n"
     "- ~~strikethrough~~\n- [links](https://commonmark.org)\n- [x] task lists\n\n"
     "```cpp\nint main() { return 0; }\n```\n\n"
     "Raw HTML is dropped on purpose: <script>alert('no')</script> never reaches a reader."},
    {"post", "One binary, two ways to run", "",
     "Start with nothing to set up: Calipso keeps everything in an embedded **SQLite** database "
     "in its data directory.\n\nWhen one machine is not enough, point `database.url` at "
     "**PostgreSQL** and start as many stateless nodes as you like behind a load balancer."},
    {"post", "Welcome to Calipso", "Your new site is up. Here is what it can do.",
     "Welcome! This site runs on Calipso, a fast content management system.\n\n"
     "## Where to go next\n\n1. Create an API token: `calipso token create --user admin@example.com`\n"
     "2. Post with `curl -H 'Authorization: Bearer …' -d '{\"title\":\"Hi\"}' /api/v1/content`\n"
     "3. Change the site's name with `PATCH /api/v1/settings`\n\n"
     "> The fastest page is the one you never have to render twice."},
};

constexpr const char* kEmail = "admin@example.com";
constexpr const char* kPassword = "calipso-demo";

}  // namespace

int load_demo(App& app) {
  const std::string email = kEmail, password = kPassword;
  modules::users::UserService users(app.db());
  auto admin = users.find_by_email(email);
  if (app.db().acquire()->query("SELECT COUNT(*) AS n FROM content").integer(0, "n") > 0) {
    std::cout << "demo: the site already has content; nothing loaded\n";
    if (admin)
      std::cout << "demo: administrator " << email << " (password " << password
                << " unless it was changed); an API token: calipso token create --user " << email << "\n";
    return 0;
  }
  if (!admin) admin = users.create(email, password, "administrator", "Site Admin");
  if (!admin) {
    std::cerr << "demo: " << admin.error().message << "\n";
    return 1;
  }
  core::Principal who{admin->id, admin->email, admin->name, admin->roles, {"*"}, "cli"};

  modules::content::ContentService content(app.db(), app.events());
  auto day = std::int64_t(86400) * 1000000;
  auto when = core::now_us() - day * static_cast<std::int64_t>(std::size(kItems));
  for (auto& d : kItems) {
    auto item = content.create({d.type, d.title, std::nullopt, d.teaser, d.body, "published"}, who);
    if (!item) {
      std::cerr << "demo: " << item.error().message << "\n";
      return 1;
    }
    // Spread publication dates over the past days so the home page reads like a real blog.
    when += day;
    auto conn = app.db().acquire();
    conn->exec("UPDATE content SET created_us = ?, updated_us = ?, published_us = ? WHERE id = ?",
               {when, when, when, item->id});
  }
  auto token = users.create_token(email, "demo");
  std::cout << "demo: loaded " << std::size(kItems) << " items\n"
            << "demo: administrator " << email << " / " << password << " (change it before going live)\n"
            << "demo: API token " << (token ? *token : std::string("?")) << "\n";
  return 0;
}

}  // namespace calipso::app
