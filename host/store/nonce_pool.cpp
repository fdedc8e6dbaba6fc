// Random nonces from a page refilled by libsodium, wiped in a forked child (see the header).
#include "store/nonce_pool.hpp"

#include <sodium.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

namespace autohost::store {

namespace {

class NoncePool {
public:
  NoncePool() {
    const long page = ::sysconf(_SC_PAGESIZE);
    if (page < static_cast<long>(sizeof(std::size_t) + 256))
      return;
    void *mapped = ::mmap(nullptr, static_cast<std::size_t>(page), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED)
      return;
    if (::madvise(mapped, static_cast<std::size_t>(page), MADV_WIPEONFORK) != 0) {
      ::munmap(mapped, static_cast<std::size_t>(page)); // no wipe, no pool
      return;
    }
    // The page holds the count of unused bytes, then the bytes; a child of fork() sees it
    // all zero, so nothing left, and refills.
    left_ = static_cast<std::size_t *>(mapped);
    bytes_ = static_cast<unsigned char *>(mapped) + sizeof(std::size_t);
    capacity_ = static_cast<std::size_t>(page) - sizeof(std::size_t);
  }
  NoncePool(const NoncePool &) = delete;
  NoncePool &operator=(const NoncePool &) = delete;
  // Never unmapped: seals may run while statics are destroyed at exit.

  void draw(unsigned char *out, std::size_t size) {
    if (left_ == nullptr || size > 256) {
      randombytes_buf(out, size);
      return;
    }
    const std::lock_guard lock(mutex_);
    if (*left_ < size) {
      randombytes_buf(bytes_, capacity_);
      *left_ = capacity_;
    }
    std::memcpy(out, bytes_ + (capacity_ - *left_), size);
    *left_ -= size;
  }

private:
  std::size_t *left_ = nullptr; // unused bytes at the end of bytes_
  unsigned char *bytes_ = nullptr;
  std::size_t capacity_ = 0;
  std::mutex mutex_;
};

} // namespace

void random_nonce(unsigned char *out, std::size_t size) {
  static NoncePool pool;
  pool.draw(out, size);
}

} // namespace autohost::store
