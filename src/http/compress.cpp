// zlib and brotli one-shot encoders. A deflate state costs ~256 KiB to set up, so each
// thread keeps one and resets it between responses.
#include "http/compress.hpp"

#include <brotli/encode.h>
#include <zlib.h>

#include <climits>

#include "http/message.hpp"
#include "http/negotiate.hpp"

namespace calipso::http {

namespace {

struct Deflater {
  z_stream zs{};
  int level = 0;
  bool ready = false;
  ~Deflater() {
    if (ready) deflateEnd(&zs);
  }
};

}  // namespace

std::string_view encoding_token(Encoding e) {
  switch (e) {
    case Encoding::identity: return "identity";
    case Encoding::gzip: return "gzip";
    case Encoding::br: return "br";
  }
  return "identity";
}

Encoding negotiate_encoding(std::optional<std::string_view> accept_encoding) {
  if (!accept_encoding) return Encoding::identity;
  double br = -1, gzip = -1, star = -1;
  for_each_qvalue(*accept_encoding, [&](std::string_view coding, double q) {
    if (iequals(coding, "br"))
      br = q;
    else if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
      gzip = q;
    else if (coding == "*")
      star = q;
  });
  if (br < 0) br = star;
  if (gzip < 0) gzip = star;
  if (br <= 0 && gzip <= 0) return Encoding::identity;
  return br >= gzip ? Encoding::br : Encoding::gzip;
}

bool is_compressible(std::string_view content_type) {
  auto type = trim_ows(content_type.substr(0, content_type.find(';')));
  auto slash = type.find('/');
  if (slash == std::string_view::npos) return false;
  auto top = type.substr(0, slash), sub = type.substr(slash + 1);
  if (iequals(top, "text")) return true;
  auto ends_with = [&](std::string_view suffix) {
    return sub.size() >= suffix.size() && iequals(sub.substr(sub.size() - suffix.size()), suffix);
  };
  if (iequals(top, "application"))
    return iequals(sub, "json") || iequals(sub, "xml") || iequals(sub, "javascript") ||
           iequals(sub, "x-javascript") || ends_with("+json") || ends_with("+xml");
  if (iequals(top, "image")) return iequals(sub, "svg+xml");
  return false;
}

Result<std::string> gzip_compress(std::string_view data, int level) {
  if (data.size() > UINT_MAX) return fail(Errc::too_large, "gzip input over 4 GiB");
  thread_local Deflater d;
  if (!d.ready || d.level != level) {
    if (d.ready) deflateEnd(&d.zs);
    d.zs = z_stream{};
    d.ready = deflateInit2(&d.zs, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    if (!d.ready) return fail(Errc::internal, "deflateInit2 failed");
    d.level = level;
  } else if (deflateReset(&d.zs) != Z_OK) {
    return fail(Errc::internal, "deflateReset failed");
  }
  std::string out;
  auto bound = deflateBound(&d.zs, static_cast<uLong>(data.size()));
  int rc = Z_OK;
  out.resize_and_overwrite(bound, [&](char* buf, std::size_t n) {
    d.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    d.zs.avail_in = static_cast<uInt>(data.size());
    d.zs.next_out = reinterpret_cast<Bytef*>(buf);
    d.zs.avail_out = static_cast<uInt>(n);
    rc = deflate(&d.zs, Z_FINISH);
    return static_cast<std::size_t>(d.zs.total_out);
  });
  // With deflateBound room, one Z_FINISH call always completes the stream.
  if (rc != Z_STREAM_END) return fail(Errc::internal, "deflate did not finish");
  return out;
}

Result<std::string> brotli_compress(std::string_view data, int quality) {
  // A window no larger than the input keeps the encoder's memory small for small pages.
  int lgwin = BROTLI_MIN_WINDOW_BITS;
  while (lgwin < BROTLI_DEFAULT_WINDOW && (std::size_t{1} << lgwin) < data.size()) ++lgwin;
  std::string out;
  bool ok = false;
  out.resize_and_overwrite(BrotliEncoderMaxCompressedSize(data.size()), [&](char* buf, std::size_t n) {
    std::size_t size = n;
    ok = BrotliEncoderCompress(quality, lgwin, BROTLI_MODE_GENERIC, data.size(),
                               reinterpret_cast<const uint8_t*>(data.data()), &size,
                               reinterpret_cast<uint8_t*>(buf)) == BROTLI_TRUE;
    return ok ? size : 0;
  });
  if (!ok) return fail(Errc::internal, "brotli compression failed");
  return out;
}

Result<std::string> compress(std::string_view data, Encoding e, CompressionLevels levels) {
  switch (e) {
    case Encoding::gzip: return gzip_compress(data, levels.gzip_level);
    case Encoding::br: return brotli_compress(data, levels.brotli_quality);
    case Encoding::identity: break;
  }
  return std::string(data);
}

}  // namespace calipso::http
