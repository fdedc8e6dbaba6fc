// sd_notify through libsystemd, which knows the socket's forms (a path, an abstract name).
#include "daemon/service_notify.hpp"

#include <systemd/sd-daemon.h>

#include <dlfcn.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <ctime>

namespace autohost::daemon {
using std::chrono::milliseconds;

namespace {

// libsystemd is loaded by the daemon only, not linked: every other command (each CLI call)
// would otherwise load it and the compression and crypto libraries behind it at start-up.
// The package depends on libsystemd0; without it the daemon notifies nothing, and systemd
// reports the missing READY=1 as a start timeout in the journal. Without NOTIFY_SOCKET
// (which systemd sets for Type=notify and for a watchdog) no message could reach systemd, so
// the library is not loaded at all: about 1 MB of the idle daemon's resident memory is
// libsystemd and the libraries behind it.
struct Libsystemd {
  decltype(&::sd_notify) notify = nullptr;
  decltype(&::sd_watchdog_enabled) watchdog_enabled = nullptr;
};

const Libsystemd &libsystemd() {
  static const Libsystemd loaded = [] {
    Libsystemd f;
    const char *socket = std::getenv("NOTIFY_SOCKET");
    if (socket == nullptr || *socket == '\0')
      return f;
    // Never closed: used until the process ends.
    if (void *library = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL)) {
      f.notify = reinterpret_cast<decltype(f.notify)>(::dlsym(library, "sd_notify"));
      f.watchdog_enabled =
          reinterpret_cast<decltype(f.watchdog_enabled)>(::dlsym(library, "sd_watchdog_enabled"));
    }
    return f;
  }();
  return loaded;
}

} // namespace

ServiceNotifier ServiceNotifier::from_environment() {
  std::uint64_t usec = 0;
  // 0: keep WATCHDOG_USEC for a reload's re-read of the environment; plugins run in this
  // process, and the daemon starts no children that could ping in its name.
  const auto watchdog_enabled = libsystemd().watchdog_enabled;
  if (watchdog_enabled != nullptr && watchdog_enabled(0, &usec) > 0 && usec > 0) {
    const auto half = std::chrono::duration_cast<milliseconds>(std::chrono::microseconds(usec / 2));
    return ServiceNotifier(std::max(half, milliseconds(1)));
  }
  return ServiceNotifier(std::nullopt);
}

void ServiceNotifier::send(const std::string &state) {
  // A failure to notify is not the daemon's to handle: systemd notices the missing message
  // (a start or watchdog timeout) and says so in the journal.
  if (const auto notify = libsystemd().notify)
    notify(0, state.c_str());
}

void ServiceNotifier::ready() { send("READY=1"); }

void ServiceNotifier::reloading() {
  // MONOTONIC_USEC lets systemd 253+ match the reload to this message; older ones ignore it.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
                    static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void ServiceNotifier::stopping() { send("STOPPING=1"); }

void ServiceNotifier::status(const std::string &text) {
  if (text == last_status_)
    return;
  last_status_ = text;
  send("STATUS=" + text);
}

void ServiceNotifier::keep_alive() {
  if (!every_)
    return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ping_ < *every_ / 4)
    return;
  last_ping_ = now;
  send("WATCHDOG=1");
}

std::string service_status(std::size_t running, std::optional<std::chrono::sys_seconds> next_wake) {
  std::string text = std::to_string(running) + (running == 1 ? " run" : " runs") + " in flight; ";
  if (!next_wake)
    return text + "nothing scheduled";
  const std::time_t t = next_wake->time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text + "next wake " + when;
}

} // namespace autohost::daemon
