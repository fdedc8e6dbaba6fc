// One SQL text for SQLite and PostgreSQL: a Session (one connection inside a transaction)
// and its Statements, with SQLite's numbered ?N placeholders on both.
#pragma once

#include "store/pg/connection.hpp"
#include "store/sqlite.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace autohost::store::sql {

enum class Dialect { sqlite, postgres };

// The advisory lock PostgreSQL write transactions take first ('AHST' + 1): writers of one
// store run one at a time across all hosts, as SQLite's write lock makes them. Claims and
// outcomes of runs do without it (Backend::write_rows): row locks keep them apart.
inline constexpr std::int64_t write_lock_key = 0x4148535400000001;

// Milliseconds since the Unix epoch on the store's clock (see Session::now()).
using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

// Why a Session's statement failed: SQLite's result code or PostgreSQL's error. The Backend
// turns it into the store's Error once the transaction body returns.
using Failure = std::variant<SqliteFailure, pg::PgError>;

class Statement;

// One connection inside one transaction, lent to a Backend::write/read body. Like
// store::Database it remembers the first failure: statements after it do nothing, and the
// Backend reports it (and rolls back, or runs the body again where PostgreSQL allows).
class Session {
public:
  Session(Database &db, TimePoint (*clock)()) noexcept;
  Session(pg::Connection &connection, bool trust_caller_clock) noexcept;
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  Dialect dialect() const noexcept {
    return sqlite_ != nullptr ? Dialect::sqlite : Dialect::postgres;
  }
  bool ok() const noexcept;
  const std::optional<Failure> &failure() const noexcept { return failure_; }

  // Runs SQL without parameters or results (DDL; several statements separated by ';').
  // Returns false and records the failure on error.
  bool exec(std::string_view sql);

  // The instant this transaction's decisions use. SQLite: `caller` (the host's clock, or the
  // instant a test passes). PostgreSQL: the database's clock_timestamp(), read once per
  // transaction so every decision in it sees one instant and hosts with skewed clocks agree;
  // `caller` only when the backend was opened with trust_caller_clock (contract tests that
  // travel in time).
  TimePoint now(TimePoint caller);
  // now() with the host's clock as the caller's instant.
  TimePoint now();

  // Takes the store-wide write lock (PostgreSQL: pg_advisory_xact_lock(write_lock_key), held
  // to the end of the transaction; once per transaction). SQLite: nothing, its write
  // transactions hold the file's lock from the start.
  void lock_store();

  // What the body is at ("at 'd/boom'"): added to the error the Backend reports when a
  // statement fails after this call.
  void at(std::string where) { at_ = std::move(where); }
  const std::string &at() const noexcept { return at_; }

  // For the Backend.
  void fail(Failure failure);
  Database *sqlite() const noexcept { return sqlite_; }
  pg::Connection *postgres() const noexcept { return pg_; }

private:
  Database *sqlite_ = nullptr;
  pg::Connection *pg_ = nullptr;
  TimePoint (*clock_)() = nullptr;
  bool trust_caller_clock_ = false;
  bool store_locked_ = false;
  std::optional<TimePoint> db_now_;
  std::optional<Failure> failure_;
  std::string at_;
};

// A statement with bound values, store::Statement's surface on both engines. Write the
// portable subset: ?N placeholders, INSERT ... ON CONFLICT, RETURNING, COALESCE, CAST; bind
// each value with the type its column has (integers as int64, BLOB/bytea with bind_blob).
// On PostgreSQL the statement runs (prepared, cached per connection) at the first step().
class Statement {
public:
  Statement(Session &session, std::string_view sql);
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;
  ~Statement();

  Statement &bind(int index, std::string_view text);
  Statement &bind_blob(int index, std::string_view bytes);
  Statement &bind(int index, std::int64_t value);
  Statement &bind_null(int index);

  // Steps once: true when a row is available, false when done or failed (see session.ok()).
  bool step();
  // Integers; a boolean column reads as 0 or 1 (SQLite has no booleans).
  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;
  bool column_is_null(int index) const;
  // Rows the last step() of an INSERT, UPDATE or DELETE changed.
  std::int64_t changes() const;

private:
  // A bound value, owned until the statement runs.
  struct Blob {
    std::string bytes;
  };
  using Value = std::variant<pg::Null, std::string, std::int64_t, Blob>;
  Value &slot(int index);
  bool run_postgres();
  void column_failure(const pg::PgError &error) const;

  Session &session_;
  std::optional<store::Statement> sqlite_;
  std::int64_t sqlite_changes_ = 0;
  std::string pg_sql_;
  std::vector<Value> values_;
  std::optional<pg::Rows> rows_;
  int row_ = -1;
};

// `sql` with each ?N written as $N (PostgreSQL), leaving quoted text and identifiers alone.
std::string postgres_placeholders(std::string_view sql);

} // namespace autohost::store::sql
