// Parsing, storing and evaluating schedule specs.
#include "scheduler/schedule_spec.hpp"

#include "errors.hpp"
#include "scheduler/duration_text.hpp"

namespace autohost::scheduler {

Result<ScheduleSpec> ScheduleSpec::at(std::string_view when, std::string_view zone,
                                      std::string_view what) {
  AH_TRY_DECLARE(tz, find_zone(zone, "time zone"));
  AH_TRY_DECLARE(written, parse_written_time(when, what));
  return ScheduleSpec(At{written}, tz);
}

Result<ScheduleSpec> ScheduleSpec::every(std::string_view interval,
                                         std::optional<std::string_view> start,
                                         std::string_view zone, Instant now,
                                         std::string_view what) {
  AH_TRY_DECLARE(tz, find_zone(zone, "time zone"));
  AH_TRY_DECLARE(step, parse_duration(interval, what));
  Instant anchor = now + step;
  if (start) {
    AH_TRY_DECLARE(written, parse_written_time(*start, std::string(what) + " start"));
    anchor = resolve_written_time(written, *tz);
  }
  return ScheduleSpec(Every{step, anchor}, tz);
}

Result<ScheduleSpec> ScheduleSpec::cron(std::string_view expression, std::string_view zone,
                                        std::string_view what) {
  AH_TRY_DECLARE(tz, find_zone(zone, "time zone"));
  auto expr = CronExpression::parse(expression);
  if (!expr) {
    return host::make_error(AH_INVALID_INPUT, "invalid_cron",
                            std::string(what) + ": " + host::error_message(expr.error()));
  }
  return ScheduleSpec(std::move(expr).value(), tz);
}

Result<ScheduleSpec> ScheduleSpec::parse(std::string_view text, std::string_view zone, Instant now,
                                         std::string_view what) {
  if (text.substr(0, 3) == "at ")
    return at(text.substr(3), zone, what);
  if (text.substr(0, 5) == "cron ")
    return cron(text.substr(5), zone, what);
  if (text.substr(0, 6) == "every ") {
    const std::string_view rest = text.substr(6);
    const size_t from = rest.find(" from ");
    if (from == std::string_view::npos)
      return every(rest, std::nullopt, zone, now, what);
    return every(rest.substr(0, from), rest.substr(from + 6), zone, now, what);
  }
  return cron(text, zone, what);
}

Result<ScheduleSpec> ScheduleSpec::from_stored(std::string_view text, std::string_view zone) {
  const std::string what = "stored spec '" + std::string(text) + "'";
  if (text.substr(0, 3) == "at ")
    return at(text.substr(3), zone, what);
  if (text.substr(0, 5) == "cron ")
    return cron(text.substr(5), zone, what);
  if (text.substr(0, 6) == "every ") {
    const std::string_view rest = text.substr(6);
    const size_t from = rest.find(" from ");
    if (from == std::string_view::npos) {
      return host::make_error(AH_INTERNAL, "invalid_spec", what + " has no start time");
    }
    // The anchor is stored as an instant, so `now` is never used here.
    return every(rest.substr(0, from), rest.substr(from + 6), zone, Instant{}, what);
  }
  return host::make_error(AH_INTERNAL, "invalid_spec",
                          what + " is not 'at ...', 'every ...' or 'cron ...'");
}

SpecKind ScheduleSpec::kind() const noexcept {
  if (std::holds_alternative<At>(v_))
    return SpecKind::at;
  if (std::holds_alternative<Every>(v_))
    return SpecKind::every;
  return SpecKind::cron;
}

std::string ScheduleSpec::text() const {
  if (const auto *a = std::get_if<At>(&v_))
    return "at " + a->when.text();
  if (const auto *e = std::get_if<Every>(&v_)) {
    return "every " + format_duration(e->interval) + " from " + format_utc(e->anchor);
  }
  return "cron " + std::get<CronExpression>(v_).text();
}

std::optional<Instant> ScheduleSpec::first_fire(Instant now) const {
  if (const auto *a = std::get_if<At>(&v_))
    return resolve_written_time(a->when, *zone_);
  return next_after(now - std::chrono::seconds{1});
}

std::optional<Instant> ScheduleSpec::next_after(Instant t) const {
  if (const auto *a = std::get_if<At>(&v_)) {
    const Instant when = resolve_written_time(a->when, *zone_);
    return when > t ? std::optional<Instant>(when) : std::nullopt;
  }
  if (const auto *e = std::get_if<Every>(&v_)) {
    if (t < e->anchor)
      return e->anchor;
    const auto steps = (t - e->anchor) / e->interval + 1;
    return e->anchor + steps * e->interval;
  }
  return std::get<CronExpression>(v_).next_after(t, *zone_);
}

} // namespace autohost::scheduler
