// Parses RFC 3339 date-times and local date-times.
#include "scheduler/date_time_text.hpp"

#include "errors.hpp"

#include <cstdio>

namespace autohost::scheduler {

namespace {

// Reads exactly `count` digits at `pos`; nullopt when they are not all digits.
std::optional<int> digits(std::string_view s, size_t pos, size_t count) {
  if (pos + count > s.size())
    return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return std::nullopt;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

} // namespace

std::string WrittenTime::text() const {
  std::string out = format_local(local);
  if (!offset)
    return out;
  if (offset->count() == 0)
    return out + "Z";
  const long minutes = static_cast<long>(offset->count() / 60);
  const long magnitude = minutes < 0 ? -minutes : minutes;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", minutes < 0 ? '-' : '+', magnitude / 60,
                magnitude % 60);
  return out + buf;
}

Result<WrittenTime> parse_written_time(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return host::make_error(AH_INVALID_INPUT, "invalid_time",
                            std::string(what) + " '" + std::string(text) +
                                "': " + std::string(why));
  };
  const std::string_view shape =
      "expected YYYY-MM-DDTHH:MM[:SS] with an optional Z or +HH:MM offset";
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-')
    return bad(shape);
  if (text.size() < 16 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) {
    return bad("the time of day is missing; " + std::string(shape));
  }
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  if (!hour || !minute || text[13] != ':')
    return bad(shape);
  size_t pos = 16;
  int second = 0;
  if (pos < text.size() && text[pos] == ':') {
    const auto s = digits(text, pos + 1, 2);
    if (!s)
      return bad(shape);
    second = *s;
    pos += 3;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      const size_t start = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
        ++pos;
      if (pos == start)
        return bad("a fraction of a second needs digits after the '.'");
    }
  }
  if (*month < 1 || *month > 12)
    return bad("month " + std::to_string(*month) + " is not 1-12");
  const date::year_month_day ymd{date::year{*year}, date::month{static_cast<unsigned>(*month)},
                                 date::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) {
    return bad("day " + std::to_string(*day) + " does not exist in " + std::to_string(*year) + "-" +
               (*month < 10 ? "0" : "") + std::to_string(*month));
  }
  if (*hour > 23)
    return bad("hour " + std::to_string(*hour) + " is not 0-23");
  if (*minute > 59)
    return bad("minute " + std::to_string(*minute) + " is not 0-59");
  if (second > 59)
    return bad("second " + std::to_string(second) + " is not 0-59");

  WrittenTime out;
  out.local = LocalTime{date::local_days{ymd}.time_since_epoch()} + std::chrono::hours{*hour} +
              std::chrono::minutes{*minute} + std::chrono::seconds{second};
  if (pos == text.size())
    return out;
  const char sign = text[pos];
  if ((sign == 'Z' || sign == 'z') && pos + 1 == text.size()) {
    out.offset = std::chrono::seconds{0};
    return out;
  }
  if (sign == '+' || sign == '-') {
    const auto oh = digits(text, pos + 1, 2);
    const auto om = digits(text, pos + 4, 2);
    if (oh && om && text[pos + 3] == ':' && pos + 6 == text.size()) {
      if (*oh > 23 || *om > 59)
        return bad("the UTC offset is out of range");
      const std::chrono::seconds offset = std::chrono::hours{*oh} + std::chrono::minutes{*om};
      out.offset = sign == '-' ? -offset : offset;
      return out;
    }
    return bad("the UTC offset must be written +HH:MM or -HH:MM");
  }
  return bad("unexpected '" + std::string(text.substr(pos)) + "' after the time; " +
             std::string(shape));
}

Instant resolve_written_time(const WrittenTime &time, const date::time_zone &zone) {
  if (time.offset)
    return Instant{time.local.time_since_epoch() - *time.offset};
  return place_local(zone, time.local).first;
}

} // namespace autohost::scheduler
