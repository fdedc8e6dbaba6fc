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
  std::int64_t issued_at_ms = 0;
  std::int64_t expires_at_ms = 0; // from expires_in, never assumed
  AccountStatus status = AccountStatus::active;
  std::int64_t last_refresh_attempt_ms = 0;
  std::string last_refresh_error;
  // The token this one replaced, kept until the new one has been used successfully once.
  std::string previous_token;
  std::int64_t previous_expires_at_ms = 0;

  bool expired(std::int64_t now_ms) const { return expires_at_ms != 0 && now_ms >= expires_at_ms; }
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
