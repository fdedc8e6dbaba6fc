// IANA time zones from the system tz database, and where local wall-clock times fall on the
// real time line (the daylight-saving gap and overlap made explicit).
#pragma once

#include <autohost/result.hpp>

#include <date/tz.h>

#include <chrono>
#include <string>
#include <string_view>

namespace autohost::scheduler {

// Every scheduled instant has whole seconds: cron and calendars never need finer.
using Instant = std::chrono::sys_seconds;
using LocalTime = date::local_seconds;

// The zone named `name` ("Europe/Berlin", "UTC"). The error names the zone and says what an
// IANA name looks like; `what` says where the name came from ("--tz", "posts[2].tz").
Result<const date::time_zone *> find_zone(std::string_view name, std::string_view what);

// The zone used when none is given: TZ when it names a zone, else the system's
// (/etc/localtime), else UTC. Schedules store the name resolved here, so a daemon started
// with another environment never reinterprets them.
std::string default_zone_name();

// Where one local time falls. A gap is a local time the clocks skip (spring forward); an
// overlap is one they show twice (fall back).
struct LocalPlacement {
  enum class Kind { unique, gap, overlap };
  Kind kind = Kind::unique;
  // unique: the instant. gap: the instant the gap ends (the first real instant after it).
  // overlap: the first (earlier) occurrence.
  Instant first;
  // overlap: the second (later) occurrence; otherwise equal to `first`.
  Instant second;
};

LocalPlacement place_local(const date::time_zone &zone, LocalTime local);

// "2025-03-30T03:00:00+02:00": the instant as the zone's wall clock with its UTC offset.
std::string format_in_zone(Instant instant, const date::time_zone &zone);
// "2025-03-30T01:00:00Z".
std::string format_utc(Instant instant);
// "2025-03-30T03:00:00" (no offset): a local time as written in specs.
std::string format_local(LocalTime local);

} // namespace autohost::scheduler
