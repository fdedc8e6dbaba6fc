// When a schedule fires: once (`at`), at a fixed interval (`every`) or by cron, in a zone.
#pragma once

#include "scheduler/cron.hpp"
#include "scheduler/date_time_text.hpp"
#include "scheduler/zone.hpp"

#include <autohost/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace autohost::scheduler {

enum class SpecKind { at, every, cron };

// A parsed spec bound to its zone. Stored as text() plus the zone name and read back with
// from_stored(), so the zone rules in force when it fires (not when it was added) apply.
class ScheduleSpec {
public:
  // `what` names the input for errors ("--at", "posts[2].cron").
  static Result<ScheduleSpec> at(std::string_view when, std::string_view zone,
                                 std::string_view what);
  // Fires at start, start + interval, ... in real (elapsed) time, so DST never shifts it.
  // Without `start` the first run is one interval after `now`.
  static Result<ScheduleSpec> every(std::string_view interval,
                                    std::optional<std::string_view> start, std::string_view zone,
                                    Instant now, std::string_view what);
  static Result<ScheduleSpec> cron(std::string_view expression, std::string_view zone,
                                   std::string_view what);
  // A spec written as one string, as in a plugin manifest's default_schedule: "at TIME",
  // "every DURATION [from TIME]", "cron EXPR", or a bare cron expression or @ macro.
  static Result<ScheduleSpec> parse(std::string_view text, std::string_view zone, Instant now,
                                    std::string_view what);
  // Reads "at ...", "every 15m from ...", "cron ..." as text() wrote it.
  static Result<ScheduleSpec> from_stored(std::string_view text, std::string_view zone);

  SpecKind kind() const noexcept;
  bool recurring() const noexcept { return kind() != SpecKind::at; }
  // "at 2025-03-30T09:00:00", "every 15m from 2025-03-30T07:00:00Z", "cron 0 9 * * mon-fri".
  std::string text() const;
  const std::string &zone_name() const noexcept { return zone_name_; }
  const date::time_zone &zone() const noexcept { return *zone_; }

  // The first fire time at or after `now`; for `at` its instant even when already past, so a
  // late one-shot can still run (or be recorded as missed).
  std::optional<Instant> first_fire(Instant now) const;
  // The first fire time strictly after `t`.
  std::optional<Instant> next_after(Instant t) const;

private:
  struct At {
    WrittenTime when;
  };
  struct Every {
    std::chrono::seconds interval;
    Instant anchor;
  };
  using Variant = std::variant<At, Every, CronExpression>;
  ScheduleSpec(Variant v, const date::time_zone *zone)
      : v_(std::move(v)), zone_(zone), zone_name_(zone->name()) {}

  Variant v_;
  const date::time_zone *zone_;
  std::string zone_name_;
};

} // namespace autohost::scheduler
