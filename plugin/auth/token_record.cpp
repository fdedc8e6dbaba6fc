// An account's token record as kept in the host's secret store.
#include "auth/token_record.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace threads::auth {
namespace json = boost::json;
using autohost::Error;

namespace {

Error corrupt(std::string_view account, std::string_view what) {
  return Error::make(AH_INTERNAL, "the stored record of account '" + std::string(account) +
                                      "' is damaged (" + std::string(what) +
                                      "); import the token again");
}

} // namespace

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

autohost::Result<TokenRecord> token_record_from_json(std::string_view account,
                                                     std::string_view text) {
  // Read on every call: the parsed document lives in this buffer (heap only for a record
  // larger than it), which saves some forty allocations a call.
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec, &arena);
  if (ec || !doc.is_object())
    return corrupt(account, "not a JSON object");
  const json::object &o = doc.as_object();
  TokenRecord r;
  auto str = [&](std::string_view k, std::string &out) {
    const json::value *v = o.if_contains(k);
    if (v != nullptr && v->is_string())
      out = std::string(v->as_string());
  };
  auto num = [&](std::string_view k, std::int64_t &out) {
    const json::value *v = o.if_contains(k);
    if (v != nullptr && v->is_int64())
      out = v->as_int64();
  };
  str("app", r.app);
  str("user_id", r.user_id);
  str("username", r.username);
  str("access_token", r.access_token);
  str("last_refresh_error", r.last_refresh_error);
  str("previous_token", r.previous_token);
  str("refresh_claimant", r.refresh_claimant);
  num("issued_at_ms", r.issued_at_ms);
  num("expires_at_ms", r.expires_at_ms);
  num("last_refresh_attempt_ms", r.last_refresh_attempt_ms);
  num("previous_expires_at_ms", r.previous_expires_at_ms);
  num("last_refresh_ms", r.last_refresh_ms);
  num("refresh_claim_ms", r.refresh_claim_ms);
  num("scopes_checked_at_ms", r.scopes_checked_at_ms); // absent in older records: unchecked
  std::string kind, status;
  str("kind", kind);
  str("status", status);
  if (r.access_token.empty())
    return corrupt(account, "no access_token");
  if (kind != "long" && kind != "short")
    return corrupt(account, "kind");
  r.kind = kind == "long" ? TokenKind::long_lived : TokenKind::short_lived;
  if (status != "active" && status != "needs_reauth")
    return corrupt(account, "status");
  r.status = status == "active" ? AccountStatus::active : AccountStatus::needs_reauth;
  if (const json::value *s = o.if_contains("scopes"); s != nullptr && s->is_array()) {
    for (const auto &scope : s->as_array()) {
      if (scope.is_string())
        r.scopes.emplace_back(scope.as_string());
    }
  }
  return r;
}

} // namespace threads::auth
