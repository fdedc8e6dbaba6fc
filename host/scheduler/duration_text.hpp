// Parses and prints the durations users write: "90s", "15m", "6h", "1d", "1h30m".
#pragma once

#include <autohost/result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace autohost::scheduler {

// Units s, m, h, d (24 hours), w (7 days), each at most once, largest first. Zero and
// anything over 3660 days are refused. The error quotes `text` and names `what`.
Result<std::chrono::seconds> parse_duration(std::string_view text, std::string_view what);

// The shortest form parse_duration reads back: 5400s -> "1h30m", 0 -> "0s".
std::string format_duration(std::chrono::seconds duration);

} // namespace autohost::scheduler
