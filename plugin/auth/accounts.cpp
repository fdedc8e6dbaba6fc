// Reading and writing account token records through the host's secret store.
#include "auth/accounts.hpp"

#include "auth/secret_listing.hpp"
#include "auth/time_text.hpp"

#include <boost/json.hpp>

namespace threads::auth {
namespace json = boost::json;
using autohost::Error;

namespace {

Error auth_required(std::string_view account, std::string_view why) {
  const std::string fix = "autohost invoke threads.auth_url --account " + std::string(account) +
                          ", open the URL, then autohost invoke threads.exchange_code";
  json::object body{{"code", "auth_required"},
                    {"account", account},
                    {"message", "account '" + std::string(account) + "' " + std::string(why) +
                                    "; re-authorise it: " + fix},
                    {"fix", fix}};
  return Error{AH_AUTH_REQUIRED, json::serialize(body)};
}

// The record of a kept entry, sharing its ownership.
std::shared_ptr<const TokenRecord> shared_record(std::shared_ptr<const AccountCache::Kept> kept) {
  const TokenRecord *record = &kept->record;
  return {std::move(kept), record};
}

// The record an account's secret holds; an absent secret means no such account.
autohost::Result<TokenRecord> stored_record(const std::string &name,
                                            const std::optional<autohost::Secret> &secret) {
  if (!secret)
    return Error::make(AH_NOT_FOUND, "there is no Threads account named '" + name + "'");
  return token_record_from_json(name, secret->value);
}

} // namespace

autohost::Result<std::vector<std::string>> Accounts::names() const {
  AH_TRY_DECLARE(listed, host_.secret_list(account_prefix));
  return listed_names(listed, account_prefix, true);
}

autohost::Result<std::string> Accounts::choose(std::string_view name) const {
  std::string chosen(name);
  if (chosen.empty()) {
    AH_TRY_DECLARE(all, names());
    if (all.empty()) {
      return Error::make(AH_NOT_FOUND, "no Threads account is set up yet; add one with "
                                       "threads.import_token or threads.auth_url");
    }
    if (all.size() > 1) {
      std::string list;
      for (const auto &n : all)
        list += (list.empty() ? "" : ", ") + n;
      return Error::make(AH_INVALID_INPUT, "several Threads accounts exist (" + list +
                                               "); choose one with --account");
    }
    chosen = all.front();
  }
  AH_TRY(validate_account_name(chosen));
  return chosen;
}

autohost::Result<autohost::Done>
Accounts::check(const std::string &chosen, const TokenRecord &record, Usability usability) const {
  if (usability == Usability::usable) {
    if (record.status == AccountStatus::needs_reauth) {
      return auth_required(chosen, "needs re-authorisation (" +
                                       (record.last_refresh_error.empty()
                                            ? std::string("its token was rejected")
                                            : record.last_refresh_error) +
                                       ")");
    }
    if (record.expired(host_.now_ms())) {
      return auth_required(chosen, "has a token that expired at " + iso8601(record.expires_at_ms) +
                                       " and can no longer be refreshed");
    }
  }
  return autohost::Done{};
}

autohost::Result<StoredAccount> Accounts::load(std::string_view name, Usability usability) const {
  AH_TRY_DECLARE(chosen, choose(name));
  AH_TRY_DECLARE(got, read(chosen, usability));
  // A kept record is copied (the caller may change it); one read now is moved.
  if (got.kept)
    return StoredAccount{std::move(chosen), *got.kept, got.version};
  return StoredAccount{std::move(chosen), std::move(*got.owned), got.version};
}

autohost::Result<SharedAccount> Accounts::load_shared(std::string_view name,
                                                      Usability usability) const {
  AH_TRY_DECLARE(chosen, choose(name));
  AH_TRY_DECLARE(got, read(chosen, usability));
  if (!got.kept)
    got.kept = std::make_shared<const TokenRecord>(std::move(*got.owned));
  return SharedAccount{std::move(chosen), std::move(got.kept), got.version};
}

autohost::Result<Accounts::Read> Accounts::read(const std::string &chosen,
                                                Usability usability) const {
  const std::string key = account_key(chosen);
  Read got;
  // Only a record already kept is worth a version check: otherwise it is read anyway.
  if (auto kept = cache_ ? cache_->find(chosen) : nullptr) {
    auto version = host_.secret_version(key);
    if (version && version.value() == kept->version) {
      got.version = version.value();
      got.kept = shared_record(std::move(kept));
    } else {
      cache_->forget(chosen);
    }
  }
  if (!got.kept) {
    AH_TRY_DECLARE(secret, host_.secret_get(key));
    AH_TRY_DECLARE(record, stored_record(chosen, secret));
    got.version = secret->version;
    if (cache_) {
      got.kept = shared_record(cache_->keep(chosen, std::move(record), secret->version));
    } else {
      got.owned = std::move(record);
    }
  }
  AH_TRY(check(chosen, got.record(), usability));
  return got;
}

std::vector<autohost::Result<StoredAccount>>
Accounts::load_many(std::span<const std::string> names) const {
  // Names that break the rules never reach the host; the rest are read in one batch.
  std::vector<std::optional<Error>> refused(names.size());
  std::vector<std::string> keys;
  keys.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (auto valid = validate_account_name(names[i]); !valid)
      refused[i] = std::move(valid).error();
    else
      keys.push_back(account_key(names[i]));
  }
  const std::vector<std::string_view> asked(keys.begin(), keys.end());
  auto got = host_.secret_get_many(asked);
  std::vector<autohost::Result<StoredAccount>> out;
  out.reserve(names.size());
  std::size_t next = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string &name = names[i];
    if (refused[i]) {
      out.emplace_back(std::move(*refused[i]));
      continue;
    }
    auto &secret = got[next++];
    if (!secret) {
      out.emplace_back(std::move(secret).error());
    } else if (auto record = stored_record(name, secret.value()); !record) {
      out.emplace_back(std::move(record).error());
    } else {
      out.emplace_back(StoredAccount{name, std::move(record).value(), secret.value()->version});
    }
  }
  return out;
}

autohost::Result<std::uint64_t> Accounts::save(std::string_view name, const TokenRecord &record,
                                               std::uint64_t expected_version) const {
  AH_TRY(validate_account_name(name));
  return host_.secret_put(account_key(name), to_json(record), expected_version);
}

std::vector<autohost::Result<std::uint64_t>>
Accounts::save_many(const std::vector<Write> &writes) const {
  // Names that break the rules never reach the host; the rest go in one batch.
  std::vector<std::optional<Error>> refused(writes.size());
  std::vector<autohost::SecretWrite> batch;
  batch.reserve(writes.size());
  for (std::size_t i = 0; i < writes.size(); ++i) {
    if (auto valid = validate_account_name(writes[i].name); !valid) {
      refused[i] = std::move(valid).error();
      continue;
    }
    batch.push_back(
        {account_key(writes[i].name), to_json(*writes[i].record), writes[i].expected_version});
  }
  auto written = host_.secret_put_many(batch);
  std::vector<autohost::Result<std::uint64_t>> out;
  out.reserve(writes.size());
  std::size_t next = 0;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    if (refused[i]) {
      out.emplace_back(std::move(*refused[i]));
    } else {
      out.push_back(std::move(written[next++]));
    }
  }
  return out;
}

} // namespace threads::auth
