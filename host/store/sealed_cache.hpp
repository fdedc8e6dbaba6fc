// Recently read rows of an SQLite secret store, as stored (sealed: the value stays
// encrypted, and is opened again on every read), valid while the key's change counter has
// not moved and for at most a short lifetime; and the bump of that counter after each write,
// which every store on the file makes, whether it keeps rows or not.
#pragma once

#include "store/change_signal.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace autohost::store {

struct SealedRow {
  std::uint64_t version = 0;
  std::string sealed;
  std::int64_t updated_ms = 0;
};

// Safe to share between threads. Absent keys are not kept, so a row added without a bump
// (`store copy` fills an empty store that way) is read at once.
class SealedCache {
public:
  // nullptr when the change counters cannot be used. With a zero `lifetime` no row is kept,
  // but writes still bump the counters, so other processes' kept rows see them at once.
  static std::unique_ptr<SealedCache> open(const std::filesystem::path &store_file,
                                           std::chrono::milliseconds lifetime);

  // Taken before the row is read from the store, and given to keep() with it.
  std::uint64_t stamp(std::string_view key) const noexcept { return signal_->read(key); }
  std::optional<SealedRow> find(std::string_view key);
  // find()'s answer without copying the row: the version of the kept row.
  std::optional<std::uint64_t> find_version(std::string_view key);
  void keep(std::string_view key, std::uint64_t stamp, const SealedRow &row);
  // After a write of `key` finished, committed or not: every process reads it again.
  void changed(std::string_view key) noexcept { signal_->bump(key); }
  // Reads answered from the cache since it was opened.
  std::uint64_t hits() const noexcept;

private:
  // Enough for every account a host serves at once; a sweep over more does not grow it.
  static constexpr std::size_t capacity = 1024;
  struct Entry {
    SealedRow row;
    std::uint64_t stamp = 0;
    std::chrono::steady_clock::time_point expires;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };

  SealedCache(std::unique_ptr<ChangeSignal> signal, std::chrono::milliseconds lifetime) noexcept;
  // The entry for `key` if it may still be used (erasing it if not), counted as a hit.
  // Called with mutex_ held.
  const Entry *live(std::string_view key);

  std::unique_ptr<ChangeSignal> signal_;
  std::chrono::milliseconds lifetime_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
  std::uint64_t hits_ = 0;
};

} // namespace autohost::store
