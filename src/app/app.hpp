// Boot and wiring: reads the configuration, opens the database, orders the modules,
// migrates, and (for `serve`) builds the middleware chain and runs the HTTP server.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/events.hpp"
#include "modules/module.hpp"
#include "storage/db.hpp"

namespace calipso::app {

struct Options {
  std::string config_file;
  std::optional<int> port;
  std::optional<std::string> role;
};

class App {
 public:
  // Loads config and opens the database; throws std::runtime_error with a message meant
  // for the operator (bad key, unreachable database, ...).
  explicit App(const Options& options);
  ~App();

  // Applies pending migrations of the core and every module; returns how many ran.
  int migrate();
  // Runs the site until SIGTERM/SIGINT; returns the process exit code.
  int serve();

  core::ConfigStore& config() { return *config_; }
  storage::Db& db() { return *db_; }
  modules::Registry& registry() { return registry_; }
  core::Events& events() { return events_; }

 private:
  void load_site_settings();

  core::ConfigSchema schema_;
  std::unique_ptr<core::ConfigStore> config_;
  std::unique_ptr<storage::Db> db_;
  int threads_ = 1;  // worker threads, fixed at start (server.threads or derived)
  modules::Registry registry_;
  core::Events events_;
};

// The directory holding themes: themes_dir if set, else next to the binary or the cwd.
std::string find_themes_dir(const core::Config& config);

}  // namespace calipso::app
