// Bounded, jittered exponential backoff between reconnect attempts, so many daemons that
// lost one database do not all come back at the same instant.
#pragma once

#include <chrono>

namespace autohost::daemon {

class ReconnectBackoff {
public:
  ReconnectBackoff(std::chrono::milliseconds first, std::chrono::milliseconds cap)
      : first_(first), cap_(cap) {}
  // The wait before the next attempt: the nth failure in a row waits a random time between
  // half and all of min(cap, first * 2^n).
  std::chrono::milliseconds next() noexcept;
  // After a success: the next failure waits `first` again.
  void reset() noexcept { failures_ = 0; }

private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds cap_;
  int failures_ = 0;
};

} // namespace autohost::daemon
