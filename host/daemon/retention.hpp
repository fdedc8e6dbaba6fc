// Retention: pruning finished runs and finished publish checkpoints older than an age.
#pragma once

#include "scheduler/schedule_store.hpp"
#include "store/secret_store.hpp"

#include <autohost/result.hpp>

#include <chrono>

namespace autohost::daemon {

struct PruneCounts {
  int runs = 0;
  int checkpoints = 0;
};

// Removes runs that finished more than `age` ago (ScheduleStore::prune_runs) and publish
// checkpoints (`PLUGIN/publish/...` records) that are finished - they name the published
// post's media_id - and were last written more than `age` ago. A checkpoint of a post not
// yet published is what keeps it exactly-once, so it is kept whatever its age; removal is a
// compare-and-set, so a checkpoint written meanwhile stays too.
Result<PruneCounts> prune_history(scheduler::ScheduleStore &runs, store::SecretStore &secrets,
                                  std::chrono::seconds age, scheduler::Instant now);

} // namespace autohost::daemon
