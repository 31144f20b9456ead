#include "core/json.hpp"

#include <boost/json/parse.hpp>

namespace calipso::core {

Result<boost::json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec) return fail(Errc::malformed, "the request body is not valid JSON: " + ec.message());
  if (!value.is_object()) return fail(Errc::malformed, "the request body must be a JSON object");
  return std::move(value.as_object());
}

std::optional<std::string> get_string(const boost::json::object& obj, std::string_view key, Validation& v) {
  auto it = obj.find(key);
  if (it == obj.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_string()) {
    v.add(std::string(key), "must be a string");
    return std::nullopt;
  }
  std::string_view text = it->value().as_string();
  // JSON can carry "\u0000"; no text field means it, and PostgreSQL cannot store it.
  if (text.find('\0') != std::string_view::npos) {
    v.add(std::string(key), "must not contain NUL characters");
    return std::nullopt;
  }
  return std::string(text);
}

}  // namespace calipso::core
