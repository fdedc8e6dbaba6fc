// A CLOCK_REALTIME timerfd that also fires when the wall clock is set.
#include "daemon/wall_timer.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <ctime>

namespace autohost::daemon {

WallTimer::WallTimer() : fd_(timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) {}

WallTimer::~WallTimer() {
  if (fd_ >= 0)
    close(fd_);
}

void WallTimer::arm(std::chrono::milliseconds after) noexcept {
  if (fd_ < 0)
    return;
  using namespace std::chrono;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  // At least 1 ns ahead (zero would disarm the timer), at most a year (the daemon sleeps a
  // day at most; this only keeps the nanoseconds below from overflowing).
  const nanoseconds wait =
      after.count() > 0 ? nanoseconds(std::min<milliseconds>(after, hours(24 * 365))) : 1ns;
  const nanoseconds at = seconds(now.tv_sec) + nanoseconds(now.tv_nsec) + wait;
  const seconds whole = duration_cast<seconds>(at);
  itimerspec when{};
  when.it_value.tv_sec = static_cast<time_t>(whole.count());
  when.it_value.tv_nsec = static_cast<long>((at - whole).count());
  timerfd_settime(fd_, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &when, nullptr);
}

void WallTimer::drain() const noexcept {
  // ECANCELED after a clock change; either way the descriptor is no longer readable.
  std::uint64_t expirations = 0;
  [[maybe_unused]] const auto n = read(fd_, &expirations, sizeof expirations);
}

} // namespace autohost::daemon
