// An account's token record as kept in the host's secret store (one JSON value per account).
#pragma once

#include <autohost/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace threads::auth {

enum class TokenKind { short_lived, long_lived };
enum class AccountStatus { active, needs_reauth };

struct TokenRecord {
  std::string app;     // name of the app credentials record used to obtain the token
  std::string user_id; // Threads user id, always a string of digits
  std::string username;
  std::string access_token;
  TokenKind kind = TokenKind::long_lived;
  std::vector<std::string> scopes;
  // When `scopes` were read from debug_token, i.e. are what the user granted. 0: they are
  // what was asked for, or records from before the check, so actions do not rely on them.
  std::int64_t scopes_checked_at_ms = 0;
  std::int64_t issued_at_ms = 0;
  std::int64_t expires_at_ms = 0; // from expires_in, never assumed
  AccountStatus status = AccountStatus::active;
  std::int64_t last_refresh_attempt_ms = 0;
  std::string last_refresh_error;
  std::int64_t last_refresh_ms = 0; // the last successful refresh
  // The token this one replaced, kept until the new one has been used successfully once
  // (by an action or by the next refresh), so a new token that does not work loses nothing.
  std::string previous_token;
  std::int64_t previous_expires_at_ms = 0;
  // A refresh in progress (single-flight across processes): who claimed it and when. A
  // claim older than the lease is stale (its process died) and is ignored.
  std::string refresh_claimant;
  std::int64_t refresh_claim_ms = 0;

  bool expired(std::int64_t now_ms) const { return expires_at_ms != 0 && now_ms >= expires_at_ms; }
  bool claim_fresh(std::int64_t now_ms, std::int64_t lease_ms) const {
    return refresh_claim_ms != 0 && now_ms - refresh_claim_ms < lease_ms &&
           now_ms >= refresh_claim_ms - lease_ms; // a claim from the future is a clock jump
  }
};

std::string to_json(const TokenRecord &record);
// Errors name the account and the field, never the token.
autohost::Result<TokenRecord> token_record_from_json(std::string_view account,
                                                     std::string_view json);

// The account's key in the secret store: threads/accounts/<account>.
std::string account_key(std::string_view account);
inline constexpr std::string_view account_prefix = "threads/accounts/";

// Account names: 1-64 characters of [A-Za-z0-9._-]; the error names the rule.
autohost::Result<autohost::Done> validate_account_name(std::string_view account);

} // namespace threads::auth
