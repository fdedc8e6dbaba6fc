// Random nonces from a page of getrandom(2) output, wiped in a forked child (see the header).
#include "store/nonce_pool.hpp"

#include <sodium.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <thread>

namespace autohost::store {

namespace {

constexpr std::size_t largest_pooled = 64; // a sealing nonce is 24 bytes

// The start of the page. A child of fork() sees it all zero: unlocked (even if another
// thread of the parent held the lock when it forked) and nothing left, so it refills.
struct Head {
  std::atomic<bool> busy;
  std::size_t left; // unused bytes at the end of the page
};
static_assert(std::atomic<bool>::is_always_lock_free);

void fill(unsigned char *out, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::getrandom(out + got, size - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      randombytes_buf(out + got, size - got); // which aborts rather than fail
      return;
    }
  }
}

class NoncePool {
public:
  NoncePool() {
    const long page = ::sysconf(_SC_PAGESIZE);
    if (page < static_cast<long>(sizeof(Head) + largest_pooled))
      return;
    const auto bytes = static_cast<std::size_t>(page);
    void *mapped =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED)
      return;
    if (::madvise(mapped, bytes, MADV_WIPEONFORK) != 0) {
      ::munmap(mapped, bytes); // no wipe, no pool
      return;
    }
    head_ = ::new (mapped) Head{};
    bytes_ = static_cast<unsigned char *>(mapped) + sizeof(Head);
    capacity_ = bytes - sizeof(Head);
  }
  NoncePool(const NoncePool &) = delete;
  NoncePool &operator=(const NoncePool &) = delete;

  bool active() const noexcept { return head_ != nullptr; }

  void draw(unsigned char *out, std::size_t size) {
    if (head_ == nullptr || size > largest_pooled) {
      randombytes_buf(out, size);
      return;
    }
    // Held for a copy, or a refill's one system call: a spin is cheaper than a futex.
    while (head_->busy.exchange(true, std::memory_order_acquire))
      std::this_thread::yield();
    if (head_->left < size) {
      fill(bytes_, capacity_);
      head_->left = capacity_;
    }
    std::memcpy(out, bytes_ + (capacity_ - head_->left), size);
    head_->left -= size;
    head_->busy.store(false, std::memory_order_release);
  }

private:
  Head *head_ = nullptr;
  unsigned char *bytes_ = nullptr;
  std::size_t capacity_ = 0;
};

// Never destroyed, its page never unmapped: seals may run while statics are destroyed.
NoncePool &pool() {
  static NoncePool &the_pool = *new NoncePool;
  return the_pool;
}

} // namespace

void random_nonce(unsigned char *out, std::size_t size) { pool().draw(out, size); }

bool nonce_pool_active() { return pool().active(); }

} // namespace autohost::store
