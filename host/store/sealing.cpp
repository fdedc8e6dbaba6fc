// Authenticated encryption of secret values with libsodium.
#include "store/sealing.hpp"

#include "store/nonce_pool.hpp"

#include <sodium.h>

namespace autohost::store {

bool sodium_ready() { return sodium_init() >= 0; }

std::string seal(const MasterKey &key, std::string_view plaintext, std::string_view associated) {
  constexpr size_t nonce_size = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string out(nonce_size + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  auto *nonce = reinterpret_cast<unsigned char *>(out.data());
  random_nonce(nonce, nonce_size);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + nonce_size, &written, reinterpret_cast<const unsigned char *>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char *>(associated.data()),
      associated.size(), nullptr, nonce, key.data());
  out.resize(nonce_size + written);
  return out;
}

std::optional<std::string> open_sealed(const MasterKey &key, std::string_view sealed,
                                       std::string_view associated) {
  constexpr size_t nonce_size = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t tag_size = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < nonce_size + tag_size)
    return std::nullopt;
  const auto *nonce = reinterpret_cast<const unsigned char *>(sealed.data());
  std::string plain(sealed.size() - nonce_size - tag_size, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char *>(plain.data()), &written, nullptr, nonce + nonce_size,
          sealed.size() - nonce_size, reinterpret_cast<const unsigned char *>(associated.data()),
          associated.size(), nonce, key.data()) != 0) {
    return std::nullopt;
  }
  plain.resize(written);
  return plain;
}

} // namespace autohost::store
