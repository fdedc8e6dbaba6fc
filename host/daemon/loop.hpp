// The daemon's loop (internal to host/daemon): its state and its steps. loop.cpp holds a
// turn's store work, loop_sleep.cpp the sleep between turns, daemon.cpp the whole run.
#pragma once

#include "daemon/daemon.hpp"
#include "daemon/run_worker.hpp"
#include "daemon/service_notify.hpp"
#include "daemon/wake_source.hpp"
#include "daemon/wall_timer.hpp"

#include <boost/json.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace autohost::daemon {

// Finished workers write to it, so the sleeping loop wakes to reap them.
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
  Loop(scheduler::ScheduleStore &store, PluginPool &plugins, host::Logger &logger,
       host::Clock clock, StopSignal &stop, const DaemonOptions &options);

  DaemonEnd run();

private:
  using milliseconds = std::chrono::milliseconds;

  scheduler::Instant now() const { return instant_of(clock_); }
  void log(ah_log_level level, std::string_view message, boost::json::object fields = {}) {
    daemon_log(logger_, level, message, fields);
  }
  DaemonEnd run_once();
  bool store_ok(const Error &error, std::string_view doing);
  // Counts a failed store call towards this turn's and this outage's failures.
  void count_store_failure(const Error &error);
  // After each turn of the loop: notes the start and the end of a run of failing turns.
  void end_turn();
  void register_job_defaults();
  bool make_due_runs();
  void housekeep();
  bool claim_runs();
  // Gives back runs that workers claimed but that were never started (stopping).
  void release_handed_off();
  void start(scheduler::Claim claim);
  void reap();
  void renew_leases();
  // RELOADING=1, the reload callback, READY=1 (the old config stays when the new is bad).
  void reload();
  milliseconds sleep_time(bool claimed_nothing);
  std::int64_t generation();
  // Before a long idle sleep: gives back the memory a turn needed (page cache, free heap).
  void release_memory();
  // Sleeps up to `timeout`; returns early on a stop, a finished run, or a change to the
  // store that moved its generation past `seen`.
  void wait(milliseconds timeout, std::int64_t seen);
  DaemonEnd shut_down();

  scheduler::ScheduleStore &store_;
  PluginPool &plugins_;
  host::Logger &logger_;
  host::Clock clock_;
  StopSignal &stop_;
  DaemonOptions options_;
  std::unique_ptr<WakeSource> wake_;
  WallTimer sleep_end_; // a sleep's end on the wall clock (suspend and clock steps included)
  EventFd done_;
  Handoff handoff_;
  std::string worker_;
  milliseconds renew_every_;
  std::list<std::unique_ptr<ActiveRun>> active_;
  bool store_failed_ = false;
  bool failed_this_turn_ = false;
  // A call of this turn found the store unavailable (unreachable, timed out): the turn's
  // other store calls would wait out the same timeouts, so they wait for the next turn.
  bool unavailable_this_turn_ = false;
  bool outage_ = false;           // every turn since the last logged error failed too
  std::int64_t failed_calls_ = 0; // store calls that failed in this outage
  ServiceNotifier notify_ = ServiceNotifier::from_environment();
  std::optional<scheduler::Instant> next_wake_; // as of the last sleep_time(), for STATUS=
  std::chrono::steady_clock::time_point next_housekeeping_{};
};

} // namespace autohost::daemon
