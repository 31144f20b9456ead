// The module interface: a module declares its name, dependencies, migrations, settings and
// jobs, and in attach() registers routes, blocks and hooks. The core knows no module by
// name; app/ lists the built-in ones.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/events.hpp"
#include "core/result.hpp"
#include "http/router.hpp"
#include "render/renderer.hpp"
#include "storage/change_feed.hpp"
#include "storage/db.hpp"
#include "storage/migrations.hpp"

namespace calipso::modules {

class Registry;

// What a module may use; all of it outlives the module.
struct Context {
  storage::Db& db;
  core::ConfigStore& config;
  core::Events& events;
  http::Router& router;
  render::Renderer& renderer;
  Registry& registry;
  // Changes made on any node (this one included), for caches and reloads; subscribe in attach().
  storage::ChangeFeed& changes;
  std::string role;  // "site", "admin" or "all": admin routes mount only on admin and all
};

struct Job {
  std::string name;
  std::string cron;  // with seconds: "0 */5 * * * *"
  std::function<void(Context&)> run;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual std::string_view name() const = 0;
  virtual std::vector<std::string> dependencies() const { return {}; }
  virtual std::vector<storage::Migration> migrations() const { return {}; }
  virtual void settings(core::ConfigSchema&) const {}
  // Permission names this module checks, e.g. "content.create"; roles grant them.
  virtual std::vector<std::string> permissions() const { return {}; }
  virtual std::vector<Job> jobs() const { return {}; }
  virtual void attach(Context& ctx) = 0;
};

class Registry {
 public:
  void add(std::unique_ptr<Module> module);
  // Orders modules so each comes after its dependencies; an unknown dependency or a
  // cycle is an error naming the modules involved.
  Result<void> resolve();
  const std::vector<Module*>& ordered() const { return ordered_; }

  template <class T>
  T* find(std::string_view name) const {
    for (auto& m : modules_)
      if (m->name() == name) return dynamic_cast<T*>(m.get());
    return nullptr;
  }

 private:
  std::vector<std::unique_ptr<Module>> modules_;
  std::vector<Module*> ordered_;
};

}  // namespace calipso::modules
