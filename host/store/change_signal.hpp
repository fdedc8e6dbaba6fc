// Change counters shared by every process that uses one SQLite store: a small file beside
// the store, mapped into memory, that each secret write bumps after its commit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

namespace autohost::store {

// The file `<store>-changes` holds a header and `slots` counters; a key's counter is chosen
// by a fixed hash of its name (FNV-1a), the same in every process and every version. A
// counter only grows: a reader that took its value before reading a row, and finds the same
// value later, knows no write of that key (or of another key sharing its slot) has finished
// in between. Writers that do not know the file (an older autohost, the sqlite3 shell) do
// not bump it; the cache that relies on it bounds how long an entry lives for that reason.
class ChangeSignal {
public:
  static constexpr std::size_t slots = 4096;

  // Opens or creates the file (mode 0600, its blocks allocated so that no later store to the
  // mapping can fail; made by root, it is given to the store's owner). nullptr when it
  // cannot be used: not a regular file of the store's owner, writable by others, of another
  // size or format, a full disk, a read-only directory. The caller then reads the store
  // every time, as before.
  static std::unique_ptr<ChangeSignal> open(const std::filesystem::path &store_file);
  ~ChangeSignal();
  ChangeSignal(const ChangeSignal &) = delete;
  ChangeSignal &operator=(const ChangeSignal &) = delete;

  std::uint64_t read(std::string_view key) const noexcept;
  // After the commit of a write of `key` (or its failure): the counter's next value.
  void bump(std::string_view key) noexcept;

  static std::filesystem::path file_of(const std::filesystem::path &store_file);

private:
  ChangeSignal(void *map, std::size_t size) noexcept;
  std::uint64_t *slot(std::string_view key) const noexcept;

  void *map_;
  std::size_t size_;
};

} // namespace autohost::store
