// Segment trie behind Router. Matching tries, at each depth, the literal child, then the
// {param} child, then a {rest...} tail, backtracking when a branch dead-ends, so
// "/a/b/c" and "/a/{x}/d" can coexist. Routes are added at boot and only read afterwards,
// so matching takes no lock.
#include "http/router.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "http/errors.hpp"

namespace calipso::http {

namespace {

struct Route {
  std::string method;
  Handler handler;
  std::string pattern;
  std::vector<std::string> names;  // parameter names in path order
};

// Splits "/a/b" into {"a", "b"}; "/" has no segments. Empty segments are kept so that
// "/a//b" and "/a/" do not silently match "/a/b" and "/a".
template <class Out>
void split_path(std::string_view path, Out& out) {
  if (path == "/") return;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

struct Router::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
  std::unique_ptr<Node> param;  // {name}: exactly one non-empty segment
  std::unique_ptr<Node> rest;   // {name...}: one or more remaining segments, slashes included
  std::vector<Route> routes;
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (pattern.empty() || pattern[0] != '/')
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  std::vector<std::string_view> segments;
  split_path(pattern, segments);
  Node* node = root_.get();
  std::vector<std::string> names;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    auto seg = segments[i];
    if (seg.empty()) throw std::invalid_argument("empty segment in route pattern: " + pattern);
    if (seg.front() == '{') {
      if (seg.back() != '}' || seg.size() < 3)
        throw std::invalid_argument("bad parameter in route pattern: " + pattern);
      auto name = seg.substr(1, seg.size() - 2);
      bool tail = name.ends_with("...");
      if (tail) name.remove_suffix(3);
      if (name.empty() || name.find_first_of("{}/") != std::string_view::npos)
        throw std::invalid_argument("bad parameter in route pattern: " + pattern);
      if (tail && i + 1 != segments.size())
        throw std::invalid_argument("{name...} must be the last segment: " + pattern);
      names.emplace_back(name);
      auto& child = tail ? node->rest : node->param;
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("braces inside a literal segment: " + pattern);
      auto it = node->literals.find(seg);
      if (it == node->literals.end())
        it = node->literals.emplace(std::string(seg), std::make_unique<Node>()).first;
      node = it->second.get();
    }
  }
  for (auto& r : node->routes)
    if (r.method == method)
      throw std::logic_error("route registered twice: " + method + " " + pattern + " (first: " + r.pattern +
                             ")");
  node->routes.push_back(Route{std::move(method), std::move(handler), std::move(pattern), std::move(names)});
}

Router::Match Router::match(Request& req) const {
  Match result;
  if (req.path.empty() || req.path[0] != '/') return result;
  std::vector<std::string_view> segments;
  segments.reserve(8);
  split_path(req.path, segments);
  std::vector<std::string_view> captures;
  const Route* found = nullptr;
  std::vector<std::string_view> found_captures;

  // A leaf either has a route for the method (done) or contributes its methods to Allow.
  auto visit_leaf = [&](const Node& node) {
    const Route* get = nullptr;
    for (auto& r : node.routes) {
      if (r.method == req.method) {
        found = &r;
        break;
      }
      if (r.method == "GET") get = &r;
    }
    if (!found && get && req.method == "HEAD") found = get;
    if (found) {
      found_captures = captures;
      return true;
    }
    for (auto& r : node.routes) {
      auto add = [&](std::string_view m) {
        if (std::find(result.allowed.begin(), result.allowed.end(), m) == result.allowed.end())
          result.allowed.emplace_back(m);
      };
      add(r.method);
      if (r.method == "GET") add("HEAD");
    }
    return false;
  };

  auto walk = [&](auto& self, const Node& node, std::size_t i) -> bool {
    if (i == segments.size()) return !node.routes.empty() && visit_leaf(node);
    auto seg = segments[i];
    if (auto it = node.literals.find(seg); it != node.literals.end() && self(self, *it->second, i + 1))
      return true;
    if (node.param && !seg.empty()) {
      captures.push_back(seg);
      if (self(self, *node.param, i + 1)) return true;
      captures.pop_back();
    }
    if (node.rest && !node.rest->routes.empty()) {
      // The tail is the rest of the path as one string; it must not be empty.
      const char* begin = seg.data();
      const char* end = segments.back().data() + segments.back().size();
      if (end > begin) {
        captures.emplace_back(begin, static_cast<std::size_t>(end - begin));
        if (visit_leaf(*node.rest)) return true;
        captures.pop_back();
      }
    }
    return false;
  };
  walk(walk, *root_, 0);

  if (found) {
    result.handler = &found->handler;
    result.pattern = found->pattern;
    req.params.clear();
    for (std::size_t k = 0; k < found->names.size(); ++k)
      req.params.insert_or_assign(found->names[k], std::string(found_captures[k]));
  }
  return result;
}

Response Router::dispatch(Request& req) const {
  auto m = match(req);
  if (m.handler) {
    req.route = std::move(m.pattern);
    return (*m.handler)(req);
  }
  if (m.allowed.empty()) return error_response(req, 404);
  auto r = error_response(req, 405);
  std::string allow;
  for (auto& method : m.allowed) allow += (allow.empty() ? "" : ", ") + method;
  r.headers.set("Allow", std::move(allow));
  return r;
}

}  // namespace calipso::http
