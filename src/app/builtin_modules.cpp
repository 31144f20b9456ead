// The list of built-in modules: the one place that names them.
#include "app/builtin_modules.hpp"

#include "modules/content/content.hpp"
#include "modules/users/users.hpp"

namespace calipso::app {

void add_builtin_modules(modules::Registry& registry) {
  registry.add(std::make_unique<modules::users::UsersModule>());
  registry.add(std::make_unique<modules::content::ContentModule>());
}

}  // namespace calipso::app
