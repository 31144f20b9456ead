// Who is making a request, as the auth step established it. Generic on purpose: the
// users module fills it, everything else only reads it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace calipso::core {

struct Principal {
  std::int64_t user_id = 0;
  std::string email;
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> permissions;  // resolved from roles at authentication
  std::string via;                       // "token" or "session"

  // "*" (the administrator role) grants every permission, including those of modules
  // enabled later.
  bool can(std::string_view permission) const {
    for (auto& p : permissions)
      if (p == permission || p == "*") return true;
    return false;
  }
};

}  // namespace calipso::core
