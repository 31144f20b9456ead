// Theme loading and checking; the render module's one translation unit with toml++ in it.
#include "render/theme.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/random.hpp"
#include "render/partials.hpp"
#include "render/renderer.hpp"

namespace calipso::render {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kExtension = ".mustache";
constexpr std::string_view kPartialsDir = "partials/";
// Long enough that two versions of one file never share it in practice, short enough for URLs.
constexpr std::size_t kVersionLength = 10;

// Folder names come from a site setting, so they must not be able to leave themes_dir.
bool safe_folder(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// A key templates reach as {{regions.<key>}} or {{assets.<key>}}: a dot would split it.
bool plain_key(std::string_view key) {
  return !key.empty() && key.find_first_of(". \t{}#^/>&!=") == std::string_view::npos;
}

// Asset paths go into URLs as they are, so they keep to characters that need no escaping, and
// they must stay inside assets/.
bool safe_asset_path(std::string_view path) {
  bool plain = !path.empty() && std::all_of(path.begin(), path.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
  });
  const fs::path relative(path);
  return plain && relative.is_relative() &&
         std::none_of(relative.begin(), relative.end(), [](const fs::path& part) { return part == ".."; });
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::invalid, fmt::format("{}: cannot be read", path.string()));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return fail(Errc::invalid, fmt::format("{}: read error", path.string()));
  return std::move(buf).str();
}

// Appends to the std::string a template renders into; kainjow writes through `<<`.
struct Sink {
  std::string& out;
  Sink& operator<<(const std::string& s) {
    out += s;
    return *this;
  }
};

std::string escape(const std::string& s) { return escape_html(s); }

}  // namespace

std::string asset_url(std::string_view theme_folder, std::string_view path, std::string_view version) {
  return fmt::format("/themes/{}/assets/{}?v={}", theme_folder, path, version);
}

Result<std::shared_ptr<const Theme>> Theme::load(const fs::path& themes_dir, const std::string& folder) {
  if (!safe_folder(folder))
    return fail(Errc::invalid,
                fmt::format("theme '{}': a theme name is letters, digits, '-' and '_'", folder));
  auto theme = std::shared_ptr<Theme>(new Theme());
  theme->folder_ = folder;
  theme->dir_ = themes_dir / folder;
  if (!fs::is_directory(theme->dir_))
    return fail(Errc::invalid, fmt::format("{}: no such theme folder", theme->dir_.string()));

  std::map<std::string, std::string> assets;
  if (auto r = theme->read_manifest(assets); !r) return fail(r.error());
  if (auto r = theme->read_templates(); !r) return fail(r.error());
  if (auto r = theme->read_assets(assets); !r) return fail(r.error());

  const std::string manifest = (theme->dir_ / "theme.toml").string();
  for (const auto& [name, layout] : theme->layouts_)
    if (!theme->has_template(layout.template_name))
      return fail(Errc::invalid, fmt::format("{}: layouts.{}.template: there is no templates/{}{}", manifest,
                                             name, layout.template_name, kExtension));

  Data about(Data::type::object);
  put(about, "name", text(theme->name_));
  put(about, "folder", text(theme->folder_));
  put(theme->globals_, "theme", std::move(about));
  return std::shared_ptr<const Theme>(std::move(theme));
}

