// Error codes to statuses and error bodies. The theme's renderer is swapped at runtime (theme
// switch through the change log), so it sits behind an atomic shared_ptr.
#include "http/errors.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <memory>

#include "core/log.hpp"

namespace calipso::http {

namespace {

std::atomic<std::shared_ptr<const ErrorPageRenderer>> g_renderer;

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string builtin_page(int status, std::string_view message) {
  std::string title = std::to_string(status) + " " + std::string(reason(status));
  std::string out = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                    html_escape(title) + "</title></head>\n<body><h1>" + html_escape(title) + "</h1>\n";
  if (!message.empty() && message != reason(status)) out += "<p>" + html_escape(message) + "</p>\n";
  out += "</body></html>\n";
  return out;
}

boost::json::object error_object(std::string_view code, std::string_view message, std::string_view field) {
  boost::json::object o;
  o["code"] = code;
  o["message"] = message;
  if (!field.empty()) o["field"] = field;
  return o;
}

// Builds the {"errors":[...]} body; for server errors only the generic line survives.
boost::json::value errors_body(int status, std::string_view code, const Error& e) {
  boost::json::array list;
  if (status >= 500) {
    list.push_back(error_object(code, reason(status), {}));
  } else {
    list.push_back(
        error_object(code, e.message.empty() ? reason(status) : std::string_view(e.message), e.field));
    for (auto& other : e.others)
      list.push_back(error_object(to_string(other.code), other.message, other.field));
  }
  boost::json::object body;
  body["errors"] = std::move(list);
  return body;
}

Response render(const Request& req, int status, std::string_view code, const Error& e) {
  Response r;
  if (req.wants_json()) {
    r = Response::json(status, errors_body(status, code, e));
    if (status == 401) r.headers.set("WWW-Authenticate", "Bearer");
  } else {
    std::string message = status >= 500 || e.message.empty() ? std::string(reason(status)) : e.message;
    std::string page;
    if (auto renderer = g_renderer.load(); renderer && *renderer) {
      try {
        page = (*renderer)(req, status, message);
      } catch (const std::exception& ex) {
        // A broken theme must not turn every error into a crash; the built-in page stands in.
        log::error("error page renderer failed for {}: {}", status, ex.what());
      }
    }
    r = Response::html(status, page.empty() ? builtin_page(status, message) : std::move(page));
  }
  r.headers.set("Cache-Control", "no-store");
  return r;
}

}  // namespace

int status_for(Errc code) {
  switch (code) {
    case Errc::malformed: return 400;
    case Errc::invalid: return 422;
    case Errc::unauthorized: return 401;
    case Errc::forbidden: return 403;
    case Errc::not_found: return 404;
    case Errc::conflict: return 409;
    case Errc::too_large: return 413;
    case Errc::unavailable: return 503;
    case Errc::storage_full: return 507;
    case Errc::internal: return 500;
  }
  return 500;
}

std::string_view reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
  }
  if (status >= 500) return "Server Error";
  if (status >= 400) return "Client Error";
  return "Unknown";
}

std::string_view code_for_status(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 406: return "not_acceptable";
    case 408: return "timeout";
    case 409: return "conflict";
    case 413: return "too_large";
    case 415: return "unsupported_media_type";
    case 417: return "expectation_failed";
    case 422: return "invalid";
    case 429: return "too_many_requests";
    case 431: return "headers_too_large";
    case 503: return "unavailable";
    case 507: return "storage_full";
  }
  return status >= 500 ? "internal" : "bad_request";
}

void set_error_page_renderer(ErrorPageRenderer renderer) {
  g_renderer.store(renderer ? std::make_shared<const ErrorPageRenderer>(std::move(renderer)) : nullptr);
}

Response error_response(const Request& req, const Error& error) {
  return render(req, status_for(error.code), to_string(error.code), error);
}

Response error_response(const Request& req, int status, std::string message) {
  Error e{Errc::invalid, std::move(message), {}, {}};
  return render(req, status, code_for_status(status), e);
}

boost::json::value error_json(const Error& error) {
  return errors_body(status_for(error.code), to_string(error.code), error);
}

}  // namespace calipso::http
