// Checked parsers for the CLI's numeric flags: whole numbers in a range, and seconds.
#pragma once

#include <autohost/result.hpp>

#include <boost/program_options/variables_map.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace autohost::cli {

// The longest --timeout any command takes, in seconds (one day).
constexpr double max_timeout_s = 86400;

// A whole number from `min` to `max` in decimal digits only: "-1", "+3", "1e3", " 7" and
// values past `max` are errors naming `flag`, never wrapped or rounded.
Result<std::uint64_t> parse_count(std::string_view text, std::string_view flag, std::uint64_t min,
                                  std::uint64_t max);

// A finite number of seconds more than 0 and at most `max_s` ("nan", "inf", "1e308", "0"
// and "-1" are errors naming `flag` and the bound), so converting it to milliseconds is
// always defined.
Result<double> parse_seconds(std::string_view text, std::string_view flag, double max_s);

// The optional --timeout of `invoke` and `job`: none when not given, else parse_seconds of
// it with max_timeout_s.
Result<std::optional<double>> optional_timeout(const boost::program_options::variables_map &vm);

} // namespace autohost::cli