Result<void> Theme::read_manifest(std::map<std::string, std::string>& assets) {
  const fs::path path = dir_ / "theme.toml";
  const std::string file = path.string();
  if (auto s = stamp(path))
    stamps_.push_back(*s);
  else
    return fail(Errc::invalid, fmt::format("{}: missing; a theme declares its layouts there", file));

  toml::table table;
  try {
    table = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    return fail(Errc::invalid, fmt::format("{}:{}:{}: {}", file, e.source().begin.line,
                                           e.source().begin.column, e.description()));
  }
  auto bad = [&](const toml::node& node, std::string_view key, std::string_view what) {
    return fail(Errc::invalid, fmt::format("{}:{}: {}: {}", file, node.source().begin.line, key, what));
  };
  auto string_of = [](const toml::node& node) -> std::optional<std::string> {
    if (!node.is_string()) return std::nullopt;
    return node.value<std::string>();
  };

  std::set<std::string, std::less<>> all_regions;
  for (auto&& [key, node] : table) {
    const std::string k(key.str());
    if (k == "name" || k == "description" || k == "version" || k == "author" || k == "license" ||
        k == "homepage") {
      auto value = string_of(node);
      if (!value) return bad(node, k, "expected a string");
      if (k == "name") name_ = *value;
    } else if (k == "layouts") {
      auto* layouts = node.as_table();
      if (!layouts) return bad(node, k, "expected tables, e.g. [layouts.default]");
      for (auto&& [lkey, lnode] : *layouts) {
        Layout layout;
        layout.name = std::string(lkey.str());
        const std::string where = "layouts." + layout.name;
        auto* fields = lnode.as_table();
        if (!fields) return bad(lnode, where, "expected a table with template and regions");
        for (auto&& [fkey, fnode] : *fields) {
          const std::string f = where + "." + std::string(fkey.str());
          if (fkey.str() == "template") {
            auto value = string_of(fnode);
            if (!value || value->empty()) return bad(fnode, f, "expected a template name");
            layout.template_name = *value;
          } else if (fkey.str() == "regions") {
            auto* list = fnode.as_array();
            if (!list || list->empty()) return bad(fnode, f, "expected a non-empty list of region names");
            for (auto&& item : *list) {
              auto region = string_of(item);
              if (!region || !plain_key(*region))
                return bad(item, f, "region names are strings without dots");
              if (std::find(layout.regions.begin(), layout.regions.end(), *region) != layout.regions.end())
                return bad(item, f, fmt::format("region '{}' is listed twice", *region));
              layout.regions.push_back(*region);
              all_regions.insert(*region);
            }
          } else {
            return bad(fnode, f, "unknown key (a layout has template and regions)");
          }
        }
        if (layout.template_name.empty()) return bad(lnode, where, "template is required");
        if (std::find(layout.regions.begin(), layout.regions.end(), "main") == layout.regions.end())
          return bad(lnode, where + ".regions", "must include \"main\", where the page's own content goes");
        layouts_.emplace(layout.name, std::move(layout));
      }
    } else if (k == "regions" || k == "assets") {
      // Checked after the loop: regions need every layout read first.
    } else {
      return bad(node, k, "unknown key");
    }
  }
  if (name_.empty()) return fail(Errc::invalid, fmt::format("{}: name is required", file));
  if (!layouts_.contains("default"))
    return fail(Errc::invalid,
                fmt::format("{}: [layouts.default] is required (the fallback for every page)", file));

  if (auto* node = table.get("regions")) {
    auto* regions = node->as_table();
    if (!regions) return bad(*node, "regions", "expected tables, e.g. [regions.sidebar]");
    for (auto&& [rkey, rnode] : *regions) {
      const std::string where = "regions." + std::string(rkey.str());
      if (!all_regions.contains(rkey.str())) return bad(rnode, where, "no layout has this region");
      auto* fields = rnode.as_table();
      if (!fields) return bad(rnode, where, "expected a table");
      RegionSettings settings;
      for (auto&& [fkey, fnode] : *fields) {
        const std::string f = where + "." + std::string(fkey.str());
        if (fkey.str() != "cache_seconds") return bad(fnode, f, "unknown key (known: cache_seconds)");
        auto value = fnode.value<std::int64_t>();
        if (!fnode.is_integer() || !value || *value < 0) return bad(fnode, f, "expected seconds, 0 or more");
        settings.cache_seconds = *value;
      }
      region_settings_.emplace(std::string(rkey.str()), settings);
    }
  }

  if (auto* node = table.get("assets")) {
    auto* declared = node->as_table();
    if (!declared) return bad(*node, "assets", "expected a table of name = \"path under assets/\"");
    for (auto&& [akey, anode] : *declared) {
      const std::string where = "assets." + std::string(akey.str());
      if (!plain_key(akey.str())) return bad(anode, where, "asset names have no dots or spaces");
      auto value = string_of(anode);
      if (!value || !safe_asset_path(*value))
        return bad(anode, where,
                   "expected a path inside the theme's assets/ folder, of letters, digits and - _ . /");
      assets.emplace(std::string(akey.str()), *value);
    }
  }
  return {};
}

