// `autohost run`: the scheduler daemon. Makes due runs, claims them into a bounded pool of
// workers that call the plugins (the run id is the idempotency key), renews their leases,
// records each outcome, and sleeps until the next due time or a change to the store.
#pragma once

#include "daemon/plugin_pool.hpp"
#include "daemon/stop_signal.hpp"
#include "log.hpp"
#include "scheduler/schedule_store.hpp"
#include "services.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace autohost::daemon {

struct RunTally; // run_worker.hpp
class Metrics;   // metrics.hpp

struct DaemonOptions {
  bool once = false; // run what is due now, wait for it, and return
  int workers = 4;   // runs in flight at once
  // Must match the store's lease: renewals happen every lease / 3.
  std::chrono::seconds lease{120};
  std::chrono::seconds job_jitter{300}; // plugin job defaults start up to this late
  // After SIGTERM/SIGINT, running calls get this long to reach a checkpoint; then the
  // daemon exits anyway and leaves them to be resumed when their lease runs out.
  std::chrono::seconds grace{10};
  // The longest sleep without looking at the store where a change could go unnoticed (a
  // PostgreSQL store, whose LISTEN connection can drop silently, or no inotify).
  std::chrono::seconds max_sleep{60};
  // The longest sleep where every change wakes the daemon (a SQLite store under inotify): it
  // sleeps until the next due time, a lease renewal or housekeeping, this at most.
  std::chrono::seconds watched_max_sleep{std::chrono::hours(24)};
  // A sleep at least this long with no run in flight is idling: the loop first gives back
  // the memory its turn used (a busy daemon keeps its page cache between close turns).
  std::chrono::milliseconds idle_after{1000};
  // Without inotify the store's generation is checked this often.
  std::chrono::seconds fallback_check{5};
  RunTally *tally = nullptr;  // when set, counts how the runs ended (outlives the daemon)
  Metrics *metrics = nullptr; // when set, updated as the loop turns and runs end (outlives it)
  // Called between turns when a reload was asked for (StopSignal::watch_reload): re-reads
  // the config, applies what it can and logs what it did (a bad config is kept out).
  std::function<void()> reload;
  // When set, called on the loop's thread at start and then every housekeeping_every
  // (the config's retention); it logs what it did itself.
  std::function<void()> housekeeping;
  std::chrono::seconds housekeeping_every{3600};
};

enum class DaemonEnd {
  finished,      // stopped (or --once done) with every worker joined
  workers_stuck, // the grace ran out with calls still running: exit without cleanup
  store_failed,  // --once: the store could not be read or written (logged)
};

// "<host>:<pid>:<random>": unique per daemon process, part of every claim's fence.
std::string make_worker_id();

// Runs the daemon until a stop is requested (or, with `once`, until the due work is done).
// Registers the default schedules of the pool's plugin jobs first. Under a Type=notify unit
// (NOTIFY_SOCKET) the daemon reports READY=1, STATUS=, RELOADING=1 and STOPPING=1, and pings
// the watchdog (WATCHDOG_USEC) from this loop, so a hung loop gets the service restarted.
DaemonEnd run_daemon(scheduler::ScheduleStore &store, PluginPool &plugins, host::Logger &logger,
                     host::Clock clock, StopSignal &stop, const DaemonOptions &options);

} // namespace autohost::daemon
