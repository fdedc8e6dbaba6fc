// Keep-alive connections per host, with a cap on open connections and FIFO waiting for one.
#pragma once

#include "http/connection.hpp"
#include "http/executor.hpp"
#include "http/request_control.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace threads::http {

struct PoolLimits {
  std::size_t max_per_host;
  std::size_t max_idle_per_host;
  std::chrono::milliseconds idle_timeout;
};

// Used only on the client's io thread, so it needs no lock. Must outlive every Lease.
class ConnectionPool {
  struct Host;

public:
  // The right to use one connection slot of a host. Holds an idle connection that was
  // handed out again, or nothing yet (the holder connects and attach()es). Dropping the
  // lease closes the connection and frees the slot; keep_alive() returns it for reuse.
  class Lease {
  public:
    Lease(Lease &&other) noexcept;
    Lease &operator=(Lease &&) = delete;
    Lease(const Lease &) = delete;
    Lease &operator=(const Lease &) = delete;
    ~Lease();

    [[nodiscard]] Connection *connection() const noexcept { return connection_.get(); }
    [[nodiscard]] bool reused() const noexcept { return reused_; }
    void attach(std::unique_ptr<Connection> connection) noexcept;
    void keep_alive() noexcept;

  private:
    friend class ConnectionPool;
    Lease(ConnectionPool *pool, Host *host, std::unique_ptr<Connection> connection) noexcept;
    ConnectionPool *pool_;
    Host *host_;
    std::unique_ptr<Connection> connection_;
    bool reused_;
  };

  ConnectionPool(const Executor &executor, PoolLimits limits);

  // Waits, at most until `deadline`, for an idle connection to `key` that is still usable
  // or for room to open a new one. Waiters are served in arrival order. An idle connection
  // is probed for a close by the peer (Connection::usable) before a request that is not
  // `idempotent`, and before any once it has been idle for probe_idle_after: an idempotent
  // request on a connection that died sooner gets the client's free retry instead.
  Awaitable<Outcome<Lease>> acquire(const std::string &key, Clock::time_point deadline,
                                    RequestControl &control, bool idempotent);

  // Closes idle connections; connections in use are closed when their lease ends.
  void close_all() noexcept;

  // When the timer that closes expired idle connections fires; nullopt while no idle
  // connection waits for it, so nothing in the pool needs the io driven until a request.
  std::optional<Clock::time_point> sweep_due() const noexcept {
    return sweep_armed_ ? std::optional<Clock::time_point>(sweep_timer_.expiry()) : std::nullopt;
  }

private:
  struct Waiter {
    explicit Waiter(const Executor &executor) : wake(executor) {}
    SteadyTimer wake;
    bool granted = false;                   // a slot was handed over
    std::unique_ptr<Connection> connection; // with a live connection, when one was
  };
  struct Host {
    std::vector<std::unique_ptr<Connection>> idle; // back() is the most recently used
    std::size_t open = 0;                          // slots held: idle, busy and connecting
    std::deque<Waiter *> waiters;
  };

  void give_back(Host &host, std::unique_ptr<Connection> connection) noexcept;
  void release_slot(Host &host) noexcept;
  bool expired(const Connection &connection, Clock::time_point now) const noexcept;
  void arm_sweep() noexcept;
  void sweep(Clock::time_point now) noexcept;

  Executor executor_;
  PoolLimits limits_;
  // Node-based: Host addresses stay valid while leases point at them.
  std::unordered_map<std::string, Host> hosts_;
  SteadyTimer sweep_timer_;
  bool sweep_armed_ = false;
  bool closed_ = false;
};

} // namespace threads::http
