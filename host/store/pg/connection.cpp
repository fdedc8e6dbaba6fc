// One libpq connection: connecting, prepared statements with typed parameters, results.
#include "store/pg/connection.hpp"

#include "store/pg/libpq.hpp"
#include "store/pg/pg_url.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <vector>

namespace autohost::store::pg {
namespace {

// Type OIDs from pg_type.h (stable across server versions; the server headers are not
// part of libpq-dev).
constexpr Oid bool_oid = 16;
constexpr Oid bytea_oid = 17;
constexpr Oid int8_oid = 20;
constexpr Oid int2_oid = 21;
constexpr Oid int4_oid = 23;
constexpr Oid text_oid = 25;

// One letter per parameter type, part of the prepared statement's key.
char type_letter(const Param &param) {
  constexpr std::array<char, 4> letters{'n', 't', 'i', 'b'};
  return letters[param.index()];
}

Oid type_oid(const Param &param) {
  constexpr std::array<Oid, 4> oids{0, text_oid, int8_oid, bytea_oid};
  return oids[param.index()];
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

} // namespace

void Rows::Free::operator()(pg_result *result) const noexcept { libpq().clear(result); }

Rows::Rows(pg_result *result) noexcept : result_(result) {}
Rows::~Rows() = default;

int Rows::size() const noexcept { return libpq().ntuples(result_.get()); }
int Rows::columns() const noexcept { return libpq().nfields(result_.get()); }

std::int64_t Rows::affected() const noexcept {
  std::int64_t n = 0;
  const std::string_view tuples = libpq().cmd_tuples(result_.get());
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), n);
  return n;
}

bool Rows::is_null(int row, int column) const noexcept {
  return libpq().getisnull(result_.get(), row, column) != 0;
}

std::string_view Rows::text(int row, int column) const noexcept {
  if (row >= size() || column >= columns())
    return {};
  return {libpq().getvalue(result_.get(), row, column),
          static_cast<std::size_t>(libpq().getlength(result_.get(), row, column))};
}

PgError Rows::wrong_column(int row, int column, std::string_view expected) const {
  std::string what = "column " + std::to_string(column);
  if (column < columns())
    what += " (\"" + std::string(libpq().fname(result_.get(), column)) + "\")";
  std::string message = what + " of row " + std::to_string(row);
  if (row >= size() || column >= columns())
    message += " does not exist";
  else if (is_null(row, column))
    message += " is NULL, expected " + std::string(expected);
  else
    message += " is not " + std::string(expected) + " (type oid " +
               std::to_string(libpq().ftype(result_.get(), column)) + ")";
  return PgError{PgFailure::usage, {}, message};
}

