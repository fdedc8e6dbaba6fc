// Times as text: ISO 8601 for outputs and messages, and parsing of the times inputs accept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace threads::auth {

// "2026-01-31T09:00:00Z"; "" for 0 (unknown).
std::string iso8601(std::int64_t ms);

// Unix seconds as digits, or ISO 8601 "YYYY-MM-DDTHH:MM[:SS][.fff](Z|+hh:mm|+hhmm)";
// milliseconds since the epoch, or nullopt when the text is neither.
std::optional<std::int64_t> parse_time_ms(std::string_view text);

inline constexpr std::int64_t hour_ms = 3600LL * 1000;
inline constexpr std::int64_t day_ms = 24 * hour_ms;

} // namespace threads::auth
