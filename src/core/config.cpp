// The one translation unit that includes toml++ (slow to compile).
#include "core/config.hpp"

#include <toml++/toml.h>

#include <fmt/format.h>
#include <boost/json.hpp>

#include <cctype>
#include <charconv>

extern char** environ;

namespace calipso::core {
namespace json = boost::json;

namespace {

std::string type_name(KeyType type) {
  switch (type) {
    case KeyType::string: return "a string";
    case KeyType::integer: return "an integer";
    case KeyType::boolean: return "true or false";
    case KeyType::string_list: return "a list of strings";
  }
  return "?";
}

std::string show(const json::value& v) { return json::serialize(v); }

// Environment values are text; read them as the key's type.
std::optional<json::value> parse_env(KeyType type, const std::string& text) {
  switch (type) {
    case KeyType::string: return json::value(text);
    case KeyType::integer: {
      std::int64_t n = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc{} || p != text.data() + text.size()) return std::nullopt;
      return json::value(n);
    }
    case KeyType::boolean:
      if (text == "true" || text == "1" || text == "yes") return json::value(true);
      if (text == "false" || text == "0" || text == "no") return json::value(false);
      return std::nullopt;
    case KeyType::string_list: {
      json::array out;
      std::size_t start = 0;
      while (start <= text.size()) {
        auto end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        std::string item = text.substr(start, end - start);
        auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
        if (b != std::string::npos) out.emplace_back(item.substr(b, e - b + 1));
        start = end + 1;
      }
      return json::value(std::move(out));
    }
  }
  return std::nullopt;
}

std::optional<json::value> from_toml(const toml::node& node) {
  if (auto s = node.as_string()) return json::value(s->get());
  if (auto i = node.as_integer()) return json::value(i->get());
  if (auto b = node.as_boolean()) return json::value(b->get());
  if (auto f = node.as_floating_point()) return json::value(f->get());
  if (auto a = node.as_array()) {
    json::array out;
    for (auto& item : *a) {
      auto v = from_toml(item);
      if (!v) return std::nullopt;
      out.push_back(std::move(*v));
    }
    return json::value(std::move(out));
  }
  if (auto t = node.as_table()) {
    json::object out;
    for (auto& [k, item] : *t) {
      auto v = from_toml(item);
      if (!v) return std::nullopt;
      out[k.str()] = std::move(*v);
    }
    return json::value(std::move(out));
  }
  return std::nullopt;  // dates and times: no key takes them
}

// Flattens {"server":{"port":1}} into [("server.port", 1)]; tables that are values
// (none yet) would need a schema flag.
void flatten(const json::object& obj, const std::string& prefix,
             std::vector<std::pair<std::string, json::value>>& out) {
  for (auto& [k, v] : obj) {
    std::string path = prefix.empty() ? std::string(k) : prefix + "." + std::string(k);
    if (v.is_object())
      flatten(v.as_object(), path, out);
    else
      out.emplace_back(path, v);
  }
}

void put(json::object& tree, std::string_view path, json::value value) {
  json::object* node = &tree;
  while (true) {
    auto dot = path.find('.');
    if (dot == std::string_view::npos) {
      (*node)[path] = std::move(value);
      return;
    }
    auto& child = (*node)[path.substr(0, dot)];
    if (!child.is_object()) child = json::object();
    node = &child.as_object();
    path.remove_prefix(dot + 1);
  }
}

}  // namespace

void ConfigSchema::add(KeySpec spec) {
  for (auto& k : keys_)
    if (k.path == spec.path) {
      k = std::move(spec);
      return;
    }
  keys_.push_back(std::move(spec));
}

const KeySpec* ConfigSchema::find(std::string_view path) const {
  for (auto& k : keys_)
    if (k.path == path) return &k;
  return nullptr;
}

