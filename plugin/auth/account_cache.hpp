// Account records a plugin instance keeps between calls, each with the store version it was
// read at, so a call whose record is unchanged (ABI 1.4 secret_version) skips reading,
// decrypting and parsing it again.
#pragma once

#include "auth/token_record.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace threads::auth {

// Safe to share between threads. Tokens are wiped from memory when an entry is dropped.
class AccountCache {
public:
  struct Kept {
    TokenRecord record;
    std::uint64_t version = 0;
  };

  std::shared_ptr<const Kept> find(std::string_view account) const;
  // Returns what it keeps, so the caller can use it without a copy of the record.
  std::shared_ptr<const Kept> keep(std::string_view account, TokenRecord record,
                                   std::uint64_t version);
  void forget(std::string_view account);

private:
  // More accounts than one host acts for at once; beyond it the cache starts again.
  static constexpr std::size_t capacity = 256;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const Kept>, Hash, std::equal_to<>> entries_;
};

} // namespace threads::auth
