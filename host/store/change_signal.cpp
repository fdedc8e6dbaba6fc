// The change counters' file: created or checked, then mapped shared between processes.
#include "store/change_signal.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

namespace autohost::store {
namespace fs = std::filesystem;

namespace {

// "AHCHG001": the format of the file; another value means a file that is not ours.
constexpr std::uint64_t magic = 0x3130304748434841ULL;
constexpr std::size_t header_bytes = 64;
constexpr std::size_t file_bytes = header_bytes + ChangeSignal::slots * sizeof(std::uint64_t);

static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free,
              "the counters are shared between processes, so they must be lock-free");

std::atomic_ref<std::uint64_t> word(void *map, std::size_t offset) noexcept {
  return std::atomic_ref<std::uint64_t>(
      *reinterpret_cast<std::uint64_t *>(static_cast<char *>(map) + offset));
}

// FNV-1a, 64 bits: fixed, so every process (and every version) picks the same slot.
std::uint64_t hash_of(std::string_view key) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

class Fd {
public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  int get() const noexcept { return fd_; }

private:
  int fd_;
};

} // namespace

fs::path ChangeSignal::file_of(const fs::path &store_file) {
  return fs::path(store_file.string() + "-changes");
}

std::unique_ptr<ChangeSignal> ChangeSignal::open(const fs::path &store_file) {
  struct stat store {};
  if (::stat(store_file.c_str(), &store) != 0)
    return nullptr;
  const fs::path file = file_of(store_file);
  Fd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0)
    return nullptr;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return nullptr;
  // Just made by root (an operator's sudo) for a store of another user: it becomes that
  // user's, as SQLite does with -wal and -shm, or the store's own daemon could not open it.
  if (::geteuid() == 0 && st.st_uid == 0 && st.st_size == 0 && store.st_uid != 0 &&
      ::fchown(fd.get(), store.st_uid, store.st_gid) == 0) {
    st.st_uid = store.st_uid;
  }
  // Trusted as far as the store itself: its owner's, writable by no one else.
  if (!S_ISREG(st.st_mode) || st.st_uid != store.st_uid ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
      (st.st_size != 0 && st.st_size != static_cast<off_t>(file_bytes))) {
    return nullptr; // left as it is
  }
  // Allocated, not only sized: a store to a hole of a full disk would kill the process.
  if (::posix_fallocate(fd.get(), 0, static_cast<off_t>(file_bytes)) != 0)
    return nullptr;
  void *map = ::mmap(nullptr, file_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (map == MAP_FAILED)
    return nullptr;
  std::unique_ptr<ChangeSignal> signal(new ChangeSignal(map, file_bytes));
  std::uint64_t found = 0;
  if (!word(map, 0).compare_exchange_strong(found, magic) && found != magic)
    return nullptr; // unmapped by the destructor
  return signal;
}

ChangeSignal::ChangeSignal(void *map, std::size_t size) noexcept : map_(map), size_(size) {}

ChangeSignal::~ChangeSignal() { ::munmap(map_, size_); }

std::uint64_t *ChangeSignal::slot(std::string_view key) const noexcept {
  const std::size_t index = hash_of(key) % slots;
  return reinterpret_cast<std::uint64_t *>(static_cast<char *>(map_) + header_bytes) + index;
}

std::uint64_t ChangeSignal::read(std::string_view key) const noexcept {
  return std::atomic_ref<std::uint64_t>(*slot(key)).load(std::memory_order_acquire);
}

void ChangeSignal::bump(std::string_view key) noexcept {
  std::atomic_ref<std::uint64_t>(*slot(key)).fetch_add(1, std::memory_order_seq_cst);
}

} // namespace autohost::store