Result<json::value> ConfigSchema::validate(const KeySpec& spec, const json::value& value) const {
  auto refuse = [&](const std::string& expected) {
    return fail(Errc::invalid, fmt::format("{} = {}: expected {}", spec.path, show(value), expected),
                spec.path);
  };
  bool type_ok = false;
  switch (spec.type) {
    case KeyType::string: type_ok = value.is_string(); break;
    case KeyType::integer: type_ok = value.is_int64() || value.is_uint64(); break;
    case KeyType::boolean: type_ok = value.is_bool(); break;
    case KeyType::string_list:
      type_ok = value.is_array();
      if (type_ok)
        for (auto& item : value.as_array()) type_ok = type_ok && item.is_string();
      break;
  }
  if (!type_ok)
    return refuse(spec.help.empty() ? type_name(spec.type) : type_name(spec.type) + " (" + spec.help + ")");
  if (spec.check)
    if (auto expected = spec.check(value)) return refuse(*expected);
  if (value.is_uint64()) return json::value(static_cast<std::int64_t>(value.as_uint64()));
  return value;
}

std::function<std::optional<std::string>(const json::value&)> in_range(std::int64_t lo, std::int64_t hi) {
  return [lo, hi](const json::value& v) -> std::optional<std::string> {
    auto n = v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(v.as_uint64());
    if (n < lo || n > hi) return fmt::format("an integer from {} to {}", lo, hi);
    return std::nullopt;
  };
}

std::function<std::optional<std::string>(const json::value&)> one_of(std::vector<std::string> allowed) {
  return [allowed = std::move(allowed)](const json::value& v) -> std::optional<std::string> {
    for (auto& a : allowed)
      if (v.as_string() == a) return std::nullopt;
    std::string list;
    for (auto& a : allowed) list += (list.empty() ? "" : " or ") + ("\"" + a + "\"");
    return "one of " + list;
  };
}

void add_core_keys(ConfigSchema& s) {
  s.add({"data_dir", KeyType::string, "data", "a directory path", nullptr});
  s.add({"server.host", KeyType::string, "127.0.0.1", "an address to listen on", nullptr});
  s.add({"server.port", KeyType::integer, 8080, "", in_range(0, 65535)});
  // 0: chosen at start from the cores and the database (app.cpp, worker_threads).
  s.add({"server.threads", KeyType::integer, 0, "", in_range(0, 256)});
  s.add({"server.role", KeyType::string, "all", "", one_of({"site", "admin", "all"})});
  s.add({"server.trusted_proxies", KeyType::string_list, json::array(), "IP addresses", nullptr});
  s.add({"server.max_connections", KeyType::integer, 10000, "", in_range(1, 1000000)});
  s.add({"server.max_body_bytes", KeyType::integer, 8 << 20, "", in_range(1024, std::int64_t(1) << 32)});
  s.add({"server.max_header_bytes", KeyType::integer, 16 << 10, "", in_range(1024, 1 << 20)});
  s.add({"server.max_header_count", KeyType::integer, 100, "", in_range(8, 10000)});
  s.add({"server.request_timeout_ms", KeyType::integer, 30000, "", in_range(100, 3600000)});
  s.add({"server.idle_timeout_ms", KeyType::integer, 60000, "", in_range(100, 3600000)});
  s.add({"server.access_log", KeyType::boolean, true, "", nullptr});
  s.add({"server.dev", KeyType::boolean, false, "reload templates on change", nullptr});
  s.add({"database.url", KeyType::string, "", "sqlite:///abs/path.db or postgresql://...",
         [](const json::value& v) -> std::optional<std::string> {
           std::string_view u = v.as_string();
           if (u.empty() || u.starts_with("sqlite://") || u.starts_with("postgresql://") ||
               u.starts_with("postgres://"))
             return std::nullopt;
           return "a URL starting sqlite:// or postgresql://";
         }});
  s.add({"database.pool_size", KeyType::integer, 0, "0 means worker threads + 2", in_range(0, 1024)});
  s.add({"sessions.store", KeyType::string, "db", "", one_of({"db", "redis"})});
  s.add({"sessions.redis_url", KeyType::string, "", "redis://host:port", nullptr});
  s.add({"static.cdn_url", KeyType::string, "", "a URL prefix", nullptr});
  s.add({"log.level", KeyType::string, "info", "", one_of({"trace", "debug", "info", "warn", "error"})});
  s.add({"themes_dir", KeyType::string, "", "a directory of themes; empty: next to the binary", nullptr});
  KeySpec site;
  site.site_setting = true;
  for (auto [path, def] : {std::pair{"site.name", "Calipso"},
                           {"site.tagline", "A fast content management system"},
                           {"site.url", ""},
                           {"site.language", "en"},
                           {"site.theme", "default"}}) {
    site.path = path;
    site.default_value = def;
    s.add(site);
  }
  s.add({"site.page_size", KeyType::integer, 10, "", in_range(1, 100), true});
}

