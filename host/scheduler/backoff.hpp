// How long a run that asked to be retried waits, and how often it may be retried.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace autohost::scheduler {

struct RetryPolicy {
  std::chrono::seconds first_delay{30};
  std::chrono::seconds max_delay{3600};
  // A run is claimed at most this many times (first try, retries and resumptions after a
  // daemon died); then it fails.
  int max_attempts = 6;
};

// The wait after `failed_attempts` (>= 1) failures. The plugin's hint (retry_after_s) wins
// when given, capped at one day. Otherwise first_delay * 2^(failed_attempts - 1), capped at
// max_delay, of which the upper half is random (`random` is any 32-bit value) so daemons
// that failed together do not retry together.
std::chrono::seconds retry_delay(const RetryPolicy &policy, int failed_attempts,
                                 std::optional<std::chrono::seconds> hint, std::uint32_t random);

} // namespace autohost::scheduler
