// Layered configuration: schema defaults < TOML file < CALIPSO_* environment < database
// (site settings only). A Config is an immutable snapshot; ConfigStore swaps snapshots
// atomically when settings change, so a request sees one consistent view.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace calipso::core {

enum class KeyType { string, integer, boolean, string_list };

struct KeySpec {
  std::string path;  // dotted, e.g. "server.port"
  KeyType type = KeyType::string;
  boost::json::value default_value;
  std::string help;  // what is expected, shown in errors
  // Extra check beyond the type; returns what was expected when the value is refused.
  std::function<std::optional<std::string>(const boost::json::value&)> check;
  bool site_setting = false;  // editable at runtime and stored in the database
};

class ConfigSchema {
 public:
  void add(KeySpec spec);
  const KeySpec* find(std::string_view path) const;
  const std::vector<KeySpec>& keys() const { return keys_; }

  // Checks one value against its key; the error names the key, the value and the expectation.
  Result<boost::json::value> validate(const KeySpec& spec, const boost::json::value& value) const;

 private:
  std::vector<KeySpec> keys_;
};

// Common checks for KeySpec::check.
std::function<std::optional<std::string>(const boost::json::value&)> in_range(std::int64_t lo,
                                                                              std::int64_t hi);
std::function<std::optional<std::string>(const boost::json::value&)> one_of(std::vector<std::string> allowed);

// The keys every node understands (DESIGN.md §5). Modules add theirs.
void add_core_keys(ConfigSchema& schema);

class Config {
 public:
  using Environ = std::map<std::string, std::string>;

  // Reads defaults, then the TOML file (if given), then the environment.
  static Result<Config> load(const ConfigSchema& schema, const std::string& file, const Environ& env);
  static Environ process_environment();
  static std::string env_name(std::string_view path);  // "server.port" -> "CALIPSO_SERVER_PORT"

  // A copy with site settings from the database on top; unknown or invalid keys are skipped
  // (and reported through `rejected`) so one bad row never stops a node.
  Config with_site_settings(const boost::json::object& settings,
                            std::vector<std::string>* rejected = nullptr) const;

  const boost::json::value* find(std::string_view path) const;
  std::string str(std::string_view path) const;
  std::int64_t integer(std::string_view path) const;
  bool boolean(std::string_view path) const;
  std::vector<std::string> list(std::string_view path) const;
  const boost::json::object& tree() const { return tree_; }
  const ConfigSchema& schema() const { return *schema_; }

 private:
  Result<void> set(const KeySpec& spec, const boost::json::value& value, std::string_view source);

  const ConfigSchema* schema_ = nullptr;
  boost::json::object tree_;
};

// Holds the current snapshot; readers take a shared_ptr and keep it for the request.
class ConfigStore {
 public:
  explicit ConfigStore(Config base) : base_(std::move(base)), current_(std::make_shared<Config>(base_)) {}
  std::shared_ptr<const Config> get() const { return current_.load(); }
  const Config& base() const { return base_; }
  void apply_site_settings(const boost::json::object& settings);

 private:
  const Config base_;
  std::atomic<std::shared_ptr<const Config>> current_;
};

}  // namespace calipso::core
