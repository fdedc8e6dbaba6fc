// The end of the daemon's sleep on the wall clock: a CLOCK_REALTIME timerfd armed at an
// absolute time with TFD_TIMER_CANCEL_ON_SET. It turns readable when that time is reached -
// also after a suspend, which the monotonic clock of poll() does not count - or when the wall
// clock is set (an NTP step, an administrator), so a long sleep never outlasts its due time.
#pragma once

#include <chrono>

namespace autohost::daemon {

class WallTimer {
public:
  WallTimer();
  ~WallTimer();
  WallTimer(const WallTimer &) = delete;
  WallTimer &operator=(const WallTimer &) = delete;

  // -1 when the kernel has no timerfd (then sleeps end by poll()'s own timeout only).
  int fd() const noexcept { return fd_; }
  // Readable `after` from now on the wall clock (at least 1 ns: zero would disarm it).
  void arm(std::chrono::milliseconds after) noexcept;
  // Clears what made it readable (its expiry or a clock change).
  void drain() const noexcept;

private:
  int fd_;
};

} // namespace autohost::daemon
