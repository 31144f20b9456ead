// Small helpers for reading JSON request bodies into typed fields with field-named errors.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace calipso::core {

// Parses a request body that must be a JSON object; Errc::malformed otherwise.
Result<boost::json::object> parse_object(std::string_view body);

// Reads an optional string member; a present non-string, or a string holding NUL ("\u0000"),
// is a field error in `v`.
std::optional<std::string> get_string(const boost::json::object& obj, std::string_view key, Validation& v);

}  // namespace calipso::core
