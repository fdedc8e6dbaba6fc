// One claimed run on a worker thread: call the plugin with the run id as the idempotency
// key, then record the outcome in the store (complete, retry later or release).
#pragma once

#include "daemon/metrics.hpp"
#include "daemon/plugin_pool.hpp"
#include "log.hpp"
#include "scheduler/schedule_store.hpp"
#include "services.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace autohost::daemon {

struct ActiveRun {
  explicit ActiveRun(scheduler::Claim c) : claim(std::move(c)) {}

  scheduler::Claim claim;
  std::atomic<bool> cancel{false};    // what the plugin's is_cancelled answers
  std::atomic<bool> stopping{false};  // cancelled because the daemon stops: release the run
  std::atomic<bool> lost{false};      // the lease was taken over: record nothing
  std::atomic<bool> recording{false}; // the call returned; its outcome is being written
  std::atomic<bool> finished{false};
  std::chrono::steady_clock::time_point last_renewal = std::chrono::steady_clock::now();
  std::thread thread;
};

// Runs a worker claimed for the daemon when it recorded its outcome (one commit for both);
// the main loop starts them on free workers.
// Claims wait here only until the main loop's next turn (a finished worker wakes it), so
// they need no lease renewal meanwhile.
struct Handoff {
  std::mutex mutex;
  std::vector<scheduler::Claim> claims;
  // Set once the main loop stops taking claims: a worker that claimed after that releases
  // its claim itself instead of leaving it to run out its lease.
  bool closed = false;
};

// How the runs a daemon executed ended, counted as their outcomes are recorded; what
// `run --once --fail-on-attention` decides its exit code on.
struct RunTally {
  std::atomic<int> succeeded{0};
  std::atomic<int> failed{0};          // failed, or finished without its outcome recorded
  std::atomic<int> needs_attention{0}; // a person must act (see run_outcome.hpp)
};

struct WorkerContext {
  scheduler::ScheduleStore &store;
  PluginPool &plugins;
  host::Logger &logger;
  host::Clock clock;
  int done_fd; // an eventfd written when a run is finished, so the main loop wakes
  Handoff &handoff;
  RunTally *tally;  // counted into when not null
  Metrics *metrics; // counted into when not null
};

// The clock's time in whole seconds, as the store counts.
scheduler::Instant instant_of(const host::Clock &clock);

// Logs one JSON line from the daemon (source "daemon") with `fields`.
void daemon_log(host::Logger &logger, ah_log_level level, std::string_view message,
                const boost::json::object &fields);

// Runs the claim to its end; sets `finished` and writes `done_fd` last. Never throws.
void execute_run(const WorkerContext &context, ActiveRun &active) noexcept;

} // namespace autohost::daemon
