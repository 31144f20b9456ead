#include "app/app.hpp"

#include <sodium.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "app/builtin_modules.hpp"
#include "app/settings.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "http/errors.hpp"
#include "http/middleware.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "http/steps.hpp"
#include "modules/users/users.hpp"
#include "render/renderer.hpp"
#include "storage/change_feed.hpp"
#include "storage/change_log.hpp"
#include "storage/migrations.hpp"

namespace calipso::app {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// server.threads, or when it is 0 the number of cores; twice that with a database server, whose
// answers a thread waits for (with PostgreSQL on two cores, 4 threads served the home page
// 12-30% faster than 2; with SQLite more threads than cores gained nothing).
int worker_threads(const core::Config& config, bool external_database) {
  auto configured = config.integer("server.threads");
  if (configured > 0) return static_cast<int>(configured);
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return external_database ? 2 * cores : cores;
}

std::string default_database_url(const core::Config& config) {
  auto dir = fs::absolute(config.str("data_dir"));
  return "sqlite://" + (dir / "calipso.db").string();
}

// Maps a database that went away to 503 (a full disk to 507) for this request instead of a 500
// with details; the details go to the log.
http::Middleware database_errors() {
  return [](http::Request& req, const http::Next& next) {
    try {
      return next(req);
    } catch (const storage::DbError& e) {
      log::error("request {}: database: {}", req.request_id, e.what());
      auto code = e.kind == storage::DbError::Kind::unavailable ? Errc::unavailable
                  : e.kind == storage::DbError::Kind::full      ? Errc::storage_full
                                                                : Errc::internal;
      auto res = http::error_response(
          req, Error{code,
                     code == Errc::storage_full ? "the server's storage is full; nothing was saved"
                                                : "the database is unavailable, please retry",
                     "",
                     {}});
      if (code == Errc::unavailable) res.headers.set("Retry-After", "1");
      return res;
    }
  };
}

}  // namespace

std::string find_themes_dir(const core::Config& config) {
  if (auto dir = config.str("themes_dir"); !dir.empty()) return dir;
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / "themes");  // build/calipso in a checkout
    candidates.push_back(exe.parent_path().parent_path() / "share/calipso/themes");  // installed
  }
  candidates.push_back(fs::current_path() / "themes");
  for (auto& c : candidates)
    if (fs::is_directory(c / "default", ec)) return c.string();
  return (fs::current_path() / "themes").string();
}

App::App(const Options& options) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  core::add_core_keys(schema_);
  add_builtin_modules(registry_);
  if (auto r = registry_.resolve(); !r) throw std::runtime_error(r.error().message);
  for (auto* m : registry_.ordered()) m->settings(schema_);

  // Command-line flags are the top layer: they ride in as environment overrides.
  auto env = core::Config::process_environment();
  if (options.port) env[core::Config::env_name("server.port")] = std::to_string(*options.port);
  if (options.role) env[core::Config::env_name("server.role")] = *options.role;
  auto config = core::Config::load(schema_, options.config_file, env);
  if (!config) throw std::runtime_error("configuration: " + config.error().message);
  log::setup(config->str("log.level"));

  auto url = config->str("database.url");
  if (url.empty()) {
    fs::create_directories(config->str("data_dir"));
    url = default_database_url(*config);
  }
  threads_ = worker_threads(*config, storage::dialect_of(url) == storage::Dialect::postgres);
  auto pool = config->integer("database.pool_size");
  if (pool == 0) pool = threads_ + 2;  // +2: change feed, health checks
  db_ = storage::open(url, static_cast<std::size_t>(pool));
  config_ = std::make_unique<core::ConfigStore>(std::move(*config));
}

App::~App() = default;

int App::migrate() {
  std::vector<storage::ModuleMigrations> all{{"core", storage::core_migrations()}};
  for (auto* m : registry_.ordered()) all.push_back({std::string(m->name()), m->migrations()});
  return storage::migrate(*db_, all);
}

void App::load_site_settings() {
  std::vector<std::string> rejected;
  auto settings = load_settings(*db_);
  config_->apply_site_settings(settings);
  (void)config_->base().with_site_settings(settings, &rejected);
  for (auto& key : rejected) log::warn("settings: ignoring stored value of {}", key);
}

