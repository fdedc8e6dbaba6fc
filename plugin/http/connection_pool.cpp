// The keep-alive pool: reuse, per-host caps, FIFO hand-over to waiters, idle expiry.
#include "http/connection_pool.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace threads::http {

namespace net = boost::asio;

ConnectionPool::Lease::Lease(ConnectionPool *pool, Host *host,
                             std::unique_ptr<Connection> connection) noexcept
    : pool_(pool), host_(host), connection_(std::move(connection)),
      reused_(connection_ != nullptr) {}

ConnectionPool::Lease::Lease(Lease &&other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), host_(other.host_),
      connection_(std::move(other.connection_)), reused_(other.reused_) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ == nullptr) {
    return;
  }
  if (connection_) {
    connection_->close();
    connection_.reset();
  }
  pool_->release_slot(*host_);
}

void ConnectionPool::Lease::attach(std::unique_ptr<Connection> connection) noexcept {
  connection_ = std::move(connection);
}

void ConnectionPool::Lease::keep_alive() noexcept {
  if (pool_ == nullptr || !connection_) {
    return;
  }
  std::exchange(pool_, nullptr)->give_back(*host_, std::move(connection_));
}

ConnectionPool::ConnectionPool(const Executor &executor, PoolLimits limits)
    : executor_(executor), limits_(limits), sweep_timer_(executor) {}

bool ConnectionPool::expired(const Connection &connection, Clock::time_point now) const noexcept {
  return now - connection.idle_since >= limits_.idle_timeout;
}

Awaitable<Outcome<ConnectionPool::Lease>> ConnectionPool::acquire(const std::string &key,
                                                                  Clock::time_point deadline,
                                                                  RequestControl &control,
                                                                  bool idempotent) {
  Host &host = hosts_[key];
  auto cancelled = [&key] {
    return make_failure(ErrorKind::cancelled, "cancelled while waiting for a connection to " + key,
                        Delivery::not_sent, Transience::permanent);
  };
  while (true) {
    const auto now = Clock::now();
    while (!host.idle.empty()) {
      std::unique_ptr<Connection> candidate = std::move(host.idle.back());
      host.idle.pop_back();
      const bool probe = !idempotent || now - candidate->idle_since >= probe_idle_after;
      if (!expired(*candidate, now) && candidate->usable(probe)) {
        co_return Lease(this, &host, std::move(candidate));
      }
      candidate->close();
      --host.open;
    }
    if (host.open < limits_.max_per_host) {
      ++host.open;
      co_return Lease(this, &host, nullptr);
    }
    if (control.cancelled) {
      co_return cancelled();
    }
    Waiter waiter(executor_);
    waiter.wake.expires_at(deadline);
    host.waiters.push_back(&waiter);
    boost::system::error_code ec;
    {
      AbortHook hook(control, [&waiter] { waiter.wake.cancel(); });
      co_await waiter.wake.async_wait(net::redirect_error(use_awaitable, ec));
    }
    std::erase(host.waiters, &waiter);
    if (waiter.granted) {
      Lease lease(this, &host, std::move(waiter.connection));
      if (control.cancelled) {
        lease.keep_alive(); // pass the connection on rather than close it
        co_return cancelled();
      }
      co_return lease;
    }
    if (control.cancelled) {
      co_return cancelled();
    }
    if (Clock::now() >= deadline) {
      co_return make_failure(ErrorKind::timeout,
                             "total timeout: the deadline passed while waiting for a free "
                             "connection to " +
                                 key + " (max_connections_per_host " +
                                 std::to_string(limits_.max_per_host) + ")",
                             Delivery::not_sent, Transience::permanent);
    }
  }
}

void ConnectionPool::give_back(Host &host, std::unique_ptr<Connection> connection) noexcept {
  if (closed_) {
    connection->close();
    release_slot(host);
    return;
  }
  if (!host.waiters.empty()) {
    Waiter *next = host.waiters.front();
    host.waiters.pop_front();
    next->granted = true;
    next->connection = std::move(connection);
    next->wake.cancel();
    return;
  }
  connection->idle_since = Clock::now();
  try {
    host.idle.push_back(std::move(connection));
  } catch (...) { // out of memory: push_back left the connection with us; drop it instead
    connection->close();
    release_slot(host);
    return;
  }
  if (host.idle.size() > limits_.max_idle_per_host) {
    host.idle.front()->close();
    host.idle.erase(host.idle.begin());
    --host.open;
  }
  arm_sweep();
}

void ConnectionPool::release_slot(Host &host) noexcept {
  if (!host.waiters.empty()) {
    // The slot moves to the first waiter, who connects with it.
    Waiter *next = host.waiters.front();
    host.waiters.pop_front();
    next->granted = true;
    next->wake.cancel();
    return;
  }
  --host.open;
}

void ConnectionPool::arm_sweep() noexcept {
  if (sweep_armed_ || closed_) {
    return;
  }
  try {
    sweep_timer_.expires_after(limits_.idle_timeout);
    sweep_timer_.async_wait([this](const boost::system::error_code &ec) {
      sweep_armed_ = false;
      if (ec || closed_) {
        return;
      }
      sweep(Clock::now());
    });
    sweep_armed_ = true;
  } catch (...) { // NOLINT(bugprone-empty-catch): idle connections still expire on acquire()
  }
}

// Closes idle connections past idle_timeout so they do not linger until the next request.
void ConnectionPool::sweep(Clock::time_point now) noexcept {
  bool any_left = false;
  for (auto &[key, host] : hosts_) {
    const auto before = host.idle.size();
    std::erase_if(host.idle, [&](const std::unique_ptr<Connection> &c) {
      if (!expired(*c, now)) {
        return false;
      }
      c->close();
      return true;
    });
    host.open -= before - host.idle.size();
    any_left = any_left || !host.idle.empty();
  }
  if (any_left) {
    arm_sweep();
  }
}

void ConnectionPool::close_all() noexcept {
  closed_ = true;
  sweep_timer_.cancel();
  for (auto &[key, host] : hosts_) {
    for (auto &c : host.idle) {
      c->close();
    }
    host.open -= host.idle.size();
    host.idle.clear();
  }
}

} // namespace threads::http
