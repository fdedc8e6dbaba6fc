// An account's token record as kept in the host's secret store.
#include "auth/token_record.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace threads::auth {
namespace json = boost::json;
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
  // Written twice per account in a refresh sweep (the claim, then the new token): the
  // document lives in this buffer, which saves some forty allocations a write (one per key
  // and string).
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  json::array scopes(&arena);
  for (const auto &s : r.scopes)
    scopes.emplace_back(s);
  const json::object o({{"app", r.app},
                        {"user_id", r.user_id},
                        {"username", r.username},
                        {"access_token", r.access_token},
                        {"kind", r.kind == TokenKind::long_lived ? "long" : "short"},
                        {"scopes", std::move(scopes)},
                        {"scopes_checked_at_ms", r.scopes_checked_at_ms},
                        {"issued_at_ms", r.issued_at_ms},
                        {"expires_at_ms", r.expires_at_ms},
                        {"status", r.status == AccountStatus::active ? "active" : "needs_reauth"},
                        {"last_refresh_attempt_ms", r.last_refresh_attempt_ms},
                        {"last_refresh_error", r.last_refresh_error},
                        {"last_refresh_ms", r.last_refresh_ms},
                        {"previous_token", r.previous_token},
                        {"previous_expires_at_ms", r.previous_expires_at_ms},
                        {"refresh_claimant", r.refresh_claimant},
                        {"refresh_claim_ms", r.refresh_claim_ms}},
                       &arena);
  return json::serialize(o);
}

} // namespace threads::auth
