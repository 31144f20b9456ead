#include "app/settings.hpp"

#include <boost/json.hpp>

#include "core/json.hpp"
#include "core/random.hpp"
#include "http/errors.hpp"
#include "storage/change_log.hpp"

namespace calipso::app {
namespace json = boost::json;

namespace {

void put(json::object& tree, std::string_view path, json::value value) {
  auto dot = path.find('.');
  if (dot == std::string_view::npos) {
    tree[path] = std::move(value);
    return;
  }
  auto& child = tree[path.substr(0, dot)];
  if (!child.is_object()) child = json::object();
  put(child.as_object(), path.substr(dot + 1), std::move(value));
}

void flatten(const json::object& obj, const std::string& prefix,
             std::vector<std::pair<std::string, json::value>>& out) {
  for (auto& [k, v] : obj) {
    auto path = prefix.empty() ? std::string(k) : prefix + "." + std::string(k);
    if (v.is_object())
      flatten(v.as_object(), path, out);
    else
      out.emplace_back(path, v);
  }
}

json::object site_view(const core::Config& config) {
  json::object out;
  for (auto& key : config.schema().keys())
    if (key.site_setting)
      if (auto* v = config.find(key.path)) put(out, key.path, *v);
  return out;
}

}  // namespace

json::object load_settings(storage::Db& db) {
  auto conn = db.acquire();
  auto rows = conn->query("SELECT key, value FROM settings");
  json::object out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    boost::system::error_code ec;
    auto value = json::parse(rows.text(i, "value"), ec);
    if (!ec) put(out, rows.text(i, "key"), std::move(value));
  }
  return out;
}

Result<void> save_settings(storage::Db& db, const core::ConfigSchema& schema, const json::object& patch) {
  std::vector<std::pair<std::string, json::value>> flat;
  flatten(patch, "", flat);
  Validation v;
  std::vector<std::pair<std::string, json::value>> checked;
  for (auto& [path, value] : flat) {
    auto* spec = schema.find(path);
    if (!spec || !spec->site_setting) {
      v.add(path, "is not a setting that can be changed at runtime");
      continue;
    }
    auto ok = schema.validate(*spec, value);
    if (!ok)
      v.add(path, ok.error().message);
    else
      checked.emplace_back(path, std::move(*ok));
  }
  if (flat.empty()) v.add("", "nothing to change");
  if (!v.ok()) return fail(v.error());
  return storage::transaction(db, [&](storage::Connection& c) -> Result<void> {
    auto now = core::now_us();
    for (auto& [path, value] : checked)
      c.exec(
          "INSERT INTO settings (key, value, updated_us) VALUES (?, ?, ?) "
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us",
          {path, json::serialize(value), now});
    storage::append_change(c, "config", "settings", patch);
    return {};
  });
}

void add_settings_routes(http::Router& router, storage::Db& db, core::ConfigStore& config) {
  auto deny = [](http::Request& req) -> std::optional<http::Response> {
    if (!req.principal) {
      auto res = http::error_response(req, Error{Errc::unauthorized, "an API token is required", "", {}});
      res.headers.set("WWW-Authenticate", "Bearer");
      return res;
    }
    if (!req.principal->can("settings.manage"))
      return http::error_response(req, Error{Errc::forbidden, "you may not manage settings", "", {}});
    return std::nullopt;
  };
  router.get("/api/v1/settings", [deny, &config](http::Request& req) {
    if (auto denied = deny(req)) return *denied;
    return http::Response::json(200, json::object{{"data", site_view(*config.get())}});
  });
  router.patch("/api/v1/settings", [deny, &db, &config](http::Request& req) {
    if (auto denied = deny(req)) return *denied;
    auto body = core::parse_object(req.body);
    if (!body) return http::error_response(req, body.error());
    if (auto saved = save_settings(db, config.base().schema(), *body); !saved)
      return http::error_response(req, saved.error());
    // This node applies at once; the others follow through the change log.
    config.apply_site_settings(load_settings(db));
    return http::Response::json(200, json::object{{"data", site_view(*config.get())}});
  });
}

}  // namespace calipso::app