Result<void> Theme::read_templates() {
  const fs::path root = dir_ / "templates";
  if (!fs::is_directory(root)) return fail(Errc::invalid, fmt::format("{}: missing", root.string()));
  if (auto s = stamp(root)) stamps_.push_back(*s);

  struct Source {
    std::string file;
    std::string text;
  };
  std::map<std::string, Source, std::less<>> pages, partials;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path& path = it->path();
    if (it->is_directory()) {
      if (auto s = stamp(path)) stamps_.push_back(*s);
      continue;
    }
    if (path.extension() != kExtension) continue;
    std::string name = path.lexically_relative(root).replace_extension().generic_string();
    auto text = read_file(path);
    if (!text) return fail(text.error());
    // Each file is parsed alone first, so a syntax error is reported against the file that
    // holds it, with offsets that match that file.
    Template alone(*text);
    if (!alone.is_valid())
      return fail(Errc::invalid,
                  fmt::format("{}: {}", path.string(), with_line_number(*text, alone.error_message())));
    if (auto s = stamp(path)) stamps_.push_back(*s);
    Source source{path.string(), std::move(*text)};
    if (name.starts_with(kPartialsDir))
      partials.emplace(name.substr(kPartialsDir.size()), std::move(source));
    else
      pages.emplace(std::move(name), std::move(source));
  }
  if (ec) return fail(Errc::invalid, fmt::format("{}: {}", root.string(), ec.message()));

  std::map<std::string, PartialSource, std::less<>> lookup_table;
  // A page template may serve as a partial too; one in partials/ wins over it.
  for (auto* group : {&pages, &partials})
    for (const auto& [name, source] : *group) lookup_table[name] = PartialSource{source.file, source.text};
  PartialLookup lookup = [&](std::string_view name) -> const PartialSource* {
    auto it = lookup_table.find(name);
    return it == lookup_table.end() ? nullptr : &it->second;
  };

  for (const auto& [name, source] : pages) {
    auto expanded = inline_partials(source.file, source.text, lookup);
    if (!expanded) return fail(expanded.error());
    Template tmpl(*expanded);
    if (!tmpl.is_valid())
      return fail(Errc::invalid,
                  fmt::format("{}: {} (with its partials inlined)", source.file, tmpl.error_message()));
    tmpl.set_custom_escape(escape);
    templates_.emplace(name, std::move(tmpl));
  }
  return {};
}

Result<void> Theme::read_assets(const std::map<std::string, std::string>& assets) {
  Data urls(Data::type::object);
  for (const auto& [key, relative] : assets) {
    const fs::path path = dir_ / "assets" / relative;
    auto content = read_file(path);
    if (!content)
      return fail(Errc::invalid, fmt::format("{}: assets.{}: {} is missing or unreadable",
                                             (dir_ / "theme.toml").string(), key, path.string()));
    if (auto s = stamp(path)) stamps_.push_back(*s);
    put(urls, key, text(asset_url(folder_, relative, core::sha256_hex(*content).substr(0, kVersionLength))));
  }
  put(globals_, "assets", std::move(urls));
  return {};
}

const Layout* Theme::layout(std::string_view name) const {
  auto it = layouts_.find(name);
  return it == layouts_.end() ? nullptr : &it->second;
}

const RegionSettings* Theme::region_settings(std::string_view region) const {
  auto it = region_settings_.find(region);
  return it == region_settings_.end() ? nullptr : &it->second;
}

bool Theme::has_template(std::string_view name) const { return templates_.contains(name); }

void Theme::render(std::string_view name, ViewStack& view, std::string& out) const {
  auto it = templates_.find(name);
  if (it == templates_.end())
    throw std::out_of_range(fmt::format("theme {} has no template '{}'", folder_, name));
  Sink sink{out};
  it->second.render(view, sink);
}

std::optional<Theme::Stamp> Theme::stamp(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return Stamp{path.string(),
               static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
               static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)};
}

bool Theme::changed_on_disk() const {
  return std::any_of(stamps_.begin(), stamps_.end(), [](const Stamp& old) {
    auto now = stamp(old.path);
    return !now || now->mtime_ns != old.mtime_ns || now->size != old.size || now->inode != old.inode;
  });
}

}  // namespace calipso::render
