// Wakes the daemon on a PostgreSQL store: one connection of its own that LISTENs on the
// wake channel, on which every change of the scheduler's generation is notified (at
// commit). A lost connection is re-established with bounded, jittered backoff; the loss and
// the return are logged once each, and after a return the daemon looks at the store at once
// (what was notified meanwhile is lost with the connection).
#pragma once

#include "daemon/reconnect_backoff.hpp"
#include "daemon/wake_source.hpp"
#include "store/pg/connection.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace autohost::daemon {

struct PgWakeOptions {
  std::string url; // the store's URL (never logged unredacted)
  std::string channel = wake_channel;
  std::chrono::milliseconds first_retry{500};
  std::chrono::milliseconds max_retry{30'000};
  int connect_timeout_s = 5;
  // How often store_clock_offset() asks the database; in between it counts on from the last
  // answer with the host's monotonic clock (the two clocks drift apart far slower).
  std::chrono::milliseconds clock_every{30'000};
};

class PgWake final : public WakeSource {
public:
  // Connects at once; when that fails, the first retry is already scheduled.
  PgWake(PgWakeOptions options, host::Logger &logger);

  int fd() const noexcept override;
  bool drain() override;
  std::optional<std::chrono::milliseconds> due_in() const override;
  std::string problem() const override;
  // SELECT clock_timestamp() on the listening connection (at most every clock_every, and
  // after each reconnect), against the host clock read around it; a notification that
  // arrives meanwhile makes due_in() zero, so it still wakes.
  std::optional<std::chrono::milliseconds> store_clock_offset(std::int64_t host_now_ms) override;
  bool listening() const noexcept { return connection_ != nullptr; }

private:
  // One attempt to connect and LISTEN; true on success.
  bool connect();
  void lost(const std::string &why);

  PgWakeOptions options_;
  host::Logger &logger_;
  std::unique_ptr<store::pg::Connection> connection_;
  ReconnectBackoff backoff_;
  std::chrono::steady_clock::time_point retry_at_;
  bool said_lost_ = false; // the loss was logged; the return will be
  bool pending_ = false;   // a query took in notifications: drain() at once
  // The database's clock (ms since the epoch) as last read, and the monotonic time then.
  std::optional<std::int64_t> store_ms_;
  std::chrono::steady_clock::time_point store_read_at_;
  std::string problem_; // why not listening (redacted), "" while listening
};

} // namespace autohost::daemon
