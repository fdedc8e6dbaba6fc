// Sandbox time: real time plus an offset that tests move, so they can live through months.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace sandbox {

using Millis = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Millis>;

inline constexpr Millis hours(std::int64_t n) { return Millis{n * 3600 * 1000}; }
inline constexpr Millis days(std::int64_t n) { return hours(24 * n); }
inline constexpr Millis seconds(std::int64_t n) { return Millis{n * 1000}; }

// Thread-safe; every expiry, age, quota window and container delay reads now() from here.
class SandboxClock {
public:
  TimePoint now() const;
  Millis offset() const { return Millis{offset_ms_.load()}; }
  void set_offset(Millis offset) { offset_ms_.store(offset.count()); }
  void advance(Millis by) { offset_ms_.fetch_add(by.count()); }

private:
  std::atomic<std::int64_t> offset_ms_{0};
};

std::int64_t unix_seconds(TimePoint t);
TimePoint from_unix_seconds(std::int64_t s);

// The Graph timestamp form, "2023-10-17T05:42:03+0000" (UTC, no colon in the offset).
std::string graph_timestamp(TimePoint t);

} // namespace sandbox
