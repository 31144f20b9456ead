// Load-time expansion of {{> partial}} tags; see partials.hpp for why.
#include "render/partials.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace calipso::render {
namespace {

// Deeper nesting than this is a theme bug, not a design.
constexpr std::size_t kMaxDepth = 16;

constexpr std::string_view kSpace = " \t\r\n";

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

std::size_t line_of(std::string_view s, std::size_t offset) {
  offset = std::min(offset, s.size());
  return 1 + static_cast<std::size_t>(
                 std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

void append_indented(std::string& out, std::string_view text, std::string_view indent) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    out.append(indent);
    out.append(text, pos, end - pos);
    pos = end;
  }
}

class Expander {
 public:
  explicit Expander(const PartialLookup& lookup) : lookup_(lookup) {}

  Result<std::string> expand(std::string_view file, std::string_view src) {
    std::string out;
    out.reserve(src.size());
    std::size_t pos = 0;
    while (true) {
      std::size_t open = src.find("{{", pos);
      if (open == std::string_view::npos) break;
      std::size_t body = open + 2;
      // Triple mustaches end with "}}}"; an unclosed tag is left for kainjow to report.
      std::string_view closer = body < src.size() && src[body] == '{' ? "}}}" : "}}";
      std::size_t close = src.find(closer, body);
      if (close == std::string_view::npos) break;
      std::size_t end = close + closer.size();
      // kainjow trims a tag's contents before looking at its sigil, so "{{ > x }}" is a partial.
      std::string_view contents = trim(src.substr(body, close - body));
      if (closer.size() == 2 && contents.starts_with('='))
        return fail(Errc::invalid,
                    fmt::format("{}:{}: set-delimiter tags are not supported in theme templates", file,
                                line_of(src, open)));
      const bool partial = closer.size() == 2 && contents.starts_with('>');
      const bool comment = closer.size() == 2 && contents.starts_with('!');
      if (!partial && !comment) {
        out.append(src, pos, end - pos);
        pos = end;
        continue;
      }

      // A tag alone on its line (only blanks around it) stands for the whole line.
      std::size_t line_start = src.rfind('\n', open);
      line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
      std::string_view before = src.substr(line_start, open - line_start);
      std::size_t after = src.find_first_not_of(" \t", end);
      if (after == std::string_view::npos) after = src.size();
      std::size_t eol = after;
      if (src.substr(after).starts_with("\r\n"))
        eol += 2;
      else if (src.substr(after).starts_with("\n"))
        eol += 1;
      const bool standalone = before.find_first_not_of(" \t") == std::string_view::npos &&
                              (eol != after || after == src.size()) && line_start >= pos;

      if (comment) {
        // kainjow would leave a blank line where a standalone comment was; the spec drops it.
        out.append(src, pos, (standalone ? line_start : end) - pos);
        pos = standalone ? eol : end;
        continue;
      }

      std::string_view name = trim(contents.substr(1));
      auto inner = include(file, src, open, name);
      if (!inner) return inner;
      if (standalone) {
        out.append(src, pos, line_start - pos);
        append_indented(out, *inner, before);
        pos = eol;
      } else {
        out.append(src, pos, open - pos);
        out += *inner;
        pos = end;
      }
    }
    out.append(src, pos);
    return out;
  }

 private:
  Result<std::string> include(std::string_view file, std::string_view src, std::size_t at,
                              std::string_view name) {
    const PartialSource* partial = lookup_(name);
    if (!partial)
      return fail(Errc::invalid, fmt::format("{}:{}: no partial named '{}'", file, line_of(src, at), name));
    if (std::find(stack_.begin(), stack_.end(), name) != stack_.end() || stack_.size() >= kMaxDepth) {
      std::string chain;
      for (auto n : stack_) chain += std::string(n) + " > ";
      return fail(Errc::invalid, fmt::format("{}:{}: partial '{}' includes itself ({}{}); recursive partials "
                                             "are not supported",
                                             file, line_of(src, at), name, chain, name));
    }
    stack_.push_back(name);
    auto inner = expand(partial->file, partial->text);
    stack_.pop_back();
    return inner;
  }

  const PartialLookup& lookup_;
  std::vector<std::string_view> stack_;
};

}  // namespace

Result<std::string> inline_partials(std::string_view file, std::string_view source,
                                    const PartialLookup& lookup) {
  return Expander(lookup).expand(file, source);
}

std::string with_line_number(std::string_view source, const std::string& message) {
  auto at = message.rfind(" at ");
  if (at == std::string::npos) return message;
  std::size_t offset = 0;
  const char* first = message.data() + at + 4;
  const char* last = message.data() + message.size();
  auto [p, ec] = std::from_chars(first, last, offset);
  if (ec != std::errc{} || p != last) return message;
  return fmt::format("{} (line {})", message, line_of(source, offset));
}

}  // namespace calipso::render
