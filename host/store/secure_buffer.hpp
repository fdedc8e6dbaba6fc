// Bytes kept out of swap and core-dump-unfriendly places: libsodium guarded memory.
#pragma once

#include <cstddef>
#include <string_view>

namespace autohost::store {

// A fixed-size buffer from sodium_malloc: locked in RAM (never swapped), between guard pages
// (an overrun faults instead of reading a neighbour), and wiped by sodium_free when it dies.
// Move-only, since every copy of a secret is one more to wipe. Starts zeroed; throws
// std::bad_alloc when the memory cannot be had (the lock limit, RLIMIT_MEMLOCK, counts).
class SecureBuffer {
public:
  explicit SecureBuffer(std::size_t size);
  SecureBuffer(SecureBuffer &&other) noexcept;
  SecureBuffer &operator=(SecureBuffer &&other) noexcept;
  SecureBuffer(const SecureBuffer &) = delete;
  SecureBuffer &operator=(const SecureBuffer &) = delete;
  ~SecureBuffer();

  unsigned char *data() noexcept { return bytes_; }
  const unsigned char *data() const noexcept { return bytes_; }
  std::size_t size() const noexcept { return size_; }
  std::string_view view() const noexcept { return {reinterpret_cast<const char *>(bytes_), size_}; }
  // Shortens the visible size (the bytes past it are wiped); never grows.
  void shrink(std::size_t size) noexcept;

private:
  unsigned char *bytes_ = nullptr;
  std::size_t size_ = 0;
};

} // namespace autohost::store
