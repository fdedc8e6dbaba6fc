// SIGTERM/SIGINT for the daemon: the first asks it to stop (readable on a file descriptor,
// so a poll() that sleeps wakes at once); a second one exits the process at once. SIGHUP,
// once watched, asks for a reload of the config (`systemctl reload`), the same way.
#pragma once

#include <autohost/result.hpp>

namespace autohost::daemon {

// Exit status after a second signal: 128 + the signal number (143 for SIGTERM, 130 for
// SIGINT), as a shell reports a process killed by it.
class StopSignal {
public:
  // Installs the handlers (one StopSignal per process); the error says why it could not.
  static Result<StopSignal *> install();
  ~StopSignal();
  StopSignal(const StopSignal &) = delete;
  StopSignal &operator=(const StopSignal &) = delete;

  // Readable once a stop was requested.
  int fd() const noexcept;
  bool requested() const noexcept;
  // Which signal asked to stop (0 when none).
  int signal_number() const noexcept;

  // Catches SIGHUP from now on (until then it ends the process, as by default: `run --once`
  // leaves it so). The error says why it could not.
  Result<Done> watch_reload();
  // Readable while a reload is asked for; -1 until watch_reload().
  int reload_fd() const noexcept;
  // True (once per burst of SIGHUPs) when a reload was asked for since the last call.
  bool take_reload() noexcept;

private:
  StopSignal() = default;
};

} // namespace autohost::daemon
