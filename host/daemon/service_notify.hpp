// The daemon's side of systemd's notify protocol (sd_notify(3)) for a Type=notify unit:
// READY=1, RELOADING=1, STOPPING=1, STATUS= and the watchdog's WATCHDOG=1.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace autohost::daemon {

// Sends nothing when the process was not started by a notify unit (no NOTIFY_SOCKET), so the
// daemon calls it the same way everywhere.
class ServiceNotifier {
public:
  // Reads NOTIFY_SOCKET and WATCHDOG_USEC (and WATCHDOG_PID) of this process.
  static ServiceNotifier from_environment();

  // How often the loop must ping so the watchdog does not fire: half of WATCHDOG_USEC, as
  // sd_watchdog_enabled(3) advises; nullopt when no watchdog is set for this process.
  std::optional<std::chrono::milliseconds> watchdog_every() const noexcept { return every_; }

  void ready();
  void reloading();
  void stopping();
  // Sends STATUS= only when the text changed since the last one.
  void status(const std::string &text);
  // WATCHDOG=1, at most every quarter of watchdog_every() (a busy loop turns often).
  void keep_alive();

private:
  explicit ServiceNotifier(std::optional<std::chrono::milliseconds> every) : every_(every) {}
  void send(const std::string &state);

  std::optional<std::chrono::milliseconds> every_;
  std::chrono::steady_clock::time_point last_ping_{};
  std::string last_status_;
};

// STATUS= text for `systemctl status`: "2 runs in flight; next wake 2026-12-03T19:30:00Z"
// (or "nothing scheduled").
std::string service_status(std::size_t running, std::optional<std::chrono::sys_seconds> next_wake);

} // namespace autohost::daemon
