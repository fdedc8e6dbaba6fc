// Thin RAII over libpq: one connection, prepared statements with typed parameters, results.
#pragma once

#include "store/pg/pg_error.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

struct pg_conn;
struct pg_result;

namespace autohost::store::pg {

// SQL NULL as a parameter.
struct Null {};
// Bytes for a bytea parameter (sent in binary: no escaping, NUL bytes allowed).
struct Bytea {
  std::string_view bytes;
};
// A statement parameter: text, int8, bytea or NULL. Text and bytes are borrowed for the call.
using Param = std::variant<Null, std::string_view, std::int64_t, Bytea>;

// The rows of a result, in libpq's text format. Readers check the column's type and NULL,
// so a schema that drifted from the code gives an error naming the column, not garbage.
class Rows {
public:
  explicit Rows(pg_result *result) noexcept;
  Rows(Rows &&) noexcept = default;
  Rows &operator=(Rows &&) noexcept = default;
  ~Rows();

  int size() const noexcept;
  int columns() const noexcept;
  // Rows inserted, updated or deleted by the statement (0 for others).
  std::int64_t affected() const noexcept;
  bool is_null(int row, int column) const noexcept;
  // Any column as text ("" for NULL).
  std::string_view text(int row, int column) const noexcept;
  // An int2/int4/int8 column that is not NULL.
  PgResult<std::int64_t> int64(int row, int column) const;
  // A bytea column that is not NULL, decoded.
  PgResult<std::string> bytea(int row, int column) const;
  // A boolean column that is not NULL.
  PgResult<bool> boolean(int row, int column) const;

private:
  friend class Connection;
  PgError wrong_column(int row, int column, std::string_view expected) const;
  struct Free {
    void operator()(pg_result *result) const noexcept;
  };
  std::unique_ptr<pg_result, Free> result_;
};

// A NOTIFY received on a channel the connection listens to.
struct Notification {
  std::string channel;
  std::string payload;
  int sender_pid = 0; // the server process of the connection that sent it
};

struct ConnectOptions {
  // postgresql://... or postgres://...; sslmode, sslrootcert, options... pass through to libpq.
  std::string url;
  // Applied unless the URL sets connect_timeout itself.
  int connect_timeout_s = 10;
  // SET statement_timeout on every new connection; 0 leaves the server's setting.
  int statement_timeout_ms = 30000;
};

// One server connection, used by one thread at a time. Statements run through execute()
// are prepared once per connection (per SQL text and parameter types) and reused.
class Connection {
public:
  // Connects; an error names the server by the redacted URL, never with its password.
  static PgResult<std::unique_ptr<Connection>> open(const ConnectOptions &options);
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  ~Connection();

  // Runs one statement with parameters ($1, $2...) as a prepared statement.
  PgResult<Rows> execute(std::string_view sql, std::span<const Param> params = {});
  PgResult<Rows> execute(std::string_view sql, std::initializer_list<Param> params) {
    return execute(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Runs SQL text without parameters and without preparing it (BEGIN, SET, several
  // statements separated by ';'). Returns the last statement's rows.
  PgResult<Rows> exec(std::string_view sql);

  // LISTEN on `channel` (quoted as an identifier, so any text is a valid channel name).
  PgResult<Done> listen(std::string_view channel);
  // The next notification for a channel this connection listens to, waiting up to
  // `timeout` for one; nullopt when none came in time or a signal interrupted the wait (the
  // caller looks at its own state and waits again). A connection lost while waiting is a
  // PgFailure::connection error, never a silent nullopt, so a listener cannot miss wake-ups
  // without knowing.
  PgResult<std::optional<Notification>> wait_for_notification(std::chrono::milliseconds timeout);

  // False once the connection was lost: it is of no further use.
  bool usable() const noexcept;
  // True between BEGIN and COMMIT/ROLLBACK (also when the transaction already failed).
  bool in_transaction() const noexcept;
  // True inside a transaction that a failed statement aborted (only ROLLBACK is accepted).
  bool transaction_failed() const noexcept;
  // Reads what the server sent while the connection was idle, so a connection the server
  // ended meanwhile shows as unusable without a statement failing first.
  void poll() noexcept;
  // The server process id (for pg_terminate_backend and logs).
  int backend_pid() const noexcept;
  pg_conn *handle() const noexcept { return conn_; }
  const std::string &redacted_url() const noexcept { return redacted_url_; }

private:
  Connection(pg_conn *conn, std::string url);
  static void receive_notice(void *self, const pg_result *notice);
  PgError failure(pg_result *result, std::string_view doing) const;
  std::optional<Notification> take_notification();
  PgResult<std::string> prepared_name(std::string_view sql, std::span<const Param> params);

  pg_conn *conn_ = nullptr;
  bool ended_by_server_ = false; // a FATAL arrived while idle
  std::string ended_because_;    // its message
  std::string url_;              // for scrubbing libpq's messages; never shown
  std::string redacted_url_;
  std::map<std::string, std::string, std::less<>> prepared_; // SQL + types -> statement name
};

} // namespace autohost::store::pg
