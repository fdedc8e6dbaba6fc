// The connection pool: lending, giving back, replacing lost connections, retry pacing.
#include "store/pg/pool.hpp"

#include "store/pg/pg_url.hpp"

#include <algorithm>
#include <random>
#include <thread>

namespace autohost::store::pg {

PooledConnection::PooledConnection(Pool &pool, std::unique_ptr<Connection> connection) noexcept
    : pool_(&pool), connection_(std::move(connection)) {}

PooledConnection::PooledConnection(PooledConnection &&other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

PooledConnection::~PooledConnection() {
  if (connection_ != nullptr)
    pool_->give_back(std::move(connection_));
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
  if (options_.size == 0)
    options_.size = 1;
}

Pool::~Pool() = default;

std::size_t Pool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

PgResult<PooledConnection> Pool::acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  while (true) {
    while (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      connection->poll();
      if (connection->usable())
        return PooledConnection(*this, std::move(connection));
      --open_; // ended by the server while idle: replaced below
    }
    if (open_ < options_.size)
      break;
    if (!freed_.wait_until(lock, deadline, [&] { return !idle_.empty() || open_ < options_.size; }))
      return PgError{PgFailure::connection,
                     {},
                     "no free connection to " + redact(options_.connect.url) + " within " +
                         std::to_string(options_.acquire_timeout.count()) + " ms (pool of " +
                         std::to_string(options_.size) + ")"};
  }
  ++open_; // reserved while connecting without the lock
  lock.unlock();
  auto opened = Connection::open(options_.connect);
  if (!opened) {
    give_back(nullptr);
    return std::move(opened).error();
  }
  return PooledConnection(*this, std::move(opened).value());
}

void Pool::give_back(std::unique_ptr<Connection> connection) noexcept {
  if (connection != nullptr && connection->usable() && connection->in_transaction())
    (void)connection->exec("ROLLBACK"); // a borrower that returned early
  const bool lost = connection != nullptr && !connection->usable();
  const bool keep = connection != nullptr && !lost && !connection->in_transaction();
  // A connection lost while lent says the idle ones may be gone too: a network that went
  // away takes them all, and each would first wait out tcp_user_timeout in its next
  // statement. They are closed and opened again when needed, which costs milliseconds
  // when the server is still there (one backend ended by pg_terminate_backend).
  std::vector<std::unique_ptr<Connection>> dropped;
  {
    std::lock_guard lock(mutex_);
    if (keep)
      idle_.push_back(std::move(connection));
    else
      --open_;
    if (lost) {
      open_ -= idle_.size();
      dropped.swap(idle_);
    }
  }
  if (dropped.empty())
    freed_.notify_one();
  else
    freed_.notify_all();
}

bool Pool::retry_after(const PgError &error, int attempt) const {
  const bool transient = error.kind == PgFailure::retryable || error.kind == PgFailure::connection;
  if (!transient || attempt >= options_.transaction_attempts)
    return false;
  // 10, 20, 40... ms plus as much jitter, so two transactions that collided spread apart.
  const int base_ms = 10 << std::min(attempt - 1, 6);
  thread_local std::minstd_rand random(std::random_device{}());
  std::uniform_int_distribution<int> jitter(0, base_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(base_ms + jitter(random)));
  return true;
}

const char *Pool::begin_sql(Isolation isolation) noexcept {
  switch (isolation) {
  case Isolation::repeatable_read:
    return "BEGIN ISOLATION LEVEL REPEATABLE READ";
  case Isolation::serializable:
    return "BEGIN ISOLATION LEVEL SERIALIZABLE";
  case Isolation::read_committed:
    break;
  }
  return "BEGIN ISOLATION LEVEL READ COMMITTED";
}

PgError Pool::commit_failure(PgError error) {
  if (error.kind == PgFailure::connection) {
    error.kind = PgFailure::unknown_commit;
    error.message = "the connection was lost during COMMIT, so whether the transaction was "
                    "applied is unknown: " +
                    error.message;
  }
  return error;
}

} // namespace autohost::store::pg
