// Bytes kept out of swap and core-dump-unfriendly places: libsodium guarded memory.
#include "store/secure_buffer.hpp"

#include <sodium.h>

#include <new>
#include <string>
#include <utility>

namespace autohost::store {

SecureBuffer::SecureBuffer(std::size_t size) : size_(size) {
  if (sodium_init() < 0)
    throw std::bad_alloc();
  // sodium_malloc(0) is allowed, but one byte keeps data() valid for every size.
  bytes_ = static_cast<unsigned char *>(sodium_malloc(size == 0 ? 1 : size));
  if (bytes_ == nullptr)
    throw std::bad_alloc();
  sodium_memzero(bytes_, size == 0 ? 1 : size);
}

SecureBuffer::SecureBuffer(SecureBuffer &&other) noexcept
    : bytes_(std::exchange(other.bytes_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecureBuffer &SecureBuffer::operator=(SecureBuffer &&other) noexcept {
  if (this != &other) {
    sodium_free(bytes_);
    bytes_ = std::exchange(other.bytes_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecureBuffer::~SecureBuffer() { sodium_free(bytes_); } // wipes before unmapping

void SecureBuffer::shrink(std::size_t size) noexcept {
  if (size < size_) {
    sodium_memzero(bytes_ + size, size_ - size);
    size_ = size;
  }
}

} // namespace autohost::store
