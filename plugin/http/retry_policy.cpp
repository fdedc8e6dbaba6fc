// Retry-After parsing (RFC 9110 section 10.2.3) and the jittered exponential backoff.
#include "http/retry_policy.hpp"

#include "http/ascii.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace threads::http {
namespace {

using namespace std::chrono;

// Consumes `digits` decimal digits (exactly that many) from the front of `s`.
bool take_number(std::string_view &s, std::size_t digits, int &out) {
  if (s.size() < digits) {
    return false;
  }
  out = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') {
      return false;
    }
    out = out * 10 + (c - '0');
  }
  s.remove_prefix(digits);
  return true;
}

// One or two digits (asctime pads days with a space, RFC 850 does not need to).
bool take_day(std::string_view &s, int &out) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  if (s.size() >= 2 && s[1] >= '0' && s[1] <= '9') {
    return take_number(s, 2, out);
  }
  return take_number(s, 1, out);
}

bool take_literal(std::string_view &s, std::string_view literal) {
  if (!s.starts_with(literal)) {
    return false;
  }
  s.remove_prefix(literal.size());
  return true;
}

bool take_month(std::string_view &s, unsigned &out) {
  static constexpr std::array<std::string_view, 12> names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < names.size(); ++i) {
    if (s.size() >= 3 && ascii::iequals(s.substr(0, 3), names[i])) {
      s.remove_prefix(3);
      out = i + 1;
      return true;
    }
  }
  return false;
}

bool take_time(std::string_view &s, int &h, int &m, int &sec) {
  return take_number(s, 2, h) && take_literal(s, ":") && take_number(s, 2, m) &&
         take_literal(s, ":") && take_number(s, 2, sec) && h < 24 && m < 60 && sec <= 60;
}

// In whole seconds: a nanosecond system_clock::time_point overflows after the year 2262,
// and a server may name any year up to 9999.
std::optional<sys_seconds> make_time(int y, unsigned mon, int d, int h, int m, int sec) {
  const year_month_day ymd{year{y}, month{mon}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return sys_days{ymd} + hours{h} + minutes{m} + seconds{sec};
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate)
std::optional<sys_seconds> parse_imf_fixdate(std::string_view s) {
  int d = 0;
  int y = 0;
  int h = 0;
  int m = 0;
  int sec = 0;
  unsigned mon = 0;
  if (s.size() < 5 || s[3] != ',') {
    return std::nullopt;
  }
  s.remove_prefix(4);
  if (take_literal(s, " ") && take_number(s, 2, d) && take_literal(s, " ") && take_month(s, mon) &&
      take_literal(s, " ") && take_number(s, 4, y) && take_literal(s, " ") &&
      take_time(s, h, m, sec) && take_literal(s, " GMT") && s.empty()) {
    return make_time(y, mon, d, h, m, sec);
  }
  return std::nullopt;
}

// "Sunday, 06-Nov-94 08:49:37 GMT" (obsolete RFC 850; two-digit years per RFC 9110 5.6.7)
std::optional<sys_seconds> parse_rfc850(std::string_view s, system_clock::time_point now) {
  const auto comma = s.find(", ");
  if (comma == std::string_view::npos || comma < 6) {
    return std::nullopt;
  }
  s.remove_prefix(comma + 2);
  int d = 0;
  int yy = 0;
  int h = 0;
  int m = 0;
  int sec = 0;
  unsigned mon = 0;
  if (!(take_number(s, 2, d) && take_literal(s, "-") && take_month(s, mon) &&
        take_literal(s, "-") && take_number(s, 2, yy) && take_literal(s, " ") &&
        take_time(s, h, m, sec) && take_literal(s, " GMT") && s.empty())) {
    return std::nullopt;
  }
  // A two-digit year more than 50 years in the future means the previous century.
  const int this_year = static_cast<int>(year_month_day{floor<days>(now)}.year());
  int y = (this_year / 100) * 100 + yy;
  if (y > this_year + 50) {
    y -= 100;
  }
  return make_time(y, mon, d, h, m, sec);
}

// "Sun Nov  6 08:49:37 1994" (asctime)
std::optional<sys_seconds> parse_asctime(std::string_view s) {
  if (s.size() < 4 || s[3] != ' ') {
    return std::nullopt;
  }
  s.remove_prefix(4);
  int d = 0;
  int y = 0;
  int h = 0;
  int m = 0;
  int sec = 0;
  unsigned mon = 0;
  if (take_month(s, mon) && take_literal(s, " ") && take_day(s, d) && take_literal(s, " ") &&
      take_time(s, h, m, sec) && take_literal(s, " ") && take_number(s, 4, y) && s.empty()) {
    return make_time(y, mon, d, h, m, sec);
  }
  return std::nullopt;
}

} // namespace

bool is_retryable_status(int status) noexcept {
  // 500 too: Graph answers transient failures (code 1/2, is_transient) with it, and only
  // idempotent requests are ever retried.
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              system_clock::time_point now) noexcept {
  // An absurd value (seconds or a date in year 9999) is still "a long time": clamp rather
  // than overflow the caller's whole seconds.
  constexpr std::uint64_t max_secs = 365ULL * 24 * 3600;
  value = ascii::trim(value);
  if (value.empty()) {
    return std::nullopt;
  }
  if (value.front() >= '0' && value.front() <= '9') {
    std::uint64_t secs = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
    if (ptr != value.data() + value.size()) {
      return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || secs > max_secs) {
      secs = max_secs;
    } else if (ec != std::errc()) {
      return std::nullopt;
    }
    return duration_cast<milliseconds>(seconds{secs});
  }
  std::optional<sys_seconds> when = parse_imf_fixdate(value);
  if (!when) {
    when = parse_rfc850(value, now);
  }
  if (!when) {
    when = parse_asctime(value);
  }
  if (!when) {
    return std::nullopt;
  }
  return std::clamp(duration_cast<milliseconds>(*when - floor<seconds>(now)), milliseconds{0},
                    duration_cast<milliseconds>(seconds{max_secs}));
}

milliseconds backoff_delay(const RetryPolicy &policy, int retry, double unit_random) noexcept {
  const auto base = std::max(policy.base_delay, milliseconds{0});
  const auto cap = std::max(policy.max_delay, milliseconds{0});
  // Doubling stops at the cap; checking before shifting also keeps the shift in range.
  auto ceiling = base;
  for (int i = 1; i < retry && ceiling < cap; ++i) {
    ceiling *= 2;
  }
  ceiling = std::min(ceiling, cap);
  const double r = std::clamp(unit_random, 0.0, 1.0);
  return milliseconds{static_cast<milliseconds::rep>(static_cast<double>(ceiling.count()) * r)};
}

} // namespace threads::http
