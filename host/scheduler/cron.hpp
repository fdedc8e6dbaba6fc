// Cron expressions (5 fields and the @ macros) and when they next fire in a time zone.
#pragma once

#include "scheduler/zone.hpp"

#include <autohost/result.hpp>

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

namespace autohost::scheduler {

// minute hour day-of-month month day-of-week, as in crontab(5): lists (1,5), ranges (1-5),
// steps (*/15, 1-30/5, 10/20 meaning 10-max/20), month names jan-dec, day names sun-sat
// (0 and 7 are Sunday), and @hourly @daily @midnight @weekly @monthly @yearly @annually.
// When both day fields are restricted (neither starts with '*'), a day matches if either
// does; otherwise both must (Vixie cron's rule).
//
// Daylight saving time (see next_after): an expression that fires every hour (hour field
// covers 0-23) follows the wall clock - it skips local times the clocks jump over and fires
// again when the clocks show an hour twice, so it keeps its real-time rhythm. Any other
// expression fires once per matching wall-clock time: a time in the gap fires at the
// instant the gap ends, a time in the overlap fires at its first occurrence only.
class CronExpression {
public:
  // Errors quote the expression, name the field ("hour field '25'") and say what is wrong.
  static Result<CronExpression> parse(std::string_view text);

  // The first instant strictly after `after`, or nullopt if none within 41 years (cannot
  // happen for an expression parse accepted, kept as a guard).
  std::optional<Instant> next_after(Instant after, const date::time_zone &zone) const;

  // Whether a wall-clock time (seconds ignored) matches the fields, before any DST rule.
  bool matches(LocalTime local) const;

  // The expression with fields separated by single spaces, or the @ macro in lower case.
  const std::string &text() const noexcept { return text_; }
  // True when the hour field covers every hour, which selects the wall-clock DST rule.
  bool every_hour() const noexcept { return hours_.all(); }

private:
  friend class CronParser;
  bool day_matches(date::local_days day) const;
  std::optional<Instant> first_on_simple_day(date::local_days day, LocalTime threshold,
                                             std::chrono::seconds offset) const;
  std::optional<Instant> best_on_transition_day(date::local_days day, Instant after,
                                                const date::time_zone &zone) const;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1-31
  std::bitset<13> months_;  // 1-12
  std::bitset<7> weekdays_; // 0 = Sunday
  bool days_star_ = true;   // the day-of-month field starts with '*'
  bool weekdays_star_ = true;
  std::string text_;
};

} // namespace autohost::scheduler
