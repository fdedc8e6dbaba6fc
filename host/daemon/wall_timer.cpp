// A CLOCK_REALTIME timerfd that also fires when the wall clock is set.
#include "daemon/wall_timer.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

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
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  constexpr std::int64_t ns_per_s = 1'000'000'000;
  const std::int64_t ns = now.tv_nsec + (after.count() > 0 ? after.count() % 1000 * 1'000'000 : 1);
  itimerspec when{};
  when.it_value.tv_sec =
      now.tv_sec + (after.count() > 0 ? after.count() / 1000 : 0) + ns / ns_per_s;
  when.it_value.tv_nsec = ns % ns_per_s;
  timerfd_settime(fd_, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &when, nullptr);
}

void WallTimer::drain() const noexcept {
  // ECANCELED after a clock change; either way the descriptor is no longer readable.
  std::uint64_t expirations = 0;
  [[maybe_unused]] const auto n = read(fd_, &expirations, sizeof expirations);
}

} // namespace autohost::daemon
