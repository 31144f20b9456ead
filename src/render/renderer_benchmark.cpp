// What a page costs to render with the default theme, and why partials are inlined at load:
// the same teaser list through kainjow's own partials, which re-parse at every include.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <map>
#include <sstream>

#include "render/partials.hpp"
#include "render/renderer.hpp"
#include "render/sample_views.hpp"
#include "render/theme.hpp"
#include "render/view.hpp"

namespace calipso::render {
namespace {

Renderer& default_theme() {
  static Renderer* renderer = [] {
    spdlog::set_level(spdlog::level::warn);
    auto* r = new Renderer(samples::themes_dir().string(), "default", false);
    if (auto loaded = r->load(); !loaded) throw std::runtime_error(loaded.error().message);
    r->add_block(Block{"demo.about", "sidebar", 0, [](const PageContext&) {
                         return std::string(
                             "<section class=\"block\"><h2>About</h2><p>A demo block.</p></section>");
                       }});
    return r;
  }();
  return *renderer;
}

void BM_HomePage(benchmark::State& state) {
  auto req = samples::request("/");
  PageContext ctx{
      req, samples::site_config(), "home", "", "", samples::home_view(static_cast<int>(state.range(0)))};
  for (auto _ : state) benchmark::DoNotOptimize(default_theme().page(ctx, "home"));
}
BENCHMARK(BM_HomePage)->Arg(10)->Arg(50);

void BM_ItemPageWithSidebarBlock(benchmark::State& state) {
  auto req = samples::request("/hello");
  PageContext ctx{req, samples::site_config(), "default", "Hello", "", samples::item_view("Hello")};
  for (auto _ : state) benchmark::DoNotOptimize(default_theme().page(ctx, "item"));
}
BENCHMARK(BM_ItemPageWithSidebarBlock);

void BM_ViewConversion(benchmark::State& state) {
  auto view = samples::home_view(10);
  for (auto _ : state) benchmark::DoNotOptimize(to_data(view));
}
BENCHMARK(BM_ViewConversion);

std::string template_text(const std::string& relative) {
  std::ifstream in(samples::themes_dir() / "default" / "templates" / relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::map<std::string, std::string>& home_sources() {
  static const std::map<std::string, std::string> sources{
      {"home", template_text("home.mustache")},
      {"teaser", template_text("partials/teaser.mustache")},
      {"meta", template_text("partials/meta.mustache")},
      {"pager", template_text("partials/pagination.mustache")},
  };
  return sources;
}

// home.mustache includes {{> pagination}}, a name the view also uses for its data; kainjow
// looks partials up in the view, so the partial goes by another name here.
std::string home_source() {
  std::string home = home_sources().at("home");
  home.replace(home.find("{{> pagination}}"), 16, "{{> pager}}");
  return home;
}

void BM_HomeMainTemplate_KainjowPartials(benchmark::State& state) {
  Data data = to_data(samples::home_view(10));
  for (const auto& [name, text] : home_sources())
    data[name] = Data(kainjow::mustache::partial([&text = text] { return text; }));
  Template tmpl(home_source());
  for (auto _ : state) benchmark::DoNotOptimize(tmpl.render(data));
}
BENCHMARK(BM_HomeMainTemplate_KainjowPartials);

void BM_HomeMainTemplate_Inlined(benchmark::State& state) {
  Data data = to_data(samples::home_view(10));
  std::map<std::string, PartialSource, std::less<>> partials;
  for (const auto& [name, text] : home_sources()) partials[name] = PartialSource{name, text};
  auto expanded = inline_partials("home", home_source(), [&](std::string_view name) -> const PartialSource* {
    auto it = partials.find(name);
    return it == partials.end() ? nullptr : &it->second;
  });
  if (!expanded) throw std::runtime_error(expanded.error().message);
  Template tmpl(*expanded);
  for (auto _ : state) benchmark::DoNotOptimize(tmpl.render(data));
}
BENCHMARK(BM_HomeMainTemplate_Inlined);

}  // namespace
}  // namespace calipso::render
