// The idempotency-key rule of abi.h, checked the same way by hosts and plugins.
#pragma once

#include <autohost/abi.h>

#include <string>
#include <string_view>

namespace autohost {

// What abi.h allows, as said in error messages.
inline constexpr std::string_view idempotency_key_rule =
    "1-128 characters of letters, digits and . _ : @ + -";

constexpr bool idempotency_key_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '+' || c == '-';
}

// True for a key a host may pass: 1-AH_IDEMPOTENCY_KEY_MAX bytes of the characters above.
// The empty key means "no idempotency" and is not a key; callers check for it first.
constexpr bool valid_idempotency_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > AH_IDEMPOTENCY_KEY_MAX)
    return false;
  for (char c : key) {
    if (!idempotency_key_char(c))
      return false;
  }
  return true;
}

// The message for a key that is not valid, naming it: "idempotency key 'a b' must be ...".
inline std::string idempotency_key_problem(std::string_view key) {
  return "idempotency key '" + std::string(key) + "' must be " + std::string(idempotency_key_rule);
}

} // namespace autohost
