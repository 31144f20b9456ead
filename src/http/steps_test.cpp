// The ready-made middleware: request id, security headers, ETag/304 and compression.
#include "http/steps.hpp"

#include <brotli/decode.h>
#include <gtest/gtest.h>

#include "core/metrics.hpp"
#include "http/conditional.hpp"

namespace calipso::http {
namespace {

std::string page_body() {
  std::string s;
  for (int i = 0; i < 100; ++i) s += "<li>item " + std::to_string(i) + "</li>\n";
  return s;
}

Request get(std::string path = "/page") {
  Request r;
  r.method = "GET";
  r.path = r.target = std::move(path);
  return r;
}

Handler chain_of(Middleware step, Handler last) {
  Chain c;
  c.use(std::move(step));
  return c.build(std::move(last));
}

Handler html_page() {
  return [](Request&) { return Response::html(200, page_body()); };
}

TEST(RequestId, AcceptsOnlyShortSafeIds) {
  EXPECT_TRUE(valid_request_id("abc-123_X.y"));
  EXPECT_TRUE(valid_request_id(std::string(64, 'a')));
  EXPECT_FALSE(valid_request_id(""));
  EXPECT_FALSE(valid_request_id(std::string(65, 'a')));
  EXPECT_FALSE(valid_request_id("a b"));
  EXPECT_FALSE(valid_request_id("a\r\nSet-Cookie: x"));
  EXPECT_NE(new_request_id(), new_request_id());
  EXPECT_TRUE(valid_request_id(new_request_id()));
}

TEST(Observe, KeepsAValidIncomingIdAndEchoesIt) {
  core::Metrics metrics;
  auto h = chain_of(observe({.access_log = false, .metrics = &metrics}), html_page());
  auto r = get();
  r.headers.set("X-Request-Id", "upstream-42");
  auto res = h(r);
  EXPECT_EQ(r.request_id, "upstream-42");
  EXPECT_EQ(res.headers.get("X-Request-Id"), "upstream-42");

  auto bad = get();
  bad.headers.set("X-Request-Id", "has space");
  auto res2 = h(bad);
  EXPECT_NE(bad.request_id, "has space");
  EXPECT_TRUE(valid_request_id(bad.request_id));
  EXPECT_EQ(res2.headers.get("X-Request-Id"), bad.request_id);
}

TEST(Observe, HandlerExceptionBecomes500AndIsCounted) {
  core::Metrics metrics;
  auto h = chain_of(observe({.access_log = false, .metrics = &metrics}),
                    [](Request&) -> Response { throw std::runtime_error("secret detail"); });
  auto r = get("/api/v1/boom");
  auto res = h(r);
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("secret"), std::string::npos);
  auto text = metrics.exposition();
  EXPECT_NE(text.find("calipso_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"500\"} 1"),
            std::string::npos);
}

TEST(Observe, RecordsTheMatchedRoute) {
  core::Metrics metrics;
  auto h = chain_of(observe({.access_log = false, .metrics = &metrics}), [](Request& r) {
    r.route = "/page/{id}";
    return Response::text(200, "x");
  });
  auto r = get();
  h(r);
  EXPECT_NE(metrics.exposition().find("route=\"/page/{id}\",status=\"200\"} 1"), std::string::npos);
}

TEST(SecurityHeaders, AddsDefaultsWithoutOverriding) {
  auto h = chain_of(security_headers(), [](Request&) {
    auto res = Response::text(200, "x");
    res.headers.set("X-Frame-Options", "DENY");
    return res;
  });
  auto r = get();
  auto res = h(r);
  EXPECT_EQ(res.headers.get("X-Frame-Options"), "DENY");
  EXPECT_EQ(res.headers.get("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(res.headers.get("Referrer-Policy"), "strict-origin-when-cross-origin");
}

TEST(ETag, StrongTagFromBodyAnd304OnMatch) {
  auto h = chain_of(conditional_compress(), html_page());
  auto r = get();
  auto first = h(r);
  ASSERT_TRUE(first.headers.has("ETag"));
  std::string tag(*first.headers.get("ETag"));
  EXPECT_EQ(tag, strong_etag(page_body()));
  EXPECT_EQ(tag.size(), 18u);

  auto again = get();
  again.headers.set("If-None-Match", "\"other\", " + tag);
  auto res = h(again);
  EXPECT_EQ(res.status, 304);
  EXPECT_TRUE(res.body.empty());
  EXPECT_EQ(res.headers.get("ETag"), tag);
  EXPECT_FALSE(res.headers.has("Content-Type"));

  auto stale = get();
  stale.headers.set("If-None-Match", "\"0000000000000000\"");
  EXPECT_EQ(h(stale).status, 200);
}

TEST(ETag, HandlerTagIsKeptAndWeakComparisonApplies) {
  auto h = chain_of(conditional_compress(), [](Request&) {
    auto res = Response::text(200, "v1");
    res.headers.set("ETag", "\"rev-7\"");
    return res;
  });
  auto r = get();
  EXPECT_EQ(h(r).headers.get("ETag"), "\"rev-7\"");
  auto cond = get();
  cond.headers.set("If-None-Match", "W/\"rev-7\"");
  EXPECT_EQ(h(cond).status, 304);
  auto star = get();
  star.headers.set("If-None-Match", "*");
  EXPECT_EQ(h(star).status, 304);
}

TEST(ETag, OnlyForGetAndHead200) {
  auto post = chain_of(conditional_compress(), html_page());
  auto r = get();
  r.method = "POST";
  EXPECT_FALSE(post(r).headers.has("ETag"));
  auto missing = chain_of(conditional_compress(), [](Request&) { return Response::html(404, page_body()); });
  auto m = get();
  m.headers.set("Accept-Encoding", "br");
  auto res = missing(m);
  EXPECT_FALSE(res.headers.has("ETag"));
  EXPECT_FALSE(res.headers.has("Content-Encoding"));
}

TEST(Compression, BrotliVariantWithOwnTagAndVary) {
  auto h = chain_of(conditional_compress(), html_page());
  auto r = get();
  r.headers.set("Accept-Encoding", "gzip, deflate, br");
  auto res = h(r);
  EXPECT_EQ(res.headers.get("Content-Encoding"), "br");
  EXPECT_EQ(res.headers.get("Vary"), "Accept-Encoding");
  auto base = strong_etag(page_body());
  EXPECT_EQ(res.headers.get("ETag"), variant_etag(base, Encoding::br));
  EXPECT_EQ(res.headers.get("ETag")->substr(0, 17), base.substr(0, 17));

  std::string out(1 << 16, '\0');
  std::size_t size = out.size();
  ASSERT_EQ(BrotliDecoderDecompress(res.body.size(), reinterpret_cast<const uint8_t*>(res.body.data()), &size,
                                    reinterpret_cast<uint8_t*>(out.data())),
            BROTLI_DECODER_RESULT_SUCCESS);
  out.resize(size);
  EXPECT_EQ(out, page_body());

  // Revalidating with the br tag gives 304 without compressing again.
  auto cond = get();
  cond.headers.set("Accept-Encoding", "br");
  cond.headers.set("If-None-Match", std::string(*res.headers.get("ETag")));
  EXPECT_EQ(h(cond).status, 304);
}

TEST(Compression, GzipWhenBrotliRefused) {
  auto h = chain_of(conditional_compress(), html_page());
  auto r = get();
  r.headers.set("Accept-Encoding", "br;q=0, gzip");
  auto res = h(r);
  EXPECT_EQ(res.headers.get("Content-Encoding"), "gzip");
  EXPECT_TRUE(res.headers.get("ETag")->ends_with("-gz\""));
}

TEST(Compression, IdentityStillVaries) {
  auto h = chain_of(conditional_compress(), html_page());
  auto r = get();
  auto res = h(r);
  EXPECT_FALSE(res.headers.has("Content-Encoding"));
  EXPECT_EQ(res.headers.get("Vary"), "Accept-Encoding");
  EXPECT_EQ(res.body, page_body());
}

TEST(Compression, SmallOrBinaryOrAlreadyEncodedBodiesAreUntouched) {
  std::vector<Handler> handlers = {
      [](Request&) { return Response::html(200, "<p>tiny</p>"); },
      [](Request&) {
        auto res = Response::html(200, page_body());
        res.headers.set("Content-Type", "image/png");
        return res;
      },
      [](Request&) {
        auto res = Response::html(200, page_body());
        res.headers.set("Content-Encoding", "gzip");
        return res;
      },
      [](Request&) {
        auto res = Response::html(200, page_body());
        res.headers.set("Cache-Control", "public, no-transform");
        return res;
      },
  };
  for (std::size_t i = 0; i < handlers.size(); ++i) {
    auto h = chain_of(conditional_compress(), handlers[i]);
    auto r = get();
    r.headers.set("Accept-Encoding", "br, gzip");
    auto res = h(r);
    EXPECT_NE(res.headers.get("Content-Encoding"), "br") << i;
    EXPECT_FALSE(res.headers.has("Vary")) << i;
    EXPECT_TRUE(res.headers.has("ETag")) << i;
  }
}

TEST(Compression, VaryIsAppendedNotReplaced) {
  auto h = chain_of(conditional_compress(), [](Request&) {
    auto res = Response::html(200, page_body());
    res.headers.set("Vary", "Cookie");
    return res;
  });
  auto r = get();
  EXPECT_EQ(h(r).headers.get("Vary"), "Cookie, Accept-Encoding");
}

TEST(Conditional, EtagMatching) {
  EXPECT_TRUE(etag_matches("\"a\"", "\"a\""));
  EXPECT_TRUE(etag_matches(" \"x\" , W/\"a\"", "\"a\""));
  EXPECT_TRUE(etag_matches("\"a\"", "W/\"a\""));
  EXPECT_TRUE(etag_matches("\"a,b\"", "\"a,b\""));
  EXPECT_FALSE(etag_matches("\"a\"", "\"b\""));
  EXPECT_FALSE(etag_matches("a", "\"a\""));
  EXPECT_EQ(variant_etag("\"abc\"", Encoding::gzip), "\"abc-gz\"");
  EXPECT_EQ(variant_etag("W/\"abc\"", Encoding::br), "W/\"abc-br\"");
  EXPECT_EQ(variant_etag("\"abc\"", Encoding::identity), "\"abc\"");
}

}  // namespace
}  // namespace calipso::http
