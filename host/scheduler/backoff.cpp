// Exponential backoff with jitter for retried runs.
#include "scheduler/backoff.hpp"

#include <algorithm>

namespace autohost::scheduler {

std::chrono::seconds retry_delay(const RetryPolicy &policy, int failed_attempts,
                                 std::optional<std::chrono::seconds> hint, std::uint32_t random) {
  constexpr std::chrono::seconds one_day{86400};
  if (hint && hint->count() > 0)
    return std::min(*hint, one_day);
  std::int64_t delay = std::max<std::int64_t>(policy.first_delay.count(), 1);
  for (int i = 1; i < failed_attempts && delay < policy.max_delay.count(); ++i)
    delay *= 2;
  delay = std::min<std::int64_t>(delay, std::max<std::int64_t>(policy.max_delay.count(), 1));
  const std::int64_t fixed = (delay + 1) / 2;
  const auto spread = static_cast<std::uint32_t>(delay - fixed);
  return std::chrono::seconds{fixed + (spread > 0 ? random % (spread + 1) : 0)};
}

} // namespace autohost::scheduler
