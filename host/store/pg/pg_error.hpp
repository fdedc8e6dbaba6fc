// A PostgreSQL failure as a value: what kind it is (what the caller can do) and SQLSTATE.
#pragma once

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace autohost::store::pg {

enum class PgFailure {
  connection,     // no connection, or it was lost (08xxx, 57P01-03): retry on a new one
  timeout,        // the statement timeout cancelled it (57014); the connection is still usable
  retryable,      // serialization failure or deadlock (40001, 40P01): run the transaction again
  constraint,     // a unique, foreign-key or check constraint refused the write (23xxx)
  usage,          // a bad URL, a parameter or column of the wrong type: a bug or bad input
  unknown_commit, // the connection was lost during COMMIT: the outcome is not known
  other,
};

// `message` never holds a password (see pg_url.hpp); `sqlstate` is empty when the failure
// did not come from the server (a bad URL, a column read as the wrong type).
struct PgError {
  PgFailure kind = PgFailure::other;
  std::string sqlstate;
  std::string message;

  bool retryable() const noexcept { return kind == PgFailure::retryable; }
};

template <class T> using PgResult = Result<T, PgError>;

// The kind's name for logs and test output: "connection", "timeout"...
std::string_view failure_name(PgFailure kind) noexcept;

// The kind of failure a SQLSTATE stands for.
PgFailure failure_of(std::string_view sqlstate) noexcept;

// The store's Error for a failure while `doing` something: connection, timeout,
// serialization failures and an unknown COMMIT outcome are retry_later (every store write
// is a compare-and-set, so trying again is safe), constraint failures conflict, the rest
// internal.
// The message is "<doing>: <message> (SQLSTATE xxxxx)".
Error to_error(const PgError &error, std::string_view doing);

} // namespace autohost::store::pg
