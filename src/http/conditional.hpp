// Entity tags and If-None-Match, shared by the compression step and the page cache so a
// cached variant and a freshly rendered one carry the same tag.
#pragma once

#include <string>
#include <string_view>

#include "http/compress.hpp"

namespace calipso::http {

// A strong tag from the identity body: "\"<16 hex>\"". The hash is fast, not cryptographic,
// and stable for a given build, which is all a validator needs.
std::string strong_etag(std::string_view body);

// The tag of an encoded variant: "\"abc\"" -> "\"abc-br\"" / "\"abc-gz\""; identity unchanged.
std::string variant_etag(std::string_view etag, Encoding e);

// Weak comparison (RFC 9110 §13.1.2): true when If-None-Match is "*" or lists `etag`,
// ignoring W/ prefixes on either side.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace calipso::http
