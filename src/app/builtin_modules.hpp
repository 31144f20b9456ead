// Registers the modules that ship with calipso.
#pragma once

#include "modules/module.hpp"

namespace calipso::app {
void add_builtin_modules(modules::Registry& registry);
}
