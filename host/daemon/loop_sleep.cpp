// The daemon loop's sleep between turns: how long, and what ends it early (a stop, a
// finished run, a reload, a change to the store), with the watchdog fed meanwhile.
#include "daemon/loop.hpp"

#include "errors.hpp"

#include <poll.h>

#include <algorithm>

namespace autohost::daemon {
using namespace autohost::scheduler;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyTime = std::chrono::steady_clock::time_point;

void Loop::reload() {
  notify_.reloading();
  if (options_.reload)
    options_.reload();
  notify_.ready();
}

milliseconds Loop::sleep_time(bool claimed_nothing) {
  milliseconds timeout =
      wake_->sees_every_change() ? options_.watched_max_sleep : options_.max_sleep;
  if (unavailable_this_turn_) {
    // Look again soon; housekeeping that fell due waits for the store too.
    timeout = std::min<milliseconds>(timeout, seconds(5));
  } else if (options_.housekeeping) {
    timeout = std::min(timeout, std::chrono::duration_cast<milliseconds>(
                                    next_housekeeping_ - std::chrono::steady_clock::now()));
  }
  if (!unavailable_this_turn_ && static_cast<int>(active_.size()) < options_.workers) {
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
  if (unavailable_this_turn_)
    return -1;
  auto g = store_.generation();
  if (!g) {
    store_ok(g.error(), "reading the schedules' generation");
    return -1;
  }
  return g.value();
}

void Loop::wait(milliseconds timeout, std::int64_t seen) {
  const SteadyTime until = std::chrono::steady_clock::now() + timeout;
  if (timeout.count() > 0)
    sleep_end_.arm(timeout);
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
    // The wall-clock timer ends a sleep nothing else bounds; poll()'s own timeout (monotonic,
    // and stopped during a suspend) only where the timer is missing or a turn is due sooner.
    const bool bounded = due || notify_.watchdog_every() || sleep_end_.fd() < 0;
    const int poll_ms =
        bounded ? static_cast<int>(std::min<std::int64_t>(slice.count(), 3'600'000)) : -1;
    // poll() skips a negative descriptor: no reload watched, no wake source.
    pollfd fds[5] = {{stop_.fd(), POLLIN, 0},
                     {done_.fd(), POLLIN, 0},
                     {stop_.reload_fd(), POLLIN, 0},
                     {wake_->fd(), POLLIN, 0},
                     {sleep_end_.fd(), POLLIN, 0}};
    const int n = poll(fds, 5, poll_ms);
    notify_.keep_alive();
    if (n < 0)
      continue; // EINTR
    if (fds[0].revents != 0 || fds[1].revents != 0 || fds[2].revents != 0)
      return;
    if (fds[4].revents != 0) {
      sleep_end_.drain(); // the sleep's end, or a clock change: look again now
      return;
    }
    const bool readable = n > 0 && wake_->fd() >= 0 && fds[3].revents != 0;
    if ((readable || (due && n == 0 && *due <= slice)) && wake_->drain()) {
      // A failed read ends the sleep too: the turn then finds out and says why.
      const auto now_seen = store_.generation();
      if (!now_seen || now_seen.value() != seen)
        return;
    }
  }
}

} // namespace autohost::daemon
