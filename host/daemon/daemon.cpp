// The daemon's main loop: make due runs, claim into free workers, renew leases, sleep.
#include "daemon/daemon.hpp"

#include "daemon/job_defaults.hpp"
#include "daemon/metrics.hpp"
#include "daemon/run_worker.hpp"
#include "daemon/service_notify.hpp"
#include "daemon/wake_source.hpp"
#include "errors.hpp"
#include "scheduler/zone.hpp"

#include <boost/json.hpp>
#include <sodium.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <list>
#include <memory>

namespace autohost::daemon {
namespace json = boost::json;
using namespace autohost::scheduler;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyTime = std::chrono::steady_clock::time_point;

std::string make_worker_id() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == 0)
    std::snprintf(host, 8, "%s", "host");
  char random[9];
  std::snprintf(random, sizeof random, "%08x", randombytes_random());
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + random;
}

namespace {

class EventFd {
public:
  EventFd() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~EventFd() {
    if (fd_ >= 0)
      close(fd_);
  }
  EventFd(const EventFd &) = delete;
  EventFd &operator=(const EventFd &) = delete;
  int fd() const noexcept { return fd_; }
  void drain() const {
    std::uint64_t value;
    [[maybe_unused]] const auto n = read(fd_, &value, sizeof value);
  }

private:
  int fd_;
};

class Loop {
public:
  Loop(ScheduleStore &store, PluginPool &plugins, host::Logger &logger, host::Clock clock,
       StopSignal &stop, const DaemonOptions &options)
      : store_(store), plugins_(plugins), logger_(logger), clock_(std::move(clock)), stop_(stop),
        options_(options), wake_(make_wake_source(store.connect_location(), logger)),
        worker_(make_worker_id()),
        renew_every_(std::max(milliseconds(200), milliseconds(options.lease) / 3)) {}

  DaemonEnd run();

private:
  Instant now() const { return instant_of(clock_); }
  void log(ah_log_level level, std::string_view message, json::object fields = {}) {
    daemon_log(logger_, level, message, fields);
  }
  bool store_ok(const Error &error, std::string_view doing);
  // Counts a failed store call towards this turn's and this outage's failures.
  void count_store_failure();
  // After each turn of the loop: notes the start and the end of a run of failing turns.
  void end_turn();
  void register_job_defaults();
  bool make_due_runs();
  void housekeep();
  bool claim_runs();
  // Gives back runs that workers claimed but that were never started (stopping).
  void release_handed_off();
  void start(Claim claim);
  void reap();
  void renew_leases();
  // RELOADING=1, the reload callback, READY=1 (the old config stays when the new is bad).
  void reload();
  milliseconds sleep_time(bool claimed_nothing);
  std::int64_t generation();
  // Sleeps up to `timeout`; returns early on a stop, a finished run, or a change to the
  // store that moved its generation past `seen`.
  void wait(milliseconds timeout, std::int64_t seen);
  DaemonEnd shut_down();

