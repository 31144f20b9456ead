// Response compression as plain functions: negotiation from Accept-Encoding and one-shot
// gzip/brotli encoders. The compression step uses them per response; the page cache uses
// them to store precompressed variants once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace calipso::http {

enum class Encoding { identity, gzip, br };

// The Content-Encoding token: "identity", "gzip", "br".
std::string_view encoding_token(Encoding e);

// Highest q wins; a tie between br and gzip goes to br (smaller output). "*" covers codings
// not named; q=0 refuses. Without the header, or when nothing is acceptable, identity.
Encoding negotiate_encoding(std::optional<std::string_view> accept_encoding);

// Text-like media types worth compressing: text/*, JSON, XML, JavaScript, SVG and the
// +json/+xml families (feeds). Images, fonts and archives are already compressed.
bool is_compressible(std::string_view content_type);

// gzip container (zlib windowBits 31). Levels 1..9; 6 is zlib's own default.
Result<std::string> gzip_compress(std::string_view data, int level = 6);
// Brotli; quality 0..11. 5 suits per-request use, 11 suits content compressed once and cached.
Result<std::string> brotli_compress(std::string_view data, int quality = 5);

struct CompressionLevels {
  int gzip_level = 6;
  int brotli_quality = 5;
};
// Dispatches on `e`; identity returns the input unchanged.
Result<std::string> compress(std::string_view data, Encoding e, CompressionLevels levels = {});

}  // namespace calipso::http
