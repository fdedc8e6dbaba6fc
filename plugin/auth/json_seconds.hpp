// A count of seconds read from JSON (an input or a Threads API answer), bounded so that the
// milliseconds it becomes and the ISO 8601 text it prints cannot overflow.
#pragma once

#include <boost/json/value.hpp>

#include <charconv>
#include <cstdint>
#include <optional>

namespace threads::auth {

// 9999-12-31T23:59:59Z: the last second ISO 8601 writes with four digits.
inline constexpr std::int64_t max_seconds = 253'402'300'799;

// An integer, a whole or fractional double (truncated), or a string of decimal digits, from
// 0 to max_seconds; nullopt for anything else (negative, larger, not a number).
inline std::optional<std::int64_t> json_seconds(const boost::json::value &v) {
  if (v.is_int64() && v.as_int64() >= 0 && v.as_int64() <= max_seconds)
    return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(max_seconds))
    return static_cast<std::int64_t>(v.as_uint64());
  if (v.is_double() && v.as_double() >= 0 && v.as_double() <= static_cast<double>(max_seconds))
    return static_cast<std::int64_t>(v.as_double());
  if (v.is_string()) {
    const auto &s = v.as_string();
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc{} && end == s.data() + s.size() && !s.empty() && s[0] != '-' &&
        out <= max_seconds) {
      return out;
    }
  }
  return std::nullopt;
}

} // namespace threads::auth
