// Reading and writing account token records through the host's secret store.
#pragma once

#include "auth/account_cache.hpp"
#include "auth/token_record.hpp"

#include <autohost/plugin.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace threads::auth {

struct StoredAccount {
  std::string name;
  TokenRecord record;
  std::uint64_t version = 0; // for compare-and-set writes
};

// An account as read, for a call that only reads its record: a record kept by the cache is
// shared, not copied (a record is a dozen strings, and this is on every action's path).
struct SharedAccount {
  std::string name;
  std::shared_ptr<const TokenRecord> record; // never null
  std::uint64_t version = 0;

  // A copy to change and write back (see Rotation), and the account it became.
  StoredAccount stored() const { return StoredAccount{name, *record, version}; }
  static SharedAccount of(StoredAccount account) {
    return SharedAccount{std::move(account.name),
                         std::make_shared<const TokenRecord>(std::move(account.record)),
                         account.version};
  }
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
  // load() for a caller that does not change the record.
  autohost::Result<SharedAccount> load_shared(std::string_view name, Usability usability) const;

  // load(name, Usability::any) for several named accounts, read in one store transaction
  // when the host offers secret_get_many (else one read each); per name, in order. Records
  // are read from the store, not the cache, and not kept in it: a caller that reads many
  // accounts once (the refresh sweep) would only push out the records calls use again.
  std::vector<autohost::Result<StoredAccount>> load_many(std::span<const std::string> names) const;

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
  // The account `name` names (the only one when empty), checked as load() says.
  autohost::Result<std::string> choose(std::string_view name) const;
  autohost::Result<autohost::Done> check(const std::string &chosen, const TokenRecord &record,
                                         Usability usability) const;
  // A record as read: the cache's (shared) while its version is unchanged, else its own.
  struct Read {
    std::shared_ptr<const TokenRecord> kept;
    std::optional<TokenRecord> owned; // empty while kept: a Read is moved twice a call
    std::uint64_t version = 0;
    const TokenRecord &record() const { return kept ? *kept : *owned; }
  };
  autohost::Result<Read> read(const std::string &chosen, Usability usability) const;

  autohost::HostServices host_;
  AccountCache *cache_;
};

} // namespace threads::auth