int App::serve() {
  auto ran = migrate();
  if (ran) log::info("applied {} migration(s)", ran);
  load_site_settings();
  auto cfg = config_->get();

  auto themes_dir = find_themes_dir(*cfg);
  render::Renderer renderer(themes_dir, cfg->str("site.theme"), cfg->boolean("server.dev"));
  if (auto r = renderer.load(); !r) {
    log::error("theme: {}", r.error().message);
    return 1;
  }
  http::set_error_page_renderer(
      [this, &renderer](const http::Request& req, int status, const std::string& message) {
        return renderer.error_page(req, *config_->get(), status, message);
      });

  http::Router router;
  std::string role = cfg->str("server.role");
  storage::ChangeFeed feed(*db_, 250);
  // Settings changed on any node: new snapshot, and the theme follows site.theme.
  feed.on("config", [this, &renderer](const storage::Change&) {
    auto before = config_->get()->str("site.theme");
    config_->apply_site_settings(load_settings(*db_));
    auto after = config_->get()->str("site.theme");
    if (after == before) return;
    if (auto r = renderer.switch_theme(after); !r)
      log::error("theme {}: {}; keeping {}", after, r.error().message, before);
    else
      log::info("theme switched to {}", after);
  });
  modules::Context ctx{*db_, *config_, events_, router, renderer, registry_, feed, role};
  for (auto* m : registry_.ordered()) m->attach(ctx);

  router.get("/healthz", [this](http::Request& req) {
    try {
      auto conn = db_->acquire();
      conn->query("SELECT 1");
      return http::Response::json(200, json::object{{"status", "ok"}, {"database", "ok"}});
    } catch (const std::exception& e) {
      log::warn("healthz: {}", e.what());
      return http::Response::json(503, json::object{{"status", "error"}, {"database", "unavailable"}});
    }
  });
  router.get("/metrics", [](http::Request&) {
    auto res = http::Response::text(200, core::Metrics::global().exposition());
    res.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return res;
  });
  add_settings_routes(router, *db_, *config_);

  auto* users = registry_.find<modules::users::UsersModule>("users");
  http::Chain chain;
  chain.use(http::observe({cfg->boolean("server.access_log"), nullptr}));
  chain.use(http::security_headers());
  chain.use(http::conditional_compress());
  chain.use(http::static_files({"/themes/", themes_dir, [](std::string_view rel) {
                                  // only a theme's assets/ folder is public, not its templates
                                  auto slash = rel.find('/');
                                  return slash != std::string_view::npos &&
                                         rel.substr(slash).starts_with("/assets/");
                                }}));
  chain.use(database_errors());
  chain.use(users->auth_middleware());
  auto handler = chain.build([&router](http::Request& req) { return router.dispatch(req); });

  feed.start();

  http::ServerOptions so;
  so.host = cfg->str("server.host");
  so.port = static_cast<std::uint16_t>(cfg->integer("server.port"));
  so.threads = threads_;
  so.max_connections = static_cast<std::size_t>(cfg->integer("server.max_connections"));
  so.max_body_bytes = static_cast<std::size_t>(cfg->integer("server.max_body_bytes"));
  so.max_header_bytes = static_cast<std::size_t>(cfg->integer("server.max_header_bytes"));
  so.max_header_count = static_cast<std::size_t>(cfg->integer("server.max_header_count"));
  so.request_timeout_ms = static_cast<int>(cfg->integer("server.request_timeout_ms"));
  so.idle_timeout_ms = static_cast<int>(cfg->integer("server.idle_timeout_ms"));
  so.trusted_proxies = cfg->list("server.trusted_proxies");
  http::Server server(so, handler);
  try {
    server.listen();
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }

  auto& metrics = core::Metrics::global();
  metrics.gauge("calipso_http_open_connections", "Open client connections",
                [&server] { return static_cast<double>(server.open_connections()); });
  metrics.gauge("calipso_db_pool_connections", "Database connections open",
                [this] { return static_cast<double>(db_->stats().size); });
  metrics.gauge("calipso_db_pool_idle", "Database connections idle in the pool",
                [this] { return static_cast<double>(db_->stats().idle); });
  metrics.gauge("calipso_db_pool_waits_total", "Pool acquisitions that had to wait",
                [this] { return static_cast<double>(db_->stats().waits); });

  std::printf("calipso %s (%s role) listening on http://%s:%u\n", CALIPSO_VERSION, role.c_str(),
              so.host.c_str(), server.port());
  std::fflush(stdout);
  log::info("database {}, {} threads, theme {}", db_->describe(), so.threads, cfg->str("site.theme"));
  server.run();
  feed.stop();
  log::info("stopped");
  return 0;
}

}  // namespace calipso::app
