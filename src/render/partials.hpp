// Partials are inlined into the including template's source before it is parsed, because
// kainjow re-parses a partial's text every time its tag is rendered (once per list item).
// The price: recursive partials and set-delimiter tags are refused at load time.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace calipso::render {

struct PartialSource {
  std::string_view file;  // for error messages
  std::string_view text;
};

// Finds a partial by the name written in {{> name}}; nullptr when there is none.
using PartialLookup = std::function<const PartialSource*(std::string_view name)>;

// `source` with every {{> name}} replaced by the partial's text, itself expanded. A partial tag
// alone on its line replaces the whole line and each inserted line gets the tag's indentation,
// and a comment alone on its line is dropped with it, as the mustache spec asks (kainjow
// leaves such lines blank). Errors name the file holding the offending tag.
Result<std::string> inline_partials(std::string_view file, std::string_view source,
                                    const PartialLookup& lookup);

// "Unclosed section "x" at 120" → "... at 120 (line 7)": kainjow reports byte offsets only.
std::string with_line_number(std::string_view source, const std::string& message);

}  // namespace calipso::render
