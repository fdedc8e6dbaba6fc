// The two backends: SQLite (one writer connection, BEGIN IMMEDIATE; readers on their own) and
// PostgreSQL (a pool, the store-wide advisory lock, retries), and choosing one by location.
#include "store/sql/backend.hpp"

#include "errors.hpp"
#include "store/pg/libpq.hpp"
#include "store/pg/pg_url.hpp"
#include "store/pg/pool.hpp"
#include "store/sql/read_connections.hpp"

#include <mutex>

namespace autohost::store::sql {
namespace fs = std::filesystem;
using host::make_error;

namespace {

// `doing`, and where the body was when it failed.
std::string with_at(std::string_view doing, const Session &session) {
  std::string text(doing);
  if (!session.at().empty())
    text += " (" + session.at() + ")";
  return text;
}

TimePoint host_clock() {
  using namespace std::chrono;
  return floor<milliseconds>(system_clock::now());
}

class SqliteBackend final : public Backend {
public:
  SqliteBackend(std::unique_ptr<Database> db, const fs::path &file, const BackendOptions &options)
      : Backend(options.noun), db_(std::move(db)), location_(file.string()),
        readers_(file, options.busy_timeout_ms, options.read_connections) {
    sqlite3_busy_timeout(db_->handle(), options.busy_timeout_ms);
  }
  Dialect dialect() const noexcept override { return Dialect::sqlite; }
  const std::string &location() const noexcept override { return location_; }
  void release_memory() noexcept override {
    readers_.release_memory();
    std::lock_guard lock(mutex_);
    sqlite3_db_release_memory(db_->handle());
  }

protected:
  // Reads run on a connection of their own, outside the writer's mutex: in WAL mode they
  // see the last commit and neither wait for nor block the writer. Writes run one at a time
  // on the one writer connection (and across processes under SQLite's write lock).
  Result<Done> run(Transaction kind, std::string_view doing,
                   const std::function<Result<Done>(Session &)> &body) override {
    if (kind == Transaction::read) {
      if (ReadLease reader = readers_.acquire())
        return run_on(*reader, false, doing, body);
    }
    std::lock_guard lock(mutex_);
    return run_on(*db_, kind != Transaction::read, doing, body);
  }

private:
  Result<Done> run_on(Database &db, bool write, std::string_view doing,
                      const std::function<Result<Done>(Session &)> &body) {
    db.clear_failure();
    store::Transaction tx(db, write);
    if (!tx.begun())
      return failure(db, doing);
    Session session(db, host_clock);
    Result<Done> result = body(session);
    if (!db.ok())
      return failure(db, with_at(doing, session));
    if (!result)
      return result; // rolled back by tx
    if (!tx.commit())
      return failure(db, doing);
    return Done{};
  }

  Error failure(const Database &db, std::string_view doing) const {
    const SqliteFailure &f = db.failure();
    const std::string name = noun() + " " + location_;
    const int code = f.code & 0xff;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
      return store_error("is corrupt (" + f.message + ") while " + std::string(doing) +
                         "; restore it from a backup");
    }
    if (code == SQLITE_FULL) {
      return make_error(AH_INTERNAL, "store_full",
                        name + " is on a full disk while " + std::string(doing) +
                            "; nothing was written (free space on that disk and try again)");
    }
    if (code == SQLITE_BUSY) {
      return make_error(AH_RETRY_LATER, "store_busy",
                        name + " is busy (locked by another process) while " + std::string(doing));
    }
    return store_error("failed while " + std::string(doing) + ": " + f.message);
  }

  std::unique_ptr<Database> db_; // the writer
  std::string location_;
  std::mutex mutex_; // one write transaction at a time on db_
  // Declared after db_, so closed before it: the writer's connection closes last.
  ReadConnections readers_;
};

class PgBackend final : public Backend {
public:
  PgBackend(pg::PoolOptions pool, const BackendOptions &options)
      : Backend(options.noun), location_(pg::redact(pool.connect.url)), pool_(std::move(pool)),
        trust_caller_clock_(options.trust_caller_clock) {}
  Dialect dialect() const noexcept override { return Dialect::postgres; }
  const std::string &location() const noexcept override { return location_; }

