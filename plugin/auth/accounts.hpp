// Reading and writing account token records through the host's secret store.
#pragma once

#include "auth/account_cache.hpp"
#include "auth/token_record.hpp"

#include <autohost/plugin.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace threads::auth {

struct StoredAccount {
  std::string name;
  TokenRecord record;
  std::uint64_t version = 0; // for compare-and-set writes
};

enum class Usability { any, usable }; // usable: active and not expired

class Accounts {
public:
  // With a `cache`, records read are kept there and used again while the host reports the
  // same version for them (a host without secret_version reads every time).
  explicit Accounts(autohost::HostServices host, AccountCache *cache = nullptr)
      : host_(host), cache_(host.has_secret_version() ? cache : nullptr) {}

  // `name` empty: the only account, or an error listing the choices. With
  // Usability::usable, a needs_reauth or expired account is auth_required with the fix.
  autohost::Result<StoredAccount> load(std::string_view name, Usability usability) const;

  // Compare-and-set write; returns the new version. AH_CONFLICT when someone else wrote.
  autohost::Result<std::uint64_t> save(std::string_view name, const TokenRecord &record,
                                       std::uint64_t expected_version) const;

  // Several compare-and-set writes, in one store transaction when the host offers
  // secret_put_many (else one write each). Per item, in order: the new version, or an Error
  // (AH_CONFLICT when someone else wrote; a store failure fails every item of the batch).
  struct Write {
    std::string_view name;
    const TokenRecord *record = nullptr;
    std::uint64_t expected_version = 0;
  };
  std::vector<autohost::Result<std::uint64_t>> save_many(const std::vector<Write> &writes) const;

  // Account names, sorted.
  autohost::Result<std::vector<std::string>> names() const;

private:
  // The stored record of `chosen`, from the cache while its version is unchanged.
  autohost::Result<StoredAccount> read(const std::string &chosen) const;

  autohost::HostServices host_;
  AccountCache *cache_;
};

} // namespace threads::auth
