// IANA time zones from the system tz database and the placement of local times.
#include "scheduler/zone.hpp"

#include "errors.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>

namespace autohost::scheduler {

Result<const date::time_zone *> find_zone(std::string_view name, std::string_view what) {
  auto unknown = [&](std::string_view why) {
    return host::make_error(AH_INVALID_INPUT, "invalid_time_zone",
                            std::string(what) + ": '" + std::string(name) + "' " +
                                std::string(why));
  };
  if (name.empty())
    return unknown("is empty; give an IANA zone such as Europe/Berlin or UTC");
  try {
    return date::locate_zone(name);
  } catch (const std::exception &) {
    // date throws for unknown names and for an unreadable tz database alike.
    return unknown("is not a time zone in the system tz database (/usr/share/zoneinfo, package "
                   "tzdata); use an IANA name such as Europe/Berlin, America/New_York or UTC");
  }
}

std::string default_zone_name() {
  if (const char *tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
    std::string_view name(tz);
    if (name.front() == ':')
      name.remove_prefix(1); // POSIX: ":Area/City" names a file
    if (auto zone = find_zone(name, "TZ"))
      return zone.value()->name();
  }
  try {
    return date::current_zone()->name();
  } catch (const std::exception &) {
    return "UTC"; // containers often have no /etc/localtime
  }
}

LocalPlacement place_local(const date::time_zone &zone, LocalTime local) {
  const date::local_info info = zone.get_info(local);
  const Instant as_first{local.time_since_epoch() - info.first.offset};
  switch (info.result) {
  case date::local_info::nonexistent:
    return {LocalPlacement::Kind::gap, info.second.begin, info.second.begin};
  case date::local_info::ambiguous:
    return {LocalPlacement::Kind::overlap, as_first,
            Instant{local.time_since_epoch() - info.second.offset}};
  default:
    return {LocalPlacement::Kind::unique, as_first, as_first};
  }
}

std::string format_in_zone(Instant instant, const date::time_zone &zone) {
  const date::sys_info info = zone.get_info(instant);
  std::string text = format_local(LocalTime{instant.time_since_epoch() + info.offset});
  const auto offset_min = std::chrono::duration_cast<std::chrono::minutes>(info.offset).count();
  const long magnitude = offset_min < 0 ? -offset_min : offset_min;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", offset_min < 0 ? '-' : '+', magnitude / 60,
                magnitude % 60);
  return text + buf;
}

std::string format_utc(Instant instant) {
  return format_local(LocalTime{instant.time_since_epoch()}) + "Z";
}

std::string format_local(LocalTime local) {
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::seconds> hms{local - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

} // namespace autohost::scheduler
