// Times as text: ISO 8601 output and the input forms actions accept.
#include "auth/time_text.hpp"

#include <charconv>
#include <ctime>

namespace threads::auth {

std::string iso8601(std::int64_t ms) {
  if (ms == 0)
    return {};
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// Reads exactly `width` digits at `pos`.
bool digits(std::string_view s, std::size_t &pos, std::size_t width, int &out) {
  if (pos + width > s.size())
    return false;
  const auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + width, out);
  if (ec != std::errc{} || end != s.data() + pos + width)
    return false;
  pos += width;
  return true;
}

bool expect(std::string_view s, std::size_t &pos, char c) {
  if (pos >= s.size() || s[pos] != c)
    return false;
  ++pos;
  return true;
}

} // namespace

std::optional<std::int64_t> parse_time_ms(std::string_view s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t secs = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (ec != std::errc{} || secs > 100'000'000'000LL)
      return std::nullopt;
    return secs * 1000;
  }
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, pos, 4, year) || !expect(s, pos, '-') || !digits(s, pos, 2, month) ||
      !expect(s, pos, '-') || !digits(s, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != ' '))
    return std::nullopt;
  ++pos;
  if (!digits(s, pos, 2, hour) || !expect(s, pos, ':') || !digits(s, pos, 2, minute)) {
    return std::nullopt;
  }
  if (pos < s.size() && s[pos] == ':' && (++pos, !digits(s, pos, 2, second)))
    return std::nullopt;
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
  }
  int offset_min = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!digits(s, pos, 2, oh))
      return std::nullopt;
    if (pos < s.size() && s[pos] == ':')
      ++pos;
    if (!digits(s, pos, 2, om))
      return std::nullopt;
    offset_min = sign * (oh * 60 + om);
  } else {
    return std::nullopt; // a time without a zone is ambiguous
  }
  if (pos != s.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::int64_t secs = static_cast<std::int64_t>(timegm(&tm)) - offset_min * 60LL;
  return secs * 1000 + millis;
}

} // namespace threads::auth
