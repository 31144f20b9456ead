// Error mapping: statuses, JSON shape, HTML fallback, and no leak of internal details.
#include "http/errors.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace calipso::http {
namespace {

Request api_request() {
  Request r;
  r.path = "/api/v1/content";
  return r;
}

Request page_request() {
  Request r;
  r.path = "/about";
  r.headers.set("Accept", "text/html");
  return r;
}

TEST(Errors, StatusForEachCode) {
  EXPECT_EQ(status_for(Errc::invalid), 422);
  EXPECT_EQ(status_for(Errc::unauthorized), 401);
  EXPECT_EQ(status_for(Errc::forbidden), 403);
  EXPECT_EQ(status_for(Errc::not_found), 404);
  EXPECT_EQ(status_for(Errc::conflict), 409);
  EXPECT_EQ(status_for(Errc::too_large), 413);
  EXPECT_EQ(status_for(Errc::unavailable), 503);
  EXPECT_EQ(status_for(Errc::internal), 500);
}

TEST(Errors, JsonShapeListsEveryFieldError) {
  Validation v;
  v.add("title", "required");
  v.add("slug", "taken");
  auto body = error_json(v.error());
  auto& errors = body.at("errors").as_array();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].at("code").as_string(), "invalid");
  EXPECT_EQ(errors[0].at("field").as_string(), "title");
  EXPECT_TRUE(errors[0].at("message").is_string());
  EXPECT_EQ(errors[1].at("field").as_string(), "slug");
}

TEST(Errors, JsonOmitsEmptyField) {
  auto body = error_json(Error{Errc::not_found, "no such content", {}, {}});
  auto& e = body.at("errors").as_array().at(0).as_object();
  EXPECT_EQ(e.at("code").as_string(), "not_found");
  EXPECT_FALSE(e.contains("field"));
}

TEST(Errors, ApiRequestGetsJson) {
  auto res = error_response(api_request(), Error{Errc::conflict, "stale revision", "revision", {}});
  EXPECT_EQ(res.status, 409);
  EXPECT_TRUE(res.headers.get("Content-Type")->starts_with("application/json"));
  auto body = boost::json::parse(res.body);
  EXPECT_EQ(body.at("errors").at(0).at("field").as_string(), "revision");
}

TEST(Errors, InternalDetailsNeverReachTheClient) {
  Error e{Errc::internal,
          "SELECT * FROM users failed: disk I/O",
          "password",
          {Error{Errc::invalid, "x", "y", {}}}};
  auto json = error_response(api_request(), e);
  EXPECT_EQ(json.status, 500);
  EXPECT_EQ(json.body.find("SELECT"), std::string::npos);
  auto errors = boost::json::parse(json.body).at("errors").as_array();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("code").as_string(), "internal");
  EXPECT_FALSE(errors[0].as_object().contains("field"));
  auto html = error_response(page_request(), e);
  EXPECT_EQ(html.status, 500);
  EXPECT_EQ(html.body.find("SELECT"), std::string::npos);
  EXPECT_EQ(error_json(e).at("errors").as_array().size(), 1u);
}

TEST(Errors, HtmlFallbackEscapesTheMessage) {
  set_error_page_renderer(nullptr);
  auto res = error_response(page_request(), 404, "<script>alert(1)</script>");
  EXPECT_EQ(res.status, 404);
  EXPECT_TRUE(res.headers.get("Content-Type")->starts_with("text/html"));
  EXPECT_EQ(res.body.find("<script>"), std::string::npos);
  EXPECT_NE(res.body.find("&lt;script&gt;"), std::string::npos);
}

TEST(Errors, InstalledRendererIsUsedAndAFailingOneFallsBack) {
  set_error_page_renderer(
      [](const Request&, int status, const std::string&) { return "theme " + std::to_string(status); });
  EXPECT_EQ(error_response(page_request(), 403).body, "theme 403");
  set_error_page_renderer(
      [](const Request&, int, const std::string&) -> std::string { throw std::runtime_error("x"); });
  auto res = error_response(page_request(), 403);
  EXPECT_EQ(res.status, 403);
  EXPECT_NE(res.body.find("403"), std::string::npos);
  set_error_page_renderer(nullptr);
}

TEST(Errors, BareStatusCodes) {
  auto res = error_response(api_request(), 405);
  EXPECT_EQ(boost::json::parse(res.body).at("errors").at(0).at("code").as_string(), "method_not_allowed");
  EXPECT_EQ(reason(404), "Not Found");
  EXPECT_EQ(code_for_status(431), "headers_too_large");
  EXPECT_EQ(status_for(Errc::storage_full), 507);
  EXPECT_EQ(reason(507), "Insufficient Storage");
  auto full =
      error_response(api_request(), Error{Errc::storage_full, "disk details stay in the log", "", {}});
  EXPECT_EQ(full.status, 507);
  EXPECT_EQ(boost::json::parse(full.body).at("errors").at(0).at("code").as_string(), "storage_full");
  EXPECT_EQ(full.body.find("disk details"), std::string::npos);
}

}  // namespace
}  // namespace calipso::http
