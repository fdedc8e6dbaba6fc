// The daemon's whole run: start, the loop's turns (or one pass with --once), shutting down.
#include "daemon/daemon.hpp"

#include "daemon/loop.hpp"
#include "daemon/metrics.hpp"

#include <boost/json.hpp>
#include <sodium.h>

#include <malloc.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>

namespace autohost::daemon {
namespace json = boost::json;
using namespace autohost::scheduler;
using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

std::string make_worker_id() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == 0)
    std::snprintf(host, 8, "%s", "host");
  char random[9];
  std::snprintf(random, sizeof random, "%08x", randombytes_random());
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + random;
}

DaemonEnd Loop::shut_down() {
  log(AH_LOG_INFO, "stopping",
      {{"signal", stop_.signal_number()},
       {"running", active_.size()},
       {"grace_s", options_.grace.count()}});
  for (auto &a : active_) {
    a->stopping.store(true);
    a->cancel.store(true);
  }
  const SteadyTime deadline = std::chrono::steady_clock::now() + options_.grace;
  while (true) {
    reap();
    if (active_.empty())
      break;
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      json::array runs;
      for (const auto &a : active_)
        runs.push_back(json::value(a->claim.run.id));
      log(AH_LOG_WARN, "stopped with runs still running; they are resumed when their lease ends",
          {{"runs", runs}});
      release_handed_off();
      return DaemonEnd::workers_stuck;
    }
    unavailable_this_turn_ = false; // each pass tries the store again: leases must not lapse
    renew_leases();
    notify_.keep_alive();
    pollfd fd{done_.fd(), POLLIN, 0};
    poll(&fd, 1, static_cast<int>(std::min(left, renew_every_).count()));
  }
  release_handed_off();
  log(AH_LOG_INFO, "stopped");
  return DaemonEnd::finished;
}

void Loop::release_memory() {
  // Idle, the daemon holds only what the next turn needs: the store's page cache (about
  // 2 MB after a turn over 10,000 schedules) is read again from the OS's cache in
  // microseconds, and freed heap pages go back to the kernel instead of counting as RSS.
  store_.release_memory();
  malloc_trim(0);
}

DaemonEnd Loop::run_once() {
  // Due now means due when --once started: occurrences that come due while it works
  // wait for the next invocation, so a fast schedule cannot keep it running.
  if (!make_due_runs())
    return DaemonEnd::store_failed;
  housekeep();
  while (!stop_.requested()) {
    reap();
    renew_leases();
    const std::int64_t seen = generation();
    const bool claimed = claim_runs();
    if (store_failed_)
      break;
    if (active_.empty() && !claimed)
      break;
    wait(renew_every_, seen);
  }
  if (stop_.requested())
    return shut_down();
  reap();
  for (auto &a : active_)
    a->thread.join(); // none left unless the store failed
  active_.clear();
  release_handed_off(); // only when the store failed: workers claimed as they finished
  return store_failed_ ? DaemonEnd::store_failed : DaemonEnd::finished;
}

DaemonEnd Loop::run() {
  if (done_.fd() < 0) {
    log(AH_LOG_ERROR, "cannot create an eventfd");
    return DaemonEnd::store_failed;
  }
  log(AH_LOG_INFO, options_.once ? "running due work once" : "started",
      {{"worker", worker_},
       {"workers", options_.workers},
       {"lease_s", options_.lease.count()},
       {"store", store_.location()}});
  if (const auto problem = wake_->problem(); !problem.empty()) {
    log(AH_LOG_WARN, "store changes are noticed by polling",
        {{"problem", problem}, {"every_s", options_.fallback_check.count()}});
  }
  register_job_defaults();
  if (options_.once && store_failed_)
    return DaemonEnd::store_failed;
  if (options_.metrics != nullptr)
    options_.metrics->set_ready();

  if (options_.once)
    return run_once();

  notify_.ready();
  while (!stop_.requested()) {
    notify_.keep_alive();
    if (stop_.take_reload())
      reload();
    reap();
    renew_leases();
    // Read before looking at the store, so a change made meanwhile by another process
    // ends the coming sleep at once.
    const std::int64_t seen = generation();
    make_due_runs();
    housekeep();
    const bool claimed = claim_runs();
    const milliseconds sleep = sleep_time(!claimed);
    notify_.status(service_status(active_.size(), next_wake_));
    end_turn();
    if (options_.metrics != nullptr)
      options_.metrics->loop_sleeps_until(clock_() + sleep.count());
    if (active_.empty() && sleep >= options_.idle_after)
      release_memory();
    wait(sleep, seen);
  }
  notify_.stopping();
  return shut_down();
}

DaemonEnd run_daemon(ScheduleStore &store, PluginPool &plugins, host::Logger &logger,
                     host::Clock clock, StopSignal &stop, const DaemonOptions &options) {
  Loop loop(store, plugins, logger, std::move(clock), stop, options);
  return loop.run();
}

} // namespace autohost::daemon
