// Encoding negotiation, compressible types, and round trips through the real decoders.
#include "http/compress.hpp"

#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zlib.h>

namespace calipso::http {
namespace {

std::string gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 31), Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::string unbrotli(const std::string& in) {
  std::string out(1 << 20, '\0');
  std::size_t size = out.size();
  EXPECT_EQ(BrotliDecoderDecompress(in.size(), reinterpret_cast<const uint8_t*>(in.data()), &size,
                                    reinterpret_cast<uint8_t*>(out.data())),
            BROTLI_DECODER_RESULT_SUCCESS);
  out.resize(size);
  return out;
}

std::string sample_text() {
  std::string s;
  for (int i = 0; i < 200; ++i)
    s += "<p>Paragraph " + std::to_string(i) + " of some very ordinary page text.</p>\n";
  return s;
}

TEST(Negotiate, PrefersBrotliOnATie) {
  EXPECT_EQ(negotiate_encoding("gzip, deflate, br"), Encoding::br);
  EXPECT_EQ(negotiate_encoding("br;q=1.0, gzip;q=1.0"), Encoding::br);
  EXPECT_EQ(negotiate_encoding("*"), Encoding::br);
}

TEST(Negotiate, HonoursQValues) {
  EXPECT_EQ(negotiate_encoding("gzip;q=1, br;q=0.5"), Encoding::gzip);
  EXPECT_EQ(negotiate_encoding("gzip"), Encoding::gzip);
  EXPECT_EQ(negotiate_encoding("x-gzip"), Encoding::gzip);
  EXPECT_EQ(negotiate_encoding("br;q=0, gzip"), Encoding::gzip);
  EXPECT_EQ(negotiate_encoding("*;q=0.5, br;q=0"), Encoding::gzip);
}

TEST(Negotiate, IdentityWhenNothingElseIsAcceptable) {
  EXPECT_EQ(negotiate_encoding(std::nullopt), Encoding::identity);
  EXPECT_EQ(negotiate_encoding(""), Encoding::identity);
  EXPECT_EQ(negotiate_encoding("identity"), Encoding::identity);
  EXPECT_EQ(negotiate_encoding("deflate, compress"), Encoding::identity);
  EXPECT_EQ(negotiate_encoding("gzip;q=0, br;q=0"), Encoding::identity);
  EXPECT_EQ(negotiate_encoding("*;q=0"), Encoding::identity);
  EXPECT_EQ(negotiate_encoding("gzip;q=0.0"), Encoding::identity);
  EXPECT_EQ(negotiate_encoding("gzip;q=junk"), Encoding::identity);
}

TEST(Compressible, TextLikeTypesOnly) {
  for (auto t : {"text/html; charset=utf-8", "text/css", "application/json", "application/xml",
                 "application/javascript", "image/svg+xml", "application/rss+xml", "application/ld+json",
                 "TEXT/PLAIN"})
    EXPECT_TRUE(is_compressible(t)) << t;
  for (auto t :
       {"image/png", "image/webp", "application/octet-stream", "font/woff2", "application/zip", "", "text"})
    EXPECT_FALSE(is_compressible(t)) << t;
}

TEST(Compress, GzipRoundTrip) {
  auto text = sample_text();
  auto packed = gzip_compress(text);
  ASSERT_TRUE(packed);
  EXPECT_LT(packed->size(), text.size() / 4);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*packed)[1]), 0x8b);
  EXPECT_EQ(gunzip(*packed), text);
  // The per-thread stream is reused: a second, different input must not see the first.
  auto again = gzip_compress("short and different");
  ASSERT_TRUE(again);
  EXPECT_EQ(gunzip(*again), "short and different");
  auto other_level = gzip_compress(text, 9);
  ASSERT_TRUE(other_level);
  EXPECT_EQ(gunzip(*other_level), text);
}

TEST(Compress, BrotliRoundTrip) {
  auto text = sample_text();
  auto packed = brotli_compress(text);
  ASSERT_TRUE(packed);
  EXPECT_LT(packed->size(), text.size() / 4);
  EXPECT_EQ(unbrotli(*packed), text);
  auto empty = brotli_compress("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(unbrotli(*empty), "");
}

TEST(Compress, DispatchesOnEncoding) {
  auto text = sample_text();
  EXPECT_EQ(*compress(text, Encoding::identity), text);
  EXPECT_EQ(gunzip(*compress(text, Encoding::gzip)), text);
  EXPECT_EQ(unbrotli(*compress(text, Encoding::br, {.gzip_level = 1, .brotli_quality = 11})), text);
}

}  // namespace
}  // namespace calipso::http
