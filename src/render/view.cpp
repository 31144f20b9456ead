// boost::json → kainjow data, moving rather than copying (see view.hpp).
#include "render/view.hpp"

#include <boost/json.hpp>

#include <charconv>

namespace calipso::render {
namespace json = boost::json;

// kainjow exposes a value's string and list only as const references, but owns them through
// non-const heap objects, so writing through them is defined; it saves a deep copy per value.
Data text(std::string s) {
  Data d(Data::type::string);
  const_cast<std::string&>(d.string_value()) = std::move(s);
  return d;
}

void put(Data& obj, const std::string& key, Data value) { obj[key] = std::move(value); }

namespace {

template <class N>
Data number(N n) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  return text(std::string(buf, ec == std::errc{} ? end : buf));
}

}  // namespace

Data to_data(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      Data d(Data::type::object);
      for (const auto& kv : v.get_object()) put(d, std::string(kv.key()), to_data(kv.value()));
      return d;
    }
    case json::kind::array: {
      Data d(Data::type::list);
      auto& items = const_cast<kainjow::mustache::list&>(d.list_value());
      const auto& array = v.get_array();
      items.reserve(array.size());
      for (const auto& item : array) items.push_back(to_data(item));
      return d;
    }
    // kainjow treats "" as true in {{#x}}; mustache.js and theme authors expect false.
    case json::kind::string: return v.get_string().empty() ? Data(false) : text(std::string(v.get_string()));
    case json::kind::bool_: return Data(v.get_bool());
    case json::kind::int64: return number(v.get_int64());
    case json::kind::uint64: return number(v.get_uint64());
    case json::kind::double_: return number(v.get_double());
    case json::kind::null: return Data(false);
  }
  return Data(false);
}

const Data* ViewStack::nearest(const std::string& name) const {
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it)
    if (const Data* found = (*it)->get(name)) return found;
  return nullptr;
}

const Data* ViewStack::get(const std::string& name) const {
  if (name == ".") return layers_.empty() ? nullptr : layers_.back();
  const auto dot = name.find('.');
  if (dot == std::string::npos) return nearest(name);
  // The first part picks the layer; the rest must resolve inside it (no fallback further out).
  std::string part(name, 0, dot);
  const Data* value = nearest(part);
  for (std::size_t start = dot + 1; value && start <= name.size();) {
    auto end = name.find('.', start);
    if (end == std::string::npos) end = name.size();
    part.assign(name, start, end - start);
    value = value->get(part);
    start = end + 1;
  }
  return value;
}

const Data* ViewStack::get_partial(const std::string& name) const { return nearest(name); }

}  // namespace calipso::render
