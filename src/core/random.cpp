#include "core/random.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <chrono>
#include <ctime>
#include <stdexcept>
#include <vector>

namespace calipso::core {

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), bytes);
  std::string out(bytes * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), buf.data(), bytes);
  out.pop_back();
  return out;
}

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), bytes);
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr))
    throw std::runtime_error("sha256 failed");
  std::string out(len * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), md, len);
  out.pop_back();
  return out;
}

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {
std::string strftime_utc(std::int64_t us, const char* format) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  auto n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}
}  // namespace

std::string format_time(std::int64_t us) { return strftime_utc(us, "%Y-%m-%dT%H:%M:%SZ"); }
std::string http_date(std::int64_t us) { return strftime_utc(us, "%a, %d %b %Y %H:%M:%S GMT"); }

}  // namespace calipso::core