PgResult<std::int64_t> Rows::int64(int row, int column) const {
  const bool exists = row < size() && column < columns();
  const Oid type = exists ? libpq().ftype(result_.get(), column) : 0;
  if (!exists || is_null(row, column) || (type != int8_oid && type != int4_oid && type != int2_oid))
    return wrong_column(row, column, "an integer");
  std::int64_t value = 0;
  const std::string_view digits = text(row, column);
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

PgResult<std::string> Rows::bytea(int row, int column) const {
  if (row >= size() || column >= columns() || is_null(row, column) ||
      libpq().ftype(result_.get(), column) != bytea_oid)
    return wrong_column(row, column, "bytea");
  std::size_t length = 0;
  unsigned char *bytes = libpq().unescape_bytea(
      reinterpret_cast<const unsigned char *>(libpq().getvalue(result_.get(), row, column)),
      &length);
  if (bytes == nullptr)
    return PgError{PgFailure::other, {}, "out of memory decoding a bytea column"};
  std::string value(reinterpret_cast<const char *>(bytes), length);
  libpq().freemem(bytes);
  return value;
}

PgResult<bool> Rows::boolean(int row, int column) const {
  if (row >= size() || column >= columns() || is_null(row, column) ||
      libpq().ftype(result_.get(), column) != bool_oid)
    return wrong_column(row, column, "a boolean");
  return text(row, column) == "t";
}

PgResult<std::unique_ptr<Connection>> Connection::open(const ConnectOptions &options) {
  const std::string redacted = redact(options.url);
  if (!is_postgres_url(options.url))
    return PgError{
        PgFailure::usage, {}, "\"" + redacted + "\" is not a postgresql:// or postgres:// URL"};
  AH_TRY(load_libpq());
  // Defaults first: values in the URL (expanded from dbname) override them. Keepalives
  // let a host notice a server that vanished from the network, and vice versa; keepalives
  // stop once a query is unanswered, so tcp_user_timeout bounds that wait (without it a
  // host cut off mid-query waits out the kernel's retransmissions, about 15 minutes).
  const std::string timeout = std::to_string(options.connect_timeout_s);
  const std::array<const char *, 9> keywords{"connect_timeout",
                                             "fallback_application_name",
                                             "keepalives_idle",
                                             "keepalives_interval",
                                             "keepalives_count",
                                             "tcp_user_timeout",
                                             "client_encoding",
                                             "dbname",
                                             nullptr};
  const std::array<const char *, 9> values{
      timeout.c_str(), "autohost", "30", "10", "3", "30000", "UTF8", options.url.c_str(), nullptr};
  // A malformed URL is bad input, told apart from a server that cannot be reached.
  char *parse_error = nullptr;
  if (PQconninfoOption *parsed = libpq().conninfo_parse(options.url.c_str(), &parse_error)) {
    libpq().conninfo_free(parsed);
  } else {
    std::string why = parse_error != nullptr ? trimmed(parse_error) : "out of memory";
    libpq().freemem(parse_error);
    return PgError{PgFailure::usage,
                   {},
                   "\"" + redacted + "\" is not a valid URL: " + scrub(why, options.url)};
  }
  PGconn *conn = libpq().connectdb_params(keywords.data(), values.data(), 1);
  if (conn == nullptr)
    return PgError{PgFailure::connection, {}, "out of memory connecting to " + redacted};
  std::unique_ptr<Connection> connection(new Connection(conn, options.url));
  if (libpq().status(conn) != CONNECTION_OK)
    return PgError{PgFailure::connection, "08001",
                   "cannot connect to " + redacted + ": " +
                       scrub(trimmed(libpq().error_message(conn)), options.url)};
  libpq().set_notice_receiver(conn, Connection::receive_notice, connection.get());
  // The server also ends a session idle inside a transaction for half the statement
  // timeout: a host that vanished mid-transaction (its machine cut off) must not hold the
  // store's write lock, which every other host waits for, until TCP gives up hours later.
  // The host waits on nothing but the server inside a transaction.
  if (options.statement_timeout_ms > 0) {
    auto set =
        connection->exec("SET statement_timeout = " + std::to_string(options.statement_timeout_ms) +
                         "; SET idle_in_transaction_session_timeout = " +
                         std::to_string(std::max(options.statement_timeout_ms / 2, 1)));
    if (!set)
      return std::move(set).error();
  }
  return connection;
}

Connection::Connection(pg_conn *conn, std::string url)
    : conn_(conn), url_(std::move(url)), redacted_url_(redact(url_)) {}

Connection::~Connection() { libpq().finish(conn_); }

bool Connection::usable() const noexcept {
  return libpq().status(conn_) == CONNECTION_OK && !ended_by_server_;
}

void Connection::receive_notice(void *self, const pg_result *notice) {
  // libpq prints notices on stderr, the host's JSON log stream, unless told otherwise; they
  // are dropped here. A FATAL that arrives while idle (libpq passes it on as a notice)
  // means the server ended this connection.
  const char *severity = libpq().result_error_field(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity == nullptr ||
      (std::string_view(severity) != "FATAL" && std::string_view(severity) != "PANIC"))
    return;
  auto *connection = static_cast<Connection *>(self);
  connection->ended_by_server_ = true;
  if (const char *message = libpq().result_error_field(notice, PG_DIAG_MESSAGE_PRIMARY))
    connection->ended_because_ = message;
}

bool Connection::in_transaction() const noexcept {
  const PGTransactionStatusType status = libpq().transaction_status(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

bool Connection::transaction_failed() const noexcept {
  return libpq().transaction_status(conn_) == PQTRANS_INERROR;
}

void Connection::poll() noexcept {
  // An idle connection has nothing to read unless the server sent something: a
  // notification, or the FATAL error (and then the end of stream) of a backend that was
  // ended. PQisBusy parses what was read, which hands such a FATAL to receive_notice.
  for (int reads = 0; reads < 8 && usable(); ++reads) {
    pollfd ready{libpq().socket(conn_), POLLIN, 0};
    if (::poll(&ready, 1, 0) <= 0 || libpq().consume_input(conn_) == 0)
      break;
    (void)libpq().is_busy(conn_);
  }
}

int Connection::backend_pid() const noexcept { return libpq().backend_pid(conn_); }

PgError Connection::failure(pg_result *result, std::string_view doing) const {
  std::string sqlstate;
  std::string message;
  if (result != nullptr) {
    if (const char *s = libpq().result_error_field(result, PG_DIAG_SQLSTATE))
      sqlstate = s;
    if (const char *m = libpq().result_error_field(result, PG_DIAG_MESSAGE_PRIMARY))
      message = m;
  }
  if (message.empty())
    message = trimmed(libpq().error_message(conn_));
  if (message.empty())
    message = ended_because_;
  PgFailure kind = failure_of(sqlstate);
  if (!usable()) {
    kind = PgFailure::connection;
    if (sqlstate.empty())
      sqlstate = "08006";
    message = "lost the connection to " + redacted_url_ + ": " + message;
  }
  return PgError{kind, std::move(sqlstate), scrub(std::string(doing) + message, url_)};
}

PgResult<Rows> Connection::exec(std::string_view sql) {
  Rows rows(libpq().exec(conn_, std::string(sql).c_str()));
  const ExecStatusType status = libpq().result_status(rows.result_.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return failure(rows.result_.get(), "");
  return rows;
}

PgResult<Done> Connection::listen(std::string_view channel) {
  char *quoted = libpq().escape_identifier(conn_, channel.data(), channel.size());
  if (quoted == nullptr)
    return failure(nullptr, "quoting a channel name: ");
  const std::string sql = "LISTEN " + std::string(quoted);
  libpq().freemem(quoted);
  AH_TRY(exec(sql));
  return Done{};
}

std::optional<Notification> Connection::take_notification() {
  PGnotify *notify = libpq().notifies(conn_);
  if (notify == nullptr)
    return std::nullopt;
  Notification n{notify->relname, notify->extra != nullptr ? notify->extra : "", notify->be_pid};
  libpq().freemem(notify);
  return n;
}

PgResult<std::optional<Notification>>
Connection::wait_for_notification(std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  while (true) {
    if (auto n = take_notification())
      return n;
    if (!usable())
      return failure(nullptr, "waiting for a notification: ");
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    pollfd ready{libpq().socket(conn_), POLLIN, 0};
    const int polled = ::poll(&ready, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (polled == 0 || (polled < 0 && errno == EINTR))
      return std::optional<Notification>();
    if (polled < 0 || libpq().consume_input(conn_) == 0)
      return failure(nullptr, "waiting for a notification: ");
    (void)libpq().is_busy(conn_); // parses: notifications, or a FATAL from the server
  }
}

PgResult<std::string> Connection::prepared_name(std::string_view sql,
                                                std::span<const Param> params) {
  std::string key(sql);
  key += '\0';
  std::vector<Oid> types;
  for (const Param &param : params) {
    key += type_letter(param);
    types.push_back(type_oid(param));
  }
  if (auto found = prepared_.find(key); found != prepared_.end())
    return found->second;
  std::string name = "ah_" + std::to_string(prepared_.size() + 1);
  Rows rows(libpq().prepare(conn_, name.c_str(), std::string(sql).c_str(),
                            static_cast<int>(types.size()), types.data()));
  if (libpq().result_status(rows.result_.get()) != PGRES_COMMAND_OK)
    return failure(rows.result_.get(), "preparing a statement: ");
  prepared_.emplace(std::move(key), name);
  return name;
}

PgResult<Rows> Connection::execute(std::string_view sql, std::span<const Param> params) {
  AH_TRY_DECLARE(name, prepared_name(sql, params));
  const std::size_t n = params.size();
  std::vector<std::string> held(n); // NUL-terminated copies, alive for the call
  std::vector<const char *> values(n, nullptr);
  std::vector<int> lengths(n, 0);
  std::vector<int> formats(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (const auto *text = std::get_if<std::string_view>(&params[i])) {
      if (text->find('\0') != std::string_view::npos)
        return PgError{PgFailure::usage,
                       {},
                       "parameter $" + std::to_string(i + 1) +
                           " is text with a NUL byte; PostgreSQL text cannot hold one"};
      held[i] = *text;
      values[i] = held[i].c_str();
    } else if (const auto *number = std::get_if<std::int64_t>(&params[i])) {
      held[i] = std::to_string(*number);
      values[i] = held[i].c_str();
    } else if (const auto *bytes = std::get_if<Bytea>(&params[i])) {
      values[i] = bytes->bytes.data() != nullptr ? bytes->bytes.data() : "";
      lengths[i] = static_cast<int>(bytes->bytes.size());
      formats[i] = 1; // binary: the bytes as they are
    }
  }
  Rows rows(libpq().exec_prepared(conn_, name.c_str(), static_cast<int>(n), values.data(),
                                  lengths.data(), formats.data(), 0));
  const ExecStatusType status = libpq().result_status(rows.result_.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return failure(rows.result_.get(), "");
  return rows;
}

} // namespace autohost::store::pg
