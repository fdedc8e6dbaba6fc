// Account records kept between calls; the tokens they hold are wiped when dropped.
#include "auth/account_cache.hpp"

#include <openssl/crypto.h>

namespace threads::auth {

namespace {

void wipe(std::string &text) noexcept { OPENSSL_cleanse(text.data(), text.size()); }

// Deletes a kept record once the cache and every call holding it let go.
struct WipingDelete {
  void operator()(AccountCache::Kept *kept) const noexcept {
    wipe(kept->record.access_token);
    wipe(kept->record.previous_token);
    delete kept;
  }
};

} // namespace

std::shared_ptr<const AccountCache::Kept> AccountCache::find(std::string_view account) const {
  const std::lock_guard lock(mutex_);
  const auto found = entries_.find(account);
  return found == entries_.end() ? nullptr : found->second;
}

std::shared_ptr<const AccountCache::Kept>
AccountCache::keep(std::string_view account, TokenRecord record, std::uint64_t version) {
  std::shared_ptr<const Kept> kept(new Kept{std::move(record), version}, WipingDelete{});
  const std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity && entries_.find(account) == entries_.end())
    entries_.clear();
  entries_.insert_or_assign(std::string(account), kept);
  return kept;
}

void AccountCache::forget(std::string_view account) {
  const std::lock_guard lock(mutex_);
  if (const auto found = entries_.find(account); found != entries_.end())
    entries_.erase(found);
}

} // namespace threads::auth