Config::Environ Config::process_environment() {
  Environ env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv = *e;
    if (!kv.starts_with("CALIPSO_")) continue;
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

std::string Config::env_name(std::string_view path) {
  std::string out = "CALIPSO_";
  for (char c : path) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Result<void> Config::set(const KeySpec& spec, const json::value& value, std::string_view source) {
  auto checked = schema_->validate(spec, value);
  if (!checked) {
    auto e = checked.error();
    e.message = fmt::format("{} (from {})", e.message, source);
    return fail(std::move(e));
  }
  put(tree_, spec.path, std::move(*checked));
  return {};
}

Result<Config> Config::load(const ConfigSchema& schema, const std::string& file, const Environ& env) {
  Config c;
  c.schema_ = &schema;
  for (auto& k : schema.keys()) put(c.tree_, k.path, k.default_value);

  if (!file.empty()) {
    toml::table table;
    try {
      table = toml::parse_file(file);
    } catch (const toml::parse_error& e) {
      auto& where = e.source().begin;
      return fail(Errc::invalid,
                  fmt::format("{}:{}:{}: {}", file, where.line, where.column, e.description()));
    } catch (const std::exception& e) {
      return fail(Errc::invalid, fmt::format("{}: {}", file, e.what()));
    }
    auto tree = from_toml(table);
    if (!tree || !tree->is_object())
      return fail(Errc::invalid, file + ": unsupported value type (dates are not accepted)");
    std::vector<std::pair<std::string, json::value>> flat;
    flatten(tree->as_object(), "", flat);
    for (auto& [path, value] : flat) {
      auto* spec = schema.find(path);
      if (!spec) return fail(Errc::invalid, fmt::format("{}: unknown key {}", file, path), path);
      if (auto r = c.set(*spec, value, file); !r) return fail(r.error());
    }
  }

  for (auto& spec : schema.keys()) {
    auto name = env_name(spec.path);
    auto it = env.find(name);
    if (it == env.end()) continue;
    auto value = parse_env(spec.type, it->second);
    if (!value)
      return fail(Errc::invalid,
                  fmt::format("{} = \"{}\": expected {} (from {})", spec.path, it->second,
                              type_name(spec.type), name),
                  spec.path);
    if (auto r = c.set(spec, *value, name); !r) return fail(r.error());
  }
  return c;
}

Config Config::with_site_settings(const json::object& settings, std::vector<std::string>* rejected) const {
  Config c = *this;
  std::vector<std::pair<std::string, json::value>> flat;
  flatten(settings, "", flat);
  for (auto& [path, value] : flat) {
    auto* spec = schema_->find(path);
    if (!spec || !spec->site_setting || !c.set(*spec, value, "database")) {
      if (rejected) rejected->push_back(path);
    }
  }
  return c;
}

const json::value* Config::find(std::string_view path) const {
  const json::object* node = &tree_;
  while (true) {
    auto dot = path.find('.');
    auto it = node->find(path.substr(0, dot));
    if (it == node->end()) return nullptr;
    if (dot == std::string_view::npos) return &it->value();
    if (!it->value().is_object()) return nullptr;
    node = &it->value().as_object();
    path.remove_prefix(dot + 1);
  }
}

std::string Config::str(std::string_view path) const {
  auto* v = find(path);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t Config::integer(std::string_view path) const {
  auto* v = find(path);
  return v && v->is_int64() ? v->as_int64() : 0;
}

bool Config::boolean(std::string_view path) const {
  auto* v = find(path);
  return v && v->is_bool() && v->as_bool();
}

std::vector<std::string> Config::list(std::string_view path) const {
  std::vector<std::string> out;
  if (auto* v = find(path); v && v->is_array())
    for (auto& item : v->as_array())
      if (item.is_string()) out.emplace_back(item.as_string());
  return out;
}

void ConfigStore::apply_site_settings(const json::object& settings) {
  current_.store(std::make_shared<const Config>(base_.with_site_settings(settings)));
}

}  // namespace calipso::core
