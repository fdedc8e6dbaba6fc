// The one usable account the plugin harnesses run as, and the token that must never show.
#pragma once

#include "auth/oauth.hpp"
#include "auth/token_record.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace fuzz {

// A token that must never show in an output, an error or a log line.
inline constexpr std::string_view account_token = "THAAfuzzSECRETtoken0123456789";

// The account record of "fuzz": every scope, issued two days before `now_ms`, valid 50 more.
inline std::string account_record(std::int64_t now_ms) {
  threads::auth::TokenRecord record;
  record.app = "default";
  record.user_id = "1234567890";
  record.username = "fuzz";
  record.access_token = std::string(account_token);
  record.scopes = threads::auth::known_scopes();
  record.scopes_checked_at_ms = now_ms;
  record.issued_at_ms = now_ms - 86'400'000LL * 2;
  record.expires_at_ms = now_ms + 86'400'000LL * 50;
  return threads::auth::to_json(record);
}

} // namespace fuzz
