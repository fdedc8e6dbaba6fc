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
std::atomic<int> first_signal{0};
std::unique_ptr<StopSignal> installed;

extern "C" void on_stop_signal(int signo) {
  int expected = 0;
  if (!first_signal.compare_exchange_strong(expected, signo)) {
    _exit(128 + signo); // the second signal: no more waiting
  }
  const char byte = 1;
  [[maybe_unused]] const auto n = write(pipe_fds[1], &byte, 1);
}

} // namespace

Result<StopSignal *> StopSignal::install() {
  if (installed)
    return installed.get();
  if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return host::make_error(AH_INTERNAL, "internal",
                            std::string("cannot create the stop pipe: ") + std::strerror(errno));
  }
  struct sigaction action {};
  action.sa_handler = &on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (const int signo : {SIGINT, SIGTERM}) {
    if (sigaction(signo, &action, nullptr) != 0) {
      return host::make_error(AH_INTERNAL, "internal",
                              std::string("cannot install a signal handler: ") +
                                  std::strerror(errno));
    }
  }
  installed.reset(new StopSignal());
  return installed.get();
}

StopSignal::~StopSignal() = default;

int StopSignal::fd() const noexcept { return pipe_fds[0]; }

bool StopSignal::requested() const noexcept { return first_signal.load() != 0; }

int StopSignal::signal_number() const noexcept { return first_signal.load(); }

} // namespace autohost::daemon
