// Signal handlers that only touch async-signal-safe things: an atomic flag, write() on a
// non-blocking pipe, and _exit().
#include "daemon/stop_signal.hpp"

#include "errors.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <memory>

namespace autohost::daemon {

namespace {

int pipe_fds[2] = {-1, -1};
int reload_fds[2] = {-1, -1};
std::atomic<int> first_signal{0};
std::atomic<bool> reload_asked{false};
std::unique_ptr<StopSignal> installed;

extern "C" void on_stop_signal(int signo) {
  int expected = 0;
  if (!first_signal.compare_exchange_strong(expected, signo)) {
    _exit(128 + signo); // the second signal: no more waiting
  }
  const char byte = 1;
  [[maybe_unused]] const auto n = write(pipe_fds[1], &byte, 1);
}

extern "C" void on_reload_signal(int) {
  reload_asked.store(true);
  const char byte = 1;
  [[maybe_unused]] const auto n = write(reload_fds[1], &byte, 1); // full pipe: already asked
}

Result<Done> handle(int signo, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (sigaction(signo, &action, nullptr) != 0) {
    return host::make_error(AH_INTERNAL, "internal",
                            std::string("cannot install a signal handler: ") +
                                std::strerror(errno));
  }
  return Done{};
}

Result<Done> make_pipe(int (&fds)[2], std::string_view what) {
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return host::make_error(AH_INTERNAL, "internal",
                            "cannot create the " + std::string(what) +
                                " pipe: " + std::strerror(errno));
  }
  return Done{};
}

} // namespace

Result<StopSignal *> StopSignal::install() {
  if (installed)
    return installed.get();
  AH_TRY(make_pipe(pipe_fds, "stop"));
  for (const int signo : {SIGINT, SIGTERM})
    AH_TRY(handle(signo, &on_stop_signal));
  installed.reset(new StopSignal());
  return installed.get();
}

StopSignal::~StopSignal() = default;

int StopSignal::fd() const noexcept { return pipe_fds[0]; }

bool StopSignal::requested() const noexcept { return first_signal.load() != 0; }

int StopSignal::signal_number() const noexcept { return first_signal.load(); }

Result<Done> StopSignal::watch_reload() {
  if (reload_fds[0] >= 0)
    return Done{};
  AH_TRY(make_pipe(reload_fds, "reload"));
  return handle(SIGHUP, &on_reload_signal);
}

int StopSignal::reload_fd() const noexcept { return reload_fds[0]; }

bool StopSignal::take_reload() noexcept {
  if (reload_fds[0] < 0)
    return false;
  // Drained first: a SIGHUP after the drain leaves its byte, so the next poll wakes for it.
  char bytes[64];
  while (read(reload_fds[0], bytes, sizeof bytes) > 0) {
  }
  return reload_asked.exchange(false);
}

} // namespace autohost::daemon
