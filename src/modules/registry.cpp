#include <map>

#include "modules/module.hpp"

namespace calipso::modules {

void Registry::add(std::unique_ptr<Module> module) { modules_.push_back(std::move(module)); }

Result<void> Registry::resolve() {
  std::map<std::string, Module*, std::less<>> by_name;
  for (auto& m : modules_) {
    if (!by_name.emplace(std::string(m->name()), m.get()).second)
      return fail(Errc::invalid, "module " + std::string(m->name()) + " is registered twice");
  }
  for (auto& m : modules_)
    for (auto& dep : m->dependencies())
      if (!by_name.contains(dep))
        return fail(Errc::invalid, "module " + std::string(m->name()) + " depends on unknown module " + dep);

  // Depth-first topological sort; the path in progress names a cycle when we meet it again.
  enum class Mark { none, visiting, done };
  std::map<Module*, Mark> mark;
  std::vector<Module*> out, path;
  std::function<Result<void>(Module*)> visit = [&](Module* m) -> Result<void> {
    if (mark[m] == Mark::done) return {};
    if (mark[m] == Mark::visiting) {
      std::string cycle;
      auto it = std::find(path.begin(), path.end(), m);
      for (; it != path.end(); ++it) cycle += std::string((*it)->name()) + " -> ";
      return fail(Errc::invalid, "module dependency cycle: " + cycle + std::string(m->name()));
    }
    mark[m] = Mark::visiting;
    path.push_back(m);
    for (auto& dep : m->dependencies())
      if (auto r = visit(by_name.find(dep)->second); !r) return r;
    path.pop_back();
    mark[m] = Mark::done;
    out.push_back(m);
    return {};
  };
  for (auto& m : modules_)
    if (auto r = visit(m.get()); !r) return r;
  ordered_ = std::move(out);
  return {};
}

}  // namespace calipso::modules
