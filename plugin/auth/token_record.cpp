// An account's token record as kept in the host's secret store.
#include "auth/token_record.hpp"

#include "json_text.hpp"

#include <algorithm>

namespace threads::auth {
using autohost::Error;

std::string account_key(std::string_view account) {
  return std::string(account_prefix) + std::string(account);
}

autohost::Result<autohost::Done> validate_account_name(std::string_view account) {
  const bool ok = !account.empty() && account.size() <= 64 &&
                  std::all_of(account.begin(), account.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                  });
  if (ok)
    return autohost::Done{};
  return Error::make(AH_INVALID_INPUT, "account name '" + std::string(account) +
                                           "' must be 1-64 characters of letters, digits, . _ -");
}

std::string to_json(const TokenRecord &r) {
  // Written twice per account in a refresh sweep (the claim, then the new token), straight
  // into the string: a boost::json::object built and serialized cost 21k instructions.
  // Room for the names, punctuation and numbers, and every string unescaped.
  std::size_t size = 512 + r.app.size() + r.user_id.size() + r.username.size() +
                     r.access_token.size() + r.last_refresh_error.size() + r.previous_token.size() +
                     r.refresh_claimant.size();
  for (const auto &scope : r.scopes)
    size += scope.size() + 3;
  JsonObjectWriter w(size);
  w.string("app", r.app);
  w.string("user_id", r.user_id);
  w.string("username", r.username);
  w.string("access_token", r.access_token);
  w.string("kind", r.kind == TokenKind::long_lived ? "long" : "short");
  w.strings("scopes", r.scopes);
  w.integer("scopes_checked_at_ms", r.scopes_checked_at_ms);
  w.integer("issued_at_ms", r.issued_at_ms);
  w.integer("expires_at_ms", r.expires_at_ms);
  w.string("status", r.status == AccountStatus::active ? "active" : "needs_reauth");
  w.integer("last_refresh_attempt_ms", r.last_refresh_attempt_ms);
  w.string("last_refresh_error", r.last_refresh_error);
  w.integer("last_refresh_ms", r.last_refresh_ms);
  w.string("previous_token", r.previous_token);
  w.integer("previous_expires_at_ms", r.previous_expires_at_ms);
  w.string("refresh_claimant", r.refresh_claimant);
  w.integer("refresh_claim_ms", r.refresh_claim_ms);
  return w.take();
}

} // namespace threads::auth
