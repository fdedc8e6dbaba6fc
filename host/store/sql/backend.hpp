// Where a store lives and how its transactions run: SQLite (a path) or PostgreSQL (a URL).
#pragma once

#include "store/sql/session.hpp"

#include <autohost/result.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace autohost::store::sql {

struct BackendOptions {
  // "secret store", "store": how errors name it, before its (redacted) location.
  std::string noun = "store";
  // SQLite: how long a writer waits for another process's write lock.
  int busy_timeout_ms = 15000;
  // SQLite: idle read connections kept open (one per thread that reads at once, as a
  // daemon's workers or a sweep's threads do); more are opened and closed as needed. 0:
  // none, reads run on the writer's connection (a command that makes one call).
  std::size_t read_connections = 16;
  // PostgreSQL: connections kept, statement and connect timeouts.
  std::size_t pool_size = 4;
  int statement_timeout_ms = 30000;
  int connect_timeout_s = 10;
  // PostgreSQL: Session::now() returns the caller's instant instead of the database's clock.
  // Only for tests that control time; a host never sets it.
  bool trust_caller_clock = false;
};

// Runs transactions on one store. Bodies are `fn(Session&) -> Result<T>`: the transaction
// commits when the body returns a value and no statement failed, and rolls back otherwise.
// A failed statement wins over the body's own result: its Error names the store (by its
// redacted location), what was being done and why. A body may run more than once (on
// PostgreSQL after a serialisation failure, deadlock or a connection lost before COMMIT):
// it must do nothing but SQL on its Session and keep no state across runs. Thread-safe.
class Backend {
public:
  virtual ~Backend() = default;

  virtual Dialect dialect() const noexcept = 0;
  // The location safe to show: the file, or the URL with its password replaced by ***.
  virtual const std::string &location() const noexcept = 0;
  const std::string &noun() const noexcept { return noun_; }

  // A write transaction: SQLite BEGIN IMMEDIATE; PostgreSQL BEGIN (read committed) and the
  // store-wide advisory lock first, so writers are serialised across hosts.
  template <class Fn>
  auto write(std::string_view doing, Fn &&fn) -> std::invoke_result_t<Fn &, Session &> {
    return run_typed(Transaction::write, doing, fn);
  }
  // A write transaction that does not take the store-wide lock on PostgreSQL: the body
  // protects what it changes with row locks (FOR UPDATE, SKIP LOCKED) and updates fenced by
  // their WHERE clause, or calls Session::lock_store() before it decides anything the lock
  // must serialise. SQLite: the same as write().
  template <class Fn>
  auto write_rows(std::string_view doing, Fn &&fn) -> std::invoke_result_t<Fn &, Session &> {
    return run_typed(Transaction::write_rows, doing, fn);
  }
  // A read-only transaction: SQLite BEGIN (deferred); PostgreSQL REPEATABLE READ (one
  // snapshot for the whole body) without the lock.
  template <class Fn>
  auto read(std::string_view doing, Fn &&fn) -> std::invoke_result_t<Fn &, Session &> {
    return run_typed(Transaction::read, doing, fn);
  }

  // Frees what the store caches in memory (SQLite's page cache) for a caller about to idle
  // for a while; the next transaction reads what it needs again. PostgreSQL keeps nothing.
  virtual void release_memory() noexcept {}

  // "<noun> <location> <what>" as an AH_INTERNAL "store" error (exit 11 in the CLI).
  Error store_error(std::string_view what) const;

protected:
  enum class Transaction { read, write, write_rows };
  explicit Backend(std::string noun) : noun_(std::move(noun)) {}
  // Runs `body` in one transaction (see write/read); the Error when it did not commit.
  virtual Result<Done> run(Transaction kind, std::string_view doing,
                           const std::function<Result<Done>(Session &)> &body) = 0;

private:
  template <class Fn>
  auto run_typed(Transaction kind, std::string_view doing, Fn &fn)
      -> std::invoke_result_t<Fn &, Session &> {
    using R = std::invoke_result_t<Fn &, Session &>;
    std::optional<R> out;
    Result<Done> ran = run(kind, doing, [&](Session &session) -> Result<Done> {
      out.reset();
      out.emplace(fn(session));
      if (!*out)
        return out->error();
      return Done{};
    });
    if (!ran)
      return std::move(ran).error();
    return std::move(*out);
  }

  std::string noun_;
};

// An SQLite store over an open Database (the caller checked and prepared the file). The
// Backend owns it and writes on it under one mutex; read transactions run on connections of
// their own (see read_connections.hpp). The host's clock is the caller's instant.
std::unique_ptr<Backend> sqlite_backend(std::unique_ptr<Database> db,
                                        const std::filesystem::path &file,
                                        const BackendOptions &options);

// Opens the store at `location`: a postgresql:// or postgres:// URL is PostgreSQL (connected
// once, so an unreachable server is reported here), anything else a path to an existing
// SQLite file. Errors name the location redacted: a malformed URL is AH_INVALID_INPUT
// "store_location", an unreachable server AH_INTERNAL "store_unreachable".
Result<std::unique_ptr<Backend>> open_backend(std::string_view location,
                                              const BackendOptions &options);

// True for a location open_backend opens as PostgreSQL.
bool is_postgres_location(std::string_view location) noexcept;

// Checks a location without opening it: a URL libpq cannot parse (or an empty location) is
// AH_INVALID_INPUT "store_location", naming `origin` ("--store", "AUTOHOST_STORE"...) and the
// location redacted, never its password.
Result<Done> check_location(std::string_view location, std::string_view origin);

} // namespace autohost::store::sql
