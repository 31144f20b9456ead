// A compiled theme: theme.toml read and checked, every template parsed once with its partials
// inlined, asset URLs fingerprinted. Immutable once loaded, so render threads share one copy
// and a reload builds a new one beside it.
#pragma once

#include <kainjow/mustache.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "render/view.hpp"

namespace calipso::render {

using Template = kainjow::mustache::mustache;

struct Layout {
  std::string name;
  std::string template_name;
  std::vector<std::string> regions;  // as declared; always holds "main"
};

// Per-region settings from [regions.<name>]; read by the page cache.
struct RegionSettings {
  std::int64_t cache_seconds = 0;  // 0: the region is rendered on every request
};

class Theme {
 public:
  // Reads themes_dir/folder. An error names the file at fault and what is wrong with it.
  static Result<std::shared_ptr<const Theme>> load(const std::filesystem::path& themes_dir,
                                                   const std::string& folder);

  const std::string& folder() const { return folder_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& name() const { return name_; }

  const Layout* layout(std::string_view name) const;  // nullptr when the theme lacks it
  const RegionSettings* region_settings(std::string_view region) const;
  bool has_template(std::string_view name) const;

  // Appends template `name` rendered against `view` to `out`; an unknown name is a caller bug
  // and throws std::out_of_range.
  void render(std::string_view name, ViewStack& view, std::string& out) const;

  // {assets:{<key>: url}, theme:{name, folder}}, pushed above every view.
  const Data& globals() const { return globals_; }

  // Whether a file or folder the theme was read from changed since (dev mode).
  bool changed_on_disk() const;

 private:
  struct Stamp {
    std::string path;
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    std::uint64_t inode = 0;
  };
  static std::optional<Stamp> stamp(const std::filesystem::path& path);

  // theme.toml; fills name_, layouts_, region_settings_ and the declared assets (key → path).
  Result<void> read_manifest(std::map<std::string, std::string>& assets);
  Result<void> read_templates();
  Result<void> read_assets(const std::map<std::string, std::string>& assets);

  std::filesystem::path dir_;
  std::string folder_;
  std::string name_;
  std::map<std::string, Layout, std::less<>> layouts_;
  std::map<std::string, RegionSettings, std::less<>> region_settings_;
  // kainjow's render() is non-const though it only reads the parsed tree, as long as no
  // partial or lambda is met at render time; partials are inlined and views hold no lambdas.
  mutable std::map<std::string, Template, std::less<>> templates_;
  Data globals_;
  std::vector<Stamp> stamps_;
};

// The URL templates see for a theme asset. The one place such URLs are made, so the esbuild
// manifest and CDN rewriting can come in behind it.
std::string asset_url(std::string_view theme_folder, std::string_view path, std::string_view version);

}  // namespace calipso::render
