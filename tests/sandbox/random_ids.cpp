// Random identifiers and secrets, drawn from OpenSSL's RAND_bytes.
#include "random_ids.hpp"

#include <openssl/rand.h>

#include <stdexcept>
#include <string_view>
#include <vector>

namespace sandbox {
namespace {

constexpr std::string_view base62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view url_safe =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Uniform picks from `alphabet` by rejection sampling, so no character is favoured.
std::string random_from(std::string_view alphabet, std::size_t n) {
  const unsigned limit = 256 - (256 % alphabet.size());
  std::string out;
  out.reserve(n);
  std::vector<unsigned char> pool(n * 2 + 16);
  while (out.size() < n) {
    if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
    for (unsigned char byte : pool) {
      if (byte < limit && out.size() < n) {
        out += alphabet[byte % alphabet.size()];
      }
    }
  }
  return out;
}

} // namespace

std::string random_base62(std::size_t n) { return random_from(base62, n); }

std::string random_numeric_id(std::string_view prefix) {
  std::string id(prefix);
  id += random_from(base62.substr(0, 10), 17 - prefix.size() - 1);
  id += random_from("13579", 1);
  return id;
}

std::string random_user_token() { return "TH" + random_base62(60); }

std::string random_shortcode() { return random_from(url_safe, 11); }

std::string random_trace_id() { return "A" + random_base62(22); }

} // namespace sandbox
