// What wakes a sleeping daemon when another process changes the store: inotify on a SQLite
// file, LISTEN on a PostgreSQL store. The daemon then compares the store's generation to
// see whether the change matters, so a source may wake it more often than needed, never less.
#pragma once

#include "log.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace autohost::daemon {

class WakeSource {
public:
  virtual ~WakeSource() = default;
  // The descriptor to poll for readability; -1 while there is none (then the daemon checks
  // the store's generation every few seconds).
  virtual int fd() const noexcept = 0;
  // Handles what made fd() readable, or that due_in() passed (a reconnect is tried then);
  // true when the store may have changed since the last call.
  virtual bool drain() = 0;
  // How long the daemon may sleep before it must call drain() even if fd() stays quiet;
  // nullopt: no limit.
  virtual std::optional<std::chrono::milliseconds> due_in() const { return std::nullopt; }
  // True when fd() turns readable on every change to the store, so the daemon need not look
  // at the store by itself between due times (inotify on a local SQLite file; not a LISTEN
  // connection, which can drop without a sign).
  virtual bool sees_every_change() const noexcept { return false; }
  // Why changes are noticed by polling only; "" when they are not.
  virtual std::string problem() const = 0;
  // The store's clock minus the host's (`host_now_ms`, ms since the epoch) for a store that
  // decides what is due on a clock of its own (PostgreSQL: the database's), so the daemon
  // sleeps until the store's wake-up time by the store's clock. nullopt: the store uses the
  // caller's clock, or it cannot be asked now.
  virtual std::optional<std::chrono::milliseconds> store_clock_offset(std::int64_t host_now_ms) {
    (void)host_now_ms;
    return std::nullopt;
  }
};

// The channel PostgreSQL stores notify on each change of the scheduler's generation.
inline constexpr const char *wake_channel = "autohost_wake";

// True for a store location that names a PostgreSQL database (postgresql:// or postgres://).
bool is_postgres_location(std::string_view location) noexcept;

// The source for the store at `location`: LISTEN on `wake_channel` for a PostgreSQL URL,
// inotify on the file's directory for a SQLite path. Logs through `logger`.
std::unique_ptr<WakeSource> make_wake_source(const std::string &location, host::Logger &logger);

} // namespace autohost::daemon
