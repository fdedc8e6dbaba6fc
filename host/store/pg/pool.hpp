// A small pool of PostgreSQL connections and transactions that retry what may be retried.
#pragma once

#include "store/pg/connection.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

namespace autohost::store::pg {

struct PoolOptions {
  ConnectOptions connect;
  std::size_t size = 4;
  // How long acquire() waits for a free connection before it gives up.
  std::chrono::milliseconds acquire_timeout{10000};
  // Runs of one transaction() before a retryable failure is returned.
  int transaction_attempts = 5;
};

enum class Isolation { read_committed, repeatable_read, serializable };

class Pool;

// A connection borrowed from the pool; given back when destroyed. A connection that was
// lost, or left inside a transaction that cannot be rolled back, is closed instead.
class PooledConnection {
public:
  PooledConnection(PooledConnection &&other) noexcept;
  PooledConnection &operator=(PooledConnection &&) = delete;
  PooledConnection(const PooledConnection &) = delete;
  ~PooledConnection();
  Connection &operator*() const noexcept { return *connection_; }
  Connection *operator->() const noexcept { return connection_.get(); }

private:
  friend class Pool;
  PooledConnection(Pool &pool, std::unique_ptr<Connection> connection) noexcept;
  Pool *pool_;
  std::unique_ptr<Connection> connection_;
};

// At most `size` connections, opened when first needed. Thread-safe; connections are
// handed to one caller at a time. Idle connections the server ended (a restart,
// pg_terminate_backend) are noticed on acquire and replaced, so one lost connection costs
// at most the statement that was running on it; a connection lost while lent closes the
// idle ones with it (a network gone takes them all). The pool must outlive every
// PooledConnection it lent.
class Pool {
public:
  explicit Pool(PoolOptions options);
  Pool(const Pool &) = delete;
  Pool &operator=(const Pool &) = delete;
  ~Pool();

  // A connection, waiting up to acquire_timeout for one to be free. Fails when the server
  // cannot be reached (PgFailure::connection) or the wait ran out.
  PgResult<PooledConnection> acquire();

  // Runs `body(Connection&)` (returning PgResult<T>) between BEGIN and COMMIT at the given
  // isolation, on a pooled connection. The whole transaction runs again, on a fresh
  // connection where needed, after a serialization failure or deadlock (40001, 40P01) or a
  // connection lost before COMMIT, up to transaction_attempts times with a short jittered
  // backoff: `body` must do nothing but SQL on the connection it is given. A connection
  // lost during COMMIT is PgFailure::unknown_commit (the transaction may or may not have
  // been applied). Any failure of `body` rolls back. A failed acquire() is tried again only
  // when it failed within quick_failure.
  template <class Body>
  auto transaction(Isolation isolation, Body &&body) -> std::invoke_result_t<Body, Connection &>;

  std::size_t open_connections() const;

private:
  friend class PooledConnection;
  void give_back(std::unique_ptr<Connection> connection) noexcept;
  // Whether attempt `attempt` that failed with `error` may run again (and waits if so).
  bool retry_after(const PgError &error, int attempt) const;
  static const char *begin_sql(Isolation isolation) noexcept;
  // How soon a failed acquire() must have failed to be tried again within a transaction.
  static constexpr std::chrono::milliseconds quick_failure{1000};
  static PgError commit_failure(PgError error);

  PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0; // idle + lent
};

template <class Body>
auto Pool::transaction(Isolation isolation, Body &&body)
    -> std::invoke_result_t<Body, Connection &> {
  for (int attempt = 1;; ++attempt) {
    // A connection refused at once (a server restarting) is tried again after the backoff;
    // one that took its time (connect_timeout on a server that cannot be reached, or no
    // free connection within acquire_timeout) is not: each try would wait as long again,
    // and the body has not run, so the caller may try again later.
    const auto asked = std::chrono::steady_clock::now();
    auto lease = acquire();
    if (!lease) {
      if (std::chrono::steady_clock::now() - asked < quick_failure &&
          retry_after(lease.error(), attempt))
        continue;
      return std::move(lease).error();
    }
    Connection &connection = **lease;
    if (auto begun = connection.exec(begin_sql(isolation)); !begun) {
      if (retry_after(begun.error(), attempt))
        continue;
      return std::move(begun).error();
    }
    auto result = body(connection);
    if (!result) {
      (void)connection.exec("ROLLBACK");
      if (retry_after(result.error(), attempt))
        continue;
      return result;
    }
    if (connection.transaction_failed()) { // COMMIT would roll back and say nothing
      (void)connection.exec("ROLLBACK");
      return PgError{PgFailure::usage, "25P02",
                     "a statement of the transaction failed but the transaction went on"};
    }
    auto committed = connection.exec("COMMIT");
    if (committed)
      return result;
    PgError error = commit_failure(std::move(committed).error());
    if (retry_after(error, attempt))
      continue;
    return error;
  }
}

} // namespace autohost::store::pg