  ScheduleStore &store_;
  PluginPool &plugins_;
  host::Logger &logger_;
  host::Clock clock_;
  StopSignal &stop_;
  DaemonOptions options_;
  std::unique_ptr<WakeSource> wake_;
  EventFd done_;
  Handoff handoff_;
  std::string worker_;
  milliseconds renew_every_;
  std::list<std::unique_ptr<ActiveRun>> active_;
  bool store_failed_ = false;
  bool failed_this_turn_ = false;
  bool outage_ = false;           // every turn since the last logged error failed too
  std::int64_t failed_calls_ = 0; // store calls that failed in this outage
  ServiceNotifier notify_ = ServiceNotifier::from_environment();
  std::optional<Instant> next_wake_; // as of the last sleep_time(), for STATUS=
  std::chrono::steady_clock::time_point next_housekeeping_{};
};

void Loop::housekeep() {
  const auto now = std::chrono::steady_clock::now();
  if (!options_.housekeeping || now < next_housekeeping_)
    return;
  next_housekeeping_ = now + options_.housekeeping_every;
  options_.housekeeping();
}

bool Loop::store_ok(const Error &error, std::string_view doing) {
  // During an outage (a database that cannot be reached) every turn fails the same way:
  // the first turn's errors say why, the rest are counted and summed up when it ends.
  if (!outage_) {
    log(AH_LOG_ERROR, "store error",
        {{"doing", doing}, {"error", host::error_message(error)}, {"store", store_.location()}});
  }
  count_store_failure();
  return false;
}

void Loop::count_store_failure() {
  store_failed_ = true;
  failed_this_turn_ = true;
  ++failed_calls_;
}

void Loop::end_turn() {
  if (failed_this_turn_ && !outage_) {
    outage_ = true;
    log(AH_LOG_WARN, "store failing; claiming nothing and logging no more store errors until it "
                     "works again");
  } else if (!failed_this_turn_ && outage_) {
    outage_ = false;
    log(AH_LOG_INFO, "store works again", {{"failed_calls", failed_calls_}});
    failed_calls_ = 0;
  }
  if (!outage_)
    failed_calls_ = 0;
  if (options_.metrics != nullptr) {
    options_.metrics->set_store_reachable(!failed_this_turn_);
    options_.metrics->set_in_flight(static_cast<int>(active_.size()));
    options_.metrics->loop_turned(clock_());
  }
  failed_this_turn_ = false;
}

void Loop::register_job_defaults() {
  for (const auto &library : plugins_.libraries()) {
    JobDefaults defaults = job_defaults(*library, now(), options_.job_jitter);
    for (const auto &problem : defaults.problems) {
      log(AH_LOG_WARN, "job default schedule not used", {{"problem", problem}});
    }
    for (const auto &draft : defaults.drafts) {
      auto chosen = store_.ensure_job_schedule(draft, now());
      if (!chosen) {
        store_ok(chosen.error(), "registering job " + draft.plugin + "." + draft.target);
        continue;
      }
      log(AH_LOG_DEBUG, "job schedule",
          {{"job", draft.plugin + "." + draft.target},
           {"schedule", chosen.value().id},
           {"spec", chosen.value().spec}});
    }
  }
}

bool Loop::make_due_runs() {
  auto due =
      timed_store_call(options_.metrics, "make_due", [&] { return store_.materialise_due(now()); });
  if (!due)
    return store_ok(due.error(), "making due runs");
  for (const auto &id : due.value().missed)
    log(AH_LOG_WARN, "run missed", {{"run", id}});
  for (const auto &p : due.value().problems)
    log(AH_LOG_WARN, "schedule stopped", {{"problem", p}});
  return true;
}

void Loop::start(Claim claim) {
  auto active = std::make_unique<ActiveRun>(std::move(claim));
  ActiveRun &ref = *active;
  active_.push_back(std::move(active));
  const WorkerContext context{store_,     plugins_, logger_,        clock_,
                              done_.fd(), handoff_, options_.tally, options_.metrics};
  ref.thread = std::thread([context, &ref] { execute_run(context, ref); });
}

bool Loop::claim_runs() {
  if (stop_.requested())
    return false;
  bool claimed = false;
  {
    // Runs claimed by workers as they finished come first; one whose worker is not reaped
    // yet waits for that (its done_ wakes the loop), so never more than `workers` run.
    std::lock_guard lock(handoff_.mutex);
    auto &handed = handoff_.claims;
    while (!handed.empty() && static_cast<int>(active_.size()) < options_.workers) {
      start(std::move(handed.front()));
      handed.erase(handed.begin());
      claimed = true;
    }
    if (!handed.empty())
      return claimed;
  }
  const int free = options_.workers - static_cast<int>(active_.size());
  if (free <= 0)
    return claimed;
  // One transaction (one commit) claims a run for every free worker.
  auto batch = timed_store_call(options_.metrics, "claim",
                                [&] { return store_.claim_batch(worker_, now(), free); });
  if (!batch) {
    store_ok(batch.error(), "claiming a run");
    return claimed;
  }
  for (Claim &claim : batch.value())
    start(std::move(claim));
  return claimed || !batch.value().empty();
}

void Loop::release_handed_off() {
  std::vector<Claim> left;
  {
    std::lock_guard lock(handoff_.mutex);
    left.swap(handoff_.claims);
    handoff_.closed = true;
  }
  for (const Claim &claim : left) {
    // Not started: it goes back as pending, its attempt uncounted (else its lease ends).
    auto back = store_.release(claim, now());
    if (!back) {
      log(AH_LOG_WARN, "claimed run not released; it is resumed when its lease ends",
          {{"run", claim.run.id}, {"error", host::error_message(back.error())}});
    }
  }
}

void Loop::reap() {
  done_.drain();
  for (auto it = active_.begin(); it != active_.end();) {
    if ((*it)->finished.load()) {
      (*it)->thread.join();
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
}

void Loop::renew_leases() {
  const SteadyTime t = std::chrono::steady_clock::now();
  for (auto &a : active_) {
    // Once the call returned, the outcome's write ends the claim: renewing then would
    // only race with it.
    if (a->recording.load() || a->lost.load() || t - a->last_renewal < renew_every_)
      continue;
    auto renewed = timed_store_call(options_.metrics, "renew_lease",
                                    [&] { return store_.renew_lease(a->claim, now()); });
    if (renewed) {
      a->last_renewal = t;
      continue;
    }
    if (renewed.error().status == AH_CONFLICT) {
      // Another daemon holds it now (this one was too slow to renew): stop the call.
      a->lost.store(true);
      a->cancel.store(true);
      log(AH_LOG_WARN, "lease lost",
          {{"run", a->claim.run.id}, {"error", host::error_message(renewed.error())}});
    } else {
      // A store failure like any other: said once per outage, its end said by end_turn.
      if (!outage_)
        log(AH_LOG_WARN, "lease not renewed",
            {{"run", a->claim.run.id}, {"error", host::error_message(renewed.error())}});
      count_store_failure();
    }
  }
}

void Loop::reload() {
  notify_.reloading();
  if (options_.reload)
    options_.reload();
  notify_.ready();
}

milliseconds Loop::sleep_time(bool claimed_nothing) {
  milliseconds timeout = options_.max_sleep;
  if (static_cast<int>(active_.size()) < options_.workers) {
    auto wake = store_.next_wake();
    if (!wake) {
      store_ok(wake.error(), "finding the next wake-up time");
      timeout = seconds(5);
    } else if (next_wake_ = wake.value(); wake.value()) {
      // Milliseconds until the wake-up second starts (the store counts seconds), by the
      // store's clock where it decides on its own (a host clock minutes off must neither
      // make the daemon look again every second nor oversleep).
      const std::int64_t host_now = clock_();
      const auto offset = wake_->store_clock_offset(host_now).value_or(milliseconds(0));
      const auto until = milliseconds(
          std::chrono::duration_cast<milliseconds>(wake.value()->time_since_epoch()).count() -
          (host_now + offset.count()));
      // Work due now that could not be claimed (e.g. a schedule whose previous run still
      // runs): its change of state wakes the loop; look again in a second at the latest.
      timeout = until.count() > 0 ? std::min(timeout, until)
                                  : (claimed_nothing ? milliseconds(1000) : milliseconds(0));
    }
  }
  if (!active_.empty())
    timeout = std::min(timeout, renew_every_);
  if (wake_->fd() < 0)
    timeout = std::min<milliseconds>(timeout, options_.fallback_check);
  return std::max(timeout, milliseconds(0));
}

std::int64_t Loop::generation() {
  auto g = store_.generation();
  return g ? g.value() : -1;
}

void Loop::wait(milliseconds timeout, std::int64_t seen) {
  const SteadyTime until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0 || stop_.requested())
      return;
    // The source may need a turn before the sleep ends (a reconnect that is due).
    const auto due = wake_->due_in();
    milliseconds slice = due ? std::min(left, *due) : left;
    if (const auto ping = notify_.watchdog_every())
      slice = std::min(slice, *ping); // the watchdog hears from the loop even while it sleeps
    // poll() skips a negative descriptor: no reload watched, no wake source.
    pollfd fds[4] = {{stop_.fd(), POLLIN, 0},
                     {done_.fd(), POLLIN, 0},
                     {stop_.reload_fd(), POLLIN, 0},
                     {wake_->fd(), POLLIN, 0}};
    const int n = poll(fds, 4, static_cast<int>(std::min<std::int64_t>(slice.count(), 3'600'000)));
    notify_.keep_alive();
    if (n < 0)
      continue; // EINTR
    if (fds[0].revents != 0 || fds[1].revents != 0 || fds[2].revents != 0)
      return;
    const bool readable = n > 0 && wake_->fd() >= 0 && fds[3].revents != 0;
    if ((readable || (due && n == 0 && *due <= slice)) && wake_->drain()) {
      if (generation() != seen)
        return;
    }
  }
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
    renew_leases();
    notify_.keep_alive();
    pollfd fd{done_.fd(), POLLIN, 0};
    poll(&fd, 1, static_cast<int>(std::min(left, renew_every_).count()));
  }
  release_handed_off();
  log(AH_LOG_INFO, "stopped");
  return DaemonEnd::finished;
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

  if (options_.once) {
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
    wait(sleep, seen);
  }
  notify_.stopping();
  return shut_down();
}

} // namespace

DaemonEnd run_daemon(ScheduleStore &store, PluginPool &plugins, host::Logger &logger,
                     host::Clock clock, StopSignal &stop, const DaemonOptions &options) {
  Loop loop(store, plugins, logger, std::move(clock), stop, options);
  return loop.run();
}

} // namespace autohost::daemon
