// When a cron expression next fires in a time zone, with the DST rules of cron.hpp.
#include "scheduler/cron.hpp"

#include <algorithm>

namespace autohost::scheduler {

namespace {

// Long enough for the rarest expression parse accepts. The day of month starting with '*'
// and a weekday must both match ("0 0 */31 1 5": 1 January on a Friday, 11 years apart from
// 2027 to 2038); 29 February can be 8 years apart. Forty-one years bounds every such gap,
// across a century's skipped leap day too, and costs a fraction of a millisecond.
constexpr int max_days_searched = 366 * 41;

} // namespace

bool CronExpression::day_matches(date::local_days day) const {
  const date::year_month_day ymd{day};
  if (!months_[static_cast<unsigned>(ymd.month())])
    return false;
  const bool dom = days_[static_cast<unsigned>(ymd.day())];
  const bool dow = weekdays_[date::weekday{day}.c_encoding()];
  if (days_star_ || weekdays_star_)
    return dom && dow;
  return dom || dow;
}

bool CronExpression::matches(LocalTime local) const {
  const auto day = date::floor<date::days>(local);
  const date::hh_mm_ss<std::chrono::seconds> time{local - day};
  return day_matches(day) && hours_[static_cast<size_t>(time.hours().count())] &&
         minutes_[static_cast<size_t>(time.minutes().count())];
}

// On a day with one UTC offset throughout, wall-clock order is real-time order, so the
// first matching time after `threshold` is the answer.
std::optional<Instant> CronExpression::first_on_simple_day(date::local_days day,
                                                           LocalTime threshold,
                                                           std::chrono::seconds offset) const {
  const LocalTime day_start{day.time_since_epoch()};
  int h0 = 0;
  int m0 = 0; // first candidate minute within h0
  if (threshold >= day_start) {
    const auto tod = (threshold - day_start).count();
    if (tod >= 86400)
      return std::nullopt;
    h0 = static_cast<int>(tod / 3600);
    m0 = static_cast<int>((tod % 3600) / 60) + 1; // strictly after the threshold
  }
  for (int h = h0; h < 24; ++h) {
    if (!hours_[static_cast<size_t>(h)])
      continue;
    for (int m = h == h0 ? m0 : 0; m < 60; ++m) {
      if (!minutes_[static_cast<size_t>(m)])
        continue;
      const LocalTime local = day_start + std::chrono::hours{h} + std::chrono::minutes{m};
      return Instant{local.time_since_epoch() - offset};
    }
  }
  return std::nullopt;
}

// A day with a transition: place every matching time and keep the earliest after `after`.
// Every local time L of the day maps to an instant within [L - max offset, L - min offset]
// (a gap's end included), which bounds the scan on both sides.
std::optional<Instant> CronExpression::best_on_transition_day(date::local_days day, Instant after,
                                                              const date::time_zone &zone) const {
  using std::chrono::hours;
  const LocalTime day_start{day.time_since_epoch()};
  // UTC offsets range from -12 h to +14 h: these instants cover every wall time of the day.
  date::sys_info period = zone.get_info(Instant{(day_start - hours{14}).time_since_epoch()});
  const Instant last{(day_start + hours{36}).time_since_epoch()};
  std::chrono::seconds min_offset = period.offset;
  std::chrono::seconds max_offset = period.offset;
  while (period.end < last) {
    period = zone.get_info(period.end);
    min_offset = std::min(min_offset, period.offset);
    max_offset = std::max(max_offset, period.offset);
  }
  const bool follow_wall_clock = every_hour();
  std::optional<Instant> best;
  auto consider = [&](Instant t) {
    if (t > after && (!best || t < *best))
      best = t;
  };
  for (int h = 0; h < 24; ++h) {
    if (!hours_[static_cast<size_t>(h)])
      continue;
    for (int m = 0; m < 60; ++m) {
      if (!minutes_[static_cast<size_t>(m)])
        continue;
      const LocalTime local = day_start + hours{h} + std::chrono::minutes{m};
      if (local.time_since_epoch() - min_offset <= after.time_since_epoch())
        continue;
      if (best && local.time_since_epoch() - max_offset > best->time_since_epoch())
        return best;
      const LocalPlacement p = place_local(zone, local);
      switch (p.kind) {
      case LocalPlacement::Kind::unique:
        consider(p.first);
        break;
      case LocalPlacement::Kind::gap:
        if (!follow_wall_clock)
          consider(p.first); // runs when the gap ends
        break;
      case LocalPlacement::Kind::overlap:
        consider(p.first);
        if (follow_wall_clock)
          consider(p.second);
        break;
      }
    }
  }
  return best;
}

std::optional<Instant> CronExpression::next_after(Instant after,
                                                  const date::time_zone &zone) const {
  // Start a day early: a clock set back across midnight makes some of yesterday's wall
  // times happen after `after`.
  date::local_days day = date::floor<date::days>(zone.to_local(after)) - date::days{1};
  for (int i = 0; i < max_days_searched; ++i, day += date::days{1}) {
    if (!day_matches(day))
      continue;
    const LocalTime start{day.time_since_epoch()};
    const date::local_info at_start = zone.get_info(start);
    const date::local_info at_end = zone.get_info(start + std::chrono::seconds{86399});
    const bool simple = at_start.result == date::local_info::unique &&
                        at_end.result == date::local_info::unique &&
                        at_start.first.begin == at_end.first.begin;
    if (simple) {
      const LocalTime threshold{after.time_since_epoch() + at_start.first.offset};
      if (auto best = first_on_simple_day(day, threshold, at_start.first.offset))
        return best;
      continue;
    }
    std::optional<Instant> best = best_on_transition_day(day, after, zone);
    if (!best)
      continue;
    // A clock set back across midnight interleaves the next day's first wall times with
    // this day's last ones.
    if (const date::local_days next = day + date::days{1}; day_matches(next)) {
      if (auto more = best_on_transition_day(next, after, zone); more && *more < *best) {
        best = more;
      }
    }
    return best;
  }
  return std::nullopt;
}

} // namespace autohost::scheduler
