// Exponential backoff with jitter from libsodium's uniform random numbers.
#include "daemon/reconnect_backoff.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdint>

namespace autohost::daemon {

std::chrono::milliseconds ReconnectBackoff::next() noexcept {
  std::int64_t ceiling = first_.count();
  for (int i = 0; i < failures_ && ceiling < cap_.count(); ++i)
    ceiling *= 2;
  ceiling = std::max<std::int64_t>(std::min(ceiling, cap_.count()), 1);
  if (failures_ < 64)
    ++failures_;
  const std::int64_t half = ceiling / 2;
  return std::chrono::milliseconds(
      half + randombytes_uniform(static_cast<std::uint32_t>(ceiling - half + 1)));
}

} // namespace autohost::daemon
