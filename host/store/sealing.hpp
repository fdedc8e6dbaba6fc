// Authenticated encryption of secret values (libsodium XChaCha20-Poly1305-IETF).
#pragma once

#include "store/secure_buffer.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace autohost::store {

inline constexpr size_t master_key_bytes = 32;

// The master key, in guarded memory (see SecureBuffer): never swapped, wiped when it dies,
// and move-only so there is one copy to wipe.
class MasterKey {
public:
  MasterKey() : bytes_(master_key_bytes) {}
  unsigned char *data() noexcept { return bytes_.data(); }
  const unsigned char *data() const noexcept { return bytes_.data(); }
  static constexpr size_t size() noexcept { return master_key_bytes; }

private:
  SecureBuffer bytes_;
};

// Returns nonce || ciphertext. `associated` (the secret's key name) is authenticated but
// not stored, so a sealed value copied to another key name fails to open.
std::string seal(const MasterKey &key, std::string_view plaintext, std::string_view associated);

// The plaintext, or nullopt when the key is wrong or the bytes were altered.
std::optional<std::string> open_sealed(const MasterKey &key, std::string_view sealed,
                                       std::string_view associated);

// Must be called once before any other function here; false if libsodium cannot start.
bool sodium_ready();

} // namespace autohost::store
