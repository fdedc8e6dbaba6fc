// Parses and prints durations such as "15m" and "1h30m".
#include "scheduler/duration_text.hpp"

#include "errors.hpp"

#include <array>
#include <cstdint>

namespace autohost::scheduler {

namespace {

struct Unit {
  char letter;
  std::int64_t seconds;
};
constexpr std::array<Unit, 5> units = {
    {{'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};
constexpr std::int64_t max_seconds = 3660LL * 86400;

} // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return host::make_error(AH_INVALID_INPUT, "invalid_duration",
                            std::string(what) + " '" + std::string(text) +
                                "': " + std::string(why));
  };
  if (text.empty())
    return bad("is empty; write e.g. 90s, 15m, 6h, 1d or 1h30m");
  std::int64_t total = 0;
  size_t next_unit = 0; // units must come largest first, each once
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    std::int64_t number = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      number = number * 10 + (text[pos] - '0');
      if (number > max_seconds)
        return bad("is longer than 3660 days");
      ++pos;
    }
    if (pos == start)
      return bad("expected a number at '" + std::string(text.substr(pos)) + "'");
    if (pos == text.size()) {
      return bad("the number " + std::string(text.substr(start)) +
                 " needs a unit: s, m, h, d or w");
    }
    size_t u = next_unit;
    while (u < units.size() && units[u].letter != text[pos])
      ++u;
    if (u == units.size()) {
      bool known = false;
      for (const auto &unit : units)
        known = known || unit.letter == text[pos];
      return bad(known ? "units must go from largest to smallest, each once (e.g. 1h30m)"
                       : "unknown unit '" + std::string(1, text[pos]) + "'; use s, m, h, d or w");
    }
    total += number * units[u].seconds;
    if (total > max_seconds)
      return bad("is longer than 3660 days");
    next_unit = u + 1;
    ++pos;
  }
  if (total == 0)
    return bad("must be longer than zero");
  return std::chrono::seconds{total};
}

std::string format_duration(std::chrono::seconds duration) {
  std::int64_t rest = duration.count();
  if (rest <= 0)
    return std::to_string(rest) + "s";
  std::string out;
  for (const auto &unit : units) {
    if (rest >= unit.seconds) {
      out += std::to_string(rest / unit.seconds) + unit.letter;
      rest %= unit.seconds;
    }
  }
  return out;
}

} // namespace autohost::scheduler
