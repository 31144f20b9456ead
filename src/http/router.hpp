// Path router: patterns of literal segments and {param} segments; a literal beats a
// parameter at the same depth. Knows which methods a path allows, for 405 + Allow.
// A last segment {name...} takes the rest of the path, slashes included ("/static/{path...}").
// Matching is on the decoded path; parameters never match an empty segment.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace calipso::http {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registering the same method and pattern twice is a programming error (throws).
  // A GET route also answers HEAD.
  void add(std::string method, std::string pattern, Handler handler);
  void get(std::string pattern, Handler h) { add("GET", std::move(pattern), std::move(h)); }
  void post(std::string pattern, Handler h) { add("POST", std::move(pattern), std::move(h)); }
  void patch(std::string pattern, Handler h) { add("PATCH", std::move(pattern), std::move(h)); }
  void put(std::string pattern, Handler h) { add("PUT", std::move(pattern), std::move(h)); }
  void del(std::string pattern, Handler h) { add("DELETE", std::move(pattern), std::move(h)); }

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method
    std::string pattern;               // matched pattern
    std::vector<std::string> allowed;  // methods the path allows; empty: path unknown (404)
  };
  // Fills req.params on success.
  Match match(Request& req) const;

  // Dispatches: 404 / 405 (+Allow) via error responses, else the handler.
  Response dispatch(Request& req) const;

 private:
  struct Node;
  std::unique_ptr<Node> root_;
};

}  // namespace calipso::http
