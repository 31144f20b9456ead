// Secrets and identifiers from libsodium's CSPRNG; time helpers in one place so tests
// and jobs agree on units (microseconds since the Unix epoch in the database).
#pragma once

#include <cstdint>
#include <string>

namespace calipso::core {

// `bytes` random bytes, hex-encoded (2 × bytes characters). Call sodium_init() first (app boot).
std::string random_hex(std::size_t bytes);
// URL-safe base64 without padding.
std::string random_token(std::size_t bytes);
// SHA-256 of data, hex; for storing tokens by digest.
std::string sha256_hex(std::string_view data);

std::int64_t now_us();
// RFC 3339 UTC with seconds, e.g. 2026-12-04T19:58:40Z.
std::string format_time(std::int64_t us);
// HTTP date (RFC 9110 IMF-fixdate).
std::string http_date(std::int64_t us);

}  // namespace calipso::core
