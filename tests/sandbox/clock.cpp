// Sandbox time and the Graph timestamp format.
#include "clock.hpp"

#include <array>
#include <ctime>

namespace sandbox {

TimePoint SandboxClock::now() const {
  return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()) + offset();
}

std::int64_t unix_seconds(TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

TimePoint from_unix_seconds(std::int64_t s) { return TimePoint{seconds(s)}; }

std::string graph_timestamp(TimePoint t) {
  const auto secs = static_cast<std::time_t>(unix_seconds(t));
  std::tm parts{};
  gmtime_r(&secs, &parts);
  std::array<char, 40> text{};
  const auto n = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S+0000", &parts);
  return {text.data(), n};
}

} // namespace sandbox
