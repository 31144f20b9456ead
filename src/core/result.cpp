#include "core/result.hpp"

namespace calipso {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::malformed: return "malformed";
    case Errc::invalid: return "invalid";
    case Errc::unauthorized: return "unauthorized";
    case Errc::forbidden: return "forbidden";
    case Errc::not_found: return "not_found";
    case Errc::conflict: return "conflict";
    case Errc::too_large: return "too_large";
    case Errc::unavailable: return "unavailable";
    case Errc::storage_full: return "storage_full";
    case Errc::internal: return "internal";
  }
  return "internal";
}

}  // namespace calipso
