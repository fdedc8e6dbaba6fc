// The runs to come, for `autohost status`: pending and running runs, and the fire times of
// schedules within the horizon that are not runs yet.
#include "cli/status_report.hpp"

#include <algorithm>
#include <map>

namespace autohost::cli {
using namespace autohost::scheduler;

namespace {

UpcomingItem from_run(const Run &r, const Schedule *s) {
  UpcomingItem item;
  item.run_id = r.id;
  item.schedule_id = r.schedule_id;
  item.plugin = r.plugin;
  item.kind = r.kind;
  item.target = r.target;
  item.account = r.account;
  item.input_json = r.input_json;
  item.at = r.status == RunStatus::pending ? std::max(r.due, r.not_before) : r.due;
  item.state = std::string(name_of(r.status));
  item.paused = s != nullptr && s->paused;
  if (s != nullptr)
    item.zone = s->time_zone;
  return item;
}

} // namespace

Result<std::vector<UpcomingItem>> upcoming_items(ScheduleStore &store, const StatusOptions &options,
                                                 bool &truncated) {
  const Instant until = options.now + options.horizon;
  AH_TRY_DECLARE(schedules, store.list());
  std::map<std::string, const Schedule *> by_id;
  for (const auto &s : schedules)
    by_id[s.id] = &s;

  std::vector<UpcomingItem> items;
  for (RunStatus status : {RunStatus::running, RunStatus::pending}) {
    RunFilter filter;
    filter.status = status;
    filter.limit = 100000;
    AH_TRY_DECLARE(runs, store.runs(filter));
    for (const auto &r : runs) {
      auto s = by_id.find(r.schedule_id);
      UpcomingItem item = from_run(r, s == by_id.end() ? nullptr : s->second);
      // A pending run waiting past the horizon (a retry far off) is not "upcoming".
      if (item.at <= until)
        items.push_back(std::move(item));
    }
  }

  for (const auto &s : schedules) {
    // Paused schedules make no runs; a schedule with a problem has stopped firing.
    if (s.paused || !s.problem.empty() || !s.next_fire || *s.next_fire > until)
      continue;
    auto spec = ScheduleSpec::from_stored(s.spec, s.time_zone);
    if (!spec)
      continue; // from_stored fails only for a vanished zone: s.problem says so
    int listed = 0;
    for (std::optional<Instant> t = s.next_fire; t && *t <= until;
         t = spec.value().next_after(*t)) {
      if (listed == options.fires_per_schedule) {
        truncated = true;
        break;
      }
      UpcomingItem item;
      item.schedule_id = s.id;
      item.plugin = s.plugin;
      item.kind = s.kind;
      item.target = s.target;
      item.account = s.account;
      item.input_json = s.input_json;
      item.at = *t;
      item.state = "scheduled";
      item.zone = s.time_zone;
      items.push_back(std::move(item));
      ++listed;
    }
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const UpcomingItem &a, const UpcomingItem &b) { return a.at < b.at; });
  return items;
}

} // namespace autohost::cli
