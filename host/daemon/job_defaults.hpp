// The default schedules of plugin jobs, read from a plugin's manifest, as drafts for
// ScheduleStore::ensure_job_schedule.
#pragma once

#include "scheduler/schedule.hpp"

#include <autohost/host.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace autohost::daemon {

struct JobDefaults {
  std::vector<scheduler::ScheduleDraft> drafts;
  // Jobs whose default schedule cannot be used: "<plugin>.<job>: <reason>".
  std::vector<std::string> problems;
};

// One draft per job with a "default_schedule" ("0 */6 * * *", "every 6h", "@daily", ...),
// in UTC, with runs delayed by up to `jitter` (a per-run amount every daemon agrees on).
// The content hash covers the schedule text and the jitter, so the stored default changes
// only when either does.
JobDefaults job_defaults(const Library &library, scheduler::Instant now,
                         std::chrono::seconds jitter);

} // namespace autohost::daemon