  // Connects once, so an unreachable server or a refused login shows at open.
  Result<Done> check_reachable() {
    auto lease = pool_.acquire();
    if (lease)
      return Done{};
    const pg::PgError &e = lease.error();
    if (e.kind == pg::PgFailure::usage)
      return make_error(AH_INVALID_INPUT, "store_location",
                        noun() + " location is malformed: " + e.message);
    return make_error(AH_INTERNAL, "store_unreachable",
                      noun() + " " + location_ + " cannot be reached: " + e.message);
  }

protected:
  Result<Done> run(Transaction kind, std::string_view doing,
                   const std::function<Result<Done>(Session &)> &body) override {
    std::optional<Error> refused; // the body's own error: rolled back, not retried
    std::string at;               // where the body was when a statement failed
    const auto isolation =
        kind == Transaction::read ? pg::Isolation::repeatable_read : pg::Isolation::read_committed;
    auto done = pool_.transaction(isolation, [&](pg::Connection &c) -> pg::PgResult<Done> {
      refused.reset();
      Session session(c, trust_caller_clock_);
      if (kind == Transaction::write)
        session.lock_store();
      Result<Done> result = body(session);
      if (const auto &f = session.failure()) {
        at = session.at();
        return std::get<pg::PgError>(*f);
      }
      if (!result) {
        refused = result.error();
        return pg::PgError{pg::PgFailure::usage, {}, "the transaction body refused"};
      }
      return Done{};
    });
    if (refused)
      return *refused;
    if (!done)
      return pg::to_error(done.error(), noun() + " " + location_ + " failed while " +
                                            std::string(doing) +
                                            (at.empty() ? "" : " (" + at + ")"));
    return Done{};
  }

private:
  std::string location_;
  pg::Pool pool_;
  bool trust_caller_clock_;
};

} // namespace

Error Backend::store_error(std::string_view what) const {
  return make_error(AH_INTERNAL, "store", noun_ + " " + location() + " " + std::string(what));
}

bool is_postgres_location(std::string_view location) noexcept {
  return pg::is_postgres_url(location);
}

Result<Done> check_location(std::string_view location, std::string_view origin) {
  std::string why;
  if (location.empty()) {
    why = "is empty";
  } else if (is_postgres_location(location)) {
    auto loaded = pg::load_libpq();
    if (!loaded)
      return make_error(AH_INTERNAL, "store_location", loaded.error().message);
    const std::string text(location);
    char *parse_error = nullptr;
    if (PQconninfoOption *parsed = pg::libpq().conninfo_parse(text.c_str(), &parse_error)) {
      pg::libpq().conninfo_free(parsed);
      return Done{};
    }
    std::string reason = parse_error != nullptr ? parse_error : "out of memory";
    pg::libpq().freemem(parse_error);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' '))
      reason.pop_back();
    why = "\"" + pg::redact(location) + "\" is not a valid URL: " + pg::scrub(reason, location);
  } else {
    return Done{};
  }
  return make_error(AH_INVALID_INPUT, "store_location",
                    "the store location from " + std::string(origin) + " " + why);
}

std::unique_ptr<Backend> sqlite_backend(std::unique_ptr<Database> db, const fs::path &file,
                                        const BackendOptions &options) {
  return std::make_unique<SqliteBackend>(std::move(db), file, options);
}

Result<std::unique_ptr<Backend>> open_backend(std::string_view location,
                                              const BackendOptions &options) {
  if (location.empty())
    return make_error(AH_INVALID_INPUT, "store_location", options.noun + " location is empty");
  if (is_postgres_location(location)) {
    pg::PoolOptions pool;
    pool.connect.url = std::string(location);
    pool.connect.connect_timeout_s = options.connect_timeout_s;
    pool.connect.statement_timeout_ms = options.statement_timeout_ms;
    pool.size = options.pool_size;
    auto backend = std::make_unique<PgBackend>(std::move(pool), options);
    AH_TRY(backend->check_reachable());
    return std::unique_ptr<Backend>(std::move(backend));
  }
  const fs::path file(location);
  std::error_code ec;
  if (!fs::exists(file, ec) || fs::file_size(file, ec) == 0)
    return make_error(AH_INTERNAL, "store",
                      options.noun + " " + file.string() + " does not exist yet");
  auto db = std::make_unique<Database>(file, false);
  if (!db->ok())
    return make_error(AH_INTERNAL, "store",
                      options.noun + " " + file.string() +
                          " cannot be opened: " + db->failure().message);
  // Per connection: a committed write (a token rotation, a run's outcome) must survive a
  // power cut.
  sqlite3_busy_timeout(db->handle(), options.busy_timeout_ms);
  if (!db->exec("PRAGMA synchronous=FULL"))
    return make_error(AH_INTERNAL, "store",
                      options.noun + " " + file.string() +
                          " cannot be configured: " + db->failure().message);
  return sqlite_backend(std::move(db), file, options);
}

} // namespace autohost::store::sql
