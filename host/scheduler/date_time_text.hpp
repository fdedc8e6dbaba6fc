// Parses the date-times users write: RFC 3339 with a UTC offset, or a local date-time
// that a time zone places.
#pragma once

#include "scheduler/zone.hpp"

#include <autohost/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace autohost::scheduler {

// A date-time as written. With `offset` it is one instant; without, it is a wall-clock
// time that means different instants in different zones.
struct WrittenTime {
  LocalTime local;
  std::optional<std::chrono::seconds> offset;

  // The canonical text: "2025-03-30T09:00:00+02:00", "...Z" for a zero offset written as Z
  // or +00:00, or "2025-03-30T09:00:00" without offset.
  std::string text() const;
};

// Accepts YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|+HH:MM|-HH:MM]; a fraction is dropped. The
// error quotes `text`, names `what` ("--at", "posts[2].at") and says which part is wrong.
Result<WrittenTime> parse_written_time(std::string_view text, std::string_view what);

// The instant a written time stands for in `zone`. Offsets win over the zone. A local time
// in a gap becomes the instant the gap ends; one in an overlap its first occurrence (the
// same rule cron uses for times that name their hour).
Instant resolve_written_time(const WrittenTime &time, const date::time_zone &zone);

} // namespace autohost::scheduler
