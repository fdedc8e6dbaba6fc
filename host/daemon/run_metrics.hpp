// What one run adds to the daemon's metrics: its end by status, the error answer that
// failed it, the counts in a job's report and how late it started.
#pragma once

#include "daemon/metrics.hpp"
#include "daemon/run_outcome.hpp"
#include "scheduler/schedule.hpp"

#include <cstdint>
#include <string_view>

namespace autohost::daemon {

// Counts a run that ended (or was put back) with `status` as logged ("succeeded", "retry",
// "unrecorded", ...). Nothing when `metrics` is null.
void count_run_end(Metrics *metrics, const scheduler::Run &run, const RunOutcome &outcome,
                   std::string_view status);

// A first attempt's lateness: from its due time to `started_ms` (the host clock, Unix ms).
void observe_start(Metrics *metrics, const scheduler::Run &run, std::int64_t started_ms);

} // namespace autohost::daemon
