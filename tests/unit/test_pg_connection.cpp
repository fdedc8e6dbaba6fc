// The libpq layer against a real PostgreSQL 15 cluster: connecting, typed parameters and
// results, prepared statements, server errors with SQLSTATE, the statement timeout, a lost
// connection, TLS through the URL, and that no password reaches an error.
#define BOOST_TEST_MODULE pg_connection
#include <boost/test/unit_test.hpp>

#include "pg_test_print.hpp"
#include "store/pg/connection.hpp"

#include "pg_cluster.hpp"

#include <chrono>
#include <limits>
#include <thread>

using namespace autohost::store::pg;
using autohost::test::PgCluster;

namespace {

PgCluster *cluster = nullptr;

autohost::test::PgClusterOptions with_tls() {
  autohost::test::PgClusterOptions options;
  options.tls = true;
  return options;
}

struct ClusterFixture {
  PgCluster instance{with_tls()};
  ClusterFixture() { cluster = &instance; }
  ~ClusterFixture() { cluster = nullptr; }
};

template <class T> std::string why(const PgResult<T> &result) {
  return result ? std::string() : result.error().message;
}

template <class T> T ok(PgResult<T> result) {
  BOOST_REQUIRE_MESSAGE(result.has_value(), why(result));
  return std::move(result).value();
}

ConnectOptions with_url(std::string url) {
  ConnectOptions options;
  options.url = std::move(url);
  options.connect_timeout_s = 5;
  return options;
}

std::unique_ptr<Connection> connect(ConnectOptions options) {
  auto opened = Connection::open(options);
  BOOST_REQUIRE_MESSAGE(opened.has_value(), why(opened));
  return std::move(opened).value();
}

PgError failed(PgResult<Rows> result) {
  BOOST_REQUIRE_MESSAGE(!result, "the statement succeeded");
  return std::move(result).error();
}

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(ClusterFixture);

BOOST_AUTO_TEST_CASE(connects_to_postgresql_15_over_the_socket_and_loopback) {
  for (const std::string &url : {cluster->url(), cluster->tcp_url()}) {
    auto connection = connect(with_url(url));
    Rows rows = ok(connection->execute("SELECT current_setting('server_version_num')::int8"));
    BOOST_TEST(ok(rows.int64(0, 0)) / 10000 == 15);
    BOOST_TEST(connection->backend_pid() > 0);
    BOOST_TEST(connection->usable());
  }
}

BOOST_AUTO_TEST_CASE(text_int8_bytea_and_null_parameters_round_trip) {
  auto connection = connect(with_url(cluster->url()));
  std::string every_byte;
  for (int b = 0; b < 256; ++b)
    every_byte += static_cast<char>(b);
  const std::string text = "Grüße, 'single' \"double\" \\ ✓";
  const std::int64_t low = std::numeric_limits<std::int64_t>::min();
  const std::int64_t high = std::numeric_limits<std::int64_t>::max();
  Rows rows = ok(connection->execute(
      "SELECT $1::text, $2::int8, $3::int8, $4::bytea, $5::text, length($4), $5 IS NULL",
      {std::string_view(text), low, high, Bytea{every_byte}, Null{}}));
  BOOST_REQUIRE(rows.size() == 1);
  BOOST_TEST(rows.text(0, 0) == text);
  BOOST_TEST(ok(rows.int64(0, 1)) == low);
  BOOST_TEST(ok(rows.int64(0, 2)) == high);
  BOOST_TEST(ok(rows.bytea(0, 3)) == every_byte);
  BOOST_TEST(rows.is_null(0, 4));
  BOOST_TEST(ok(rows.int64(0, 5)) == 256);
  BOOST_TEST(ok(rows.boolean(0, 6)));
  const Rows empty = ok(connection->execute("SELECT $1::bytea", {Bytea{}}));
  BOOST_TEST(ok(empty.bytea(0, 0)).empty());
}

BOOST_AUTO_TEST_CASE(reading_a_column_as_the_wrong_type_names_the_column) {
  auto connection = connect(with_url(cluster->url()));
  Rows rows = ok(connection->execute("SELECT 'x'::text AS label, NULL::int8 AS version"));
  const auto as_number = rows.int64(0, 0);
  BOOST_REQUIRE(!as_number);
  BOOST_TEST(as_number.error().kind == PgFailure::usage);
  BOOST_TEST(as_number.error().message.find("\"label\"") != std::string::npos,
             as_number.error().message);
  const auto null = rows.int64(0, 1);
  BOOST_REQUIRE(!null);
  BOOST_TEST(null.error().message.find("(\"version\") of row 0 is NULL") != std::string::npos,
             null.error().message);
  BOOST_TEST(!rows.bytea(0, 0));
  BOOST_TEST(!rows.int64(1, 0)); // no such row
}

BOOST_AUTO_TEST_CASE(text_with_a_nul_byte_is_refused_before_it_is_sent) {
  auto connection = connect(with_url(cluster->url()));
  const PgError error =
      failed(connection->execute("SELECT $1::text", {std::string_view("a\0b", 3)}));
  BOOST_TEST(error.kind == PgFailure::usage);
  BOOST_TEST(error.message.find("$1") != std::string::npos, error.message);
}

BOOST_AUTO_TEST_CASE(a_statement_is_prepared_once_per_connection_and_parameter_types) {
  auto connection = connect(with_url(cluster->url()));
  const std::string_view sql = "SELECT $1::text || 'prepared-once'";
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(ok(connection->execute(sql, {std::string_view("a")})).text(0, 0) ==
               "aprepared-once");
  const auto count = [&] {
    Rows rows = ok(connection->execute(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", {sql}));
    return ok(rows.int64(0, 0));
  };
  BOOST_TEST(count() == 1);
  // Another parameter type is another statement (a NULL is untyped).
  BOOST_TEST(ok(connection->execute(sql, {Null{}})).is_null(0, 0));
  BOOST_TEST(count() == 2);
}

BOOST_AUTO_TEST_CASE(writes_report_the_rows_they_touched) {
  auto connection = connect(with_url(cluster->url()));
  ok(connection->exec("CREATE TABLE touched (id int8 PRIMARY KEY, v text)"));
  for (std::int64_t id = 1; id <= 3; ++id)
    BOOST_TEST(ok(connection->execute("INSERT INTO touched VALUES ($1, 'a')", {id})).affected() ==
               1);
  BOOST_TEST(ok(connection->execute("UPDATE touched SET v = $1 WHERE id >= $2",
                                    {std::string_view("b"), std::int64_t{2}}))
                 .affected() == 2);
  BOOST_TEST(ok(connection->execute("SELECT id FROM touched ORDER BY id")).size() == 3);
}

BOOST_AUTO_TEST_CASE(server_errors_carry_their_sqlstate_and_message) {
  auto connection = connect(with_url(cluster->url()));
  ok(connection->exec("CREATE TABLE unique_keys (k text PRIMARY KEY)"));
  ok(connection->execute("INSERT INTO unique_keys VALUES ($1)", {std::string_view("a")}));
  const PgError duplicate =
      failed(connection->execute("INSERT INTO unique_keys VALUES ($1)", {std::string_view("a")}));
  BOOST_TEST(duplicate.kind == PgFailure::constraint);
  BOOST_TEST(duplicate.sqlstate == "23505");
  BOOST_TEST(duplicate.message.find("unique_keys_pkey") != std::string::npos, duplicate.message);
  const PgError syntax = failed(connection->execute("SELEC 1"));
  BOOST_TEST(syntax.kind == PgFailure::other);
  BOOST_TEST(syntax.sqlstate == "42601");
  BOOST_TEST(syntax.message.find("syntax error") != std::string::npos, syntax.message);
  BOOST_TEST(connection->usable()); // an error in a statement leaves the connection working
  BOOST_TEST(ok(connection->execute("SELECT 1")).size() == 1);
}

BOOST_AUTO_TEST_CASE(the_statement_timeout_cancels_a_slow_statement_and_the_connection_lives) {
  ConnectOptions options = with_url(cluster->url());
  options.statement_timeout_ms = 200;
  auto connection = connect(options);
  const PgError error = failed(connection->execute("SELECT pg_sleep(30)"));
  BOOST_TEST(error.kind == PgFailure::timeout);
  BOOST_TEST(error.sqlstate == "57014");
  BOOST_TEST(error.message.find("statement timeout") != std::string::npos, error.message);
  BOOST_TEST(connection->usable());
  BOOST_TEST(ok(ok(connection->execute("SELECT 7::int8")).int64(0, 0)) == 7);
}

// A host cut off from the network mid-transaction sends nothing more: the server must end
// its session and free the locks it held (the store's write lock) well before TCP would.
BOOST_AUTO_TEST_CASE(a_session_left_idle_in_a_transaction_is_ended_and_its_locks_freed) {
  ConnectOptions options = with_url(cluster->url());
  options.statement_timeout_ms = 600; // idle in a transaction: half of it
  auto holder = connect(options);
  auto other = connect(with_url(cluster->url()));
  ok(holder->exec("BEGIN"));
  ok(holder->execute("SELECT pg_advisory_xact_lock(4242)"));
  const auto taken = [&] {
    return ok(ok(other->execute("SELECT pg_try_advisory_lock(4242)")).boolean(0, 0));
  };
  BOOST_TEST(!taken());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  BOOST_TEST(taken(), "the lock of a session idle in its transaction was never freed");
  BOOST_TEST(ok(ok(other->execute("SELECT pg_advisory_unlock(4242)")).boolean(0, 0)));
  const PgError error = failed(holder->execute("SELECT 1"));
  BOOST_TEST(error.kind == PgFailure::connection, error.message);
}

BOOST_AUTO_TEST_CASE(a_connection_ended_by_the_server_is_reported_as_lost) {
  auto victim = connect(with_url(cluster->url()));
  auto admin = connect(with_url(cluster->url()));
  const std::int64_t pid = victim->backend_pid();
  BOOST_TEST(ok(ok(admin->execute("SELECT pg_terminate_backend($1::int4)", {pid})).boolean(0, 0)));
  const PgError error = failed(victim->execute("SELECT 1"));
  BOOST_TEST(error.kind == PgFailure::connection);
  BOOST_TEST(error.message.find("lost the connection to") != std::string::npos, error.message);
  BOOST_TEST(error.message.find("terminating connection") != std::string::npos, error.message);
  BOOST_TEST(!victim->usable());
}

BOOST_AUTO_TEST_CASE(a_notification_wakes_a_listener_and_silence_times_out) {
  auto listener = connect(with_url(cluster->url()));
  auto sender = connect(with_url(cluster->url()));
  BOOST_REQUIRE(listener->listen("autohost schedules").has_value()); // quoted: spaces are fine
  ok(sender->execute("SELECT pg_notify($1, $2)",
                     {std::string_view("autohost schedules"), std::string_view("generation 7")}));
  const auto woken = ok(listener->wait_for_notification(std::chrono::seconds(30)));
  BOOST_REQUIRE(woken.has_value());
  BOOST_TEST(woken->channel == "autohost schedules");
  BOOST_TEST(woken->payload == "generation 7");
  BOOST_TEST(woken->sender_pid == sender->backend_pid());
  // Another channel does not wake it.
  ok(sender->execute("SELECT pg_notify('elsewhere', '')"));
  BOOST_TEST(!ok(listener->wait_for_notification(std::chrono::milliseconds(200))).has_value());
}

BOOST_AUTO_TEST_CASE(a_listener_whose_connection_ends_gets_an_error_not_silence) {
  auto listener = connect(with_url(cluster->url()));
  auto admin = connect(with_url(cluster->url()));
  BOOST_REQUIRE(listener->listen("autohost_wake").has_value());
  ok(admin->execute("SELECT pg_terminate_backend($1::int4)",
                    {std::int64_t{listener->backend_pid()}}));
  const auto waited = listener->wait_for_notification(std::chrono::seconds(30));
  BOOST_REQUIRE(!waited.has_value());
  BOOST_TEST(waited.error().kind == PgFailure::connection);
  BOOST_TEST(waited.error().message.find("terminating connection") != std::string::npos,
             waited.error().message);
  BOOST_TEST(!listener->usable());
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_is_a_connection_error_naming_it) {
  const std::string url = "postgresql://autohost@/autohost_test?host=/nonexistent-autohost&port=1";
  const auto opened = Connection::open(with_url(url));
  BOOST_REQUIRE(!opened);
  BOOST_TEST(opened.error().kind == PgFailure::connection);
  BOOST_TEST(opened.error().message.find("cannot connect to " + url) != std::string::npos,
             opened.error().message);
}

BOOST_AUTO_TEST_CASE(no_password_appears_in_a_connection_error) {
  const std::string socket = cluster->socket_dir().string();
  const std::string port = std::to_string(cluster->port());
  // A role that does not exist (the server answers), a server that is not there, a
  // malformed URL (libpq quotes the part it could not read), a URL of the wrong scheme.
  const std::vector<std::pair<std::string, PgFailure>> cases = {
      {"postgresql://nobody:pw-s3cret@/autohost_test?host=" + socket + "&port=" + port,
       PgFailure::connection},
      {"postgresql://autohost@/x?host=/nonexistent-autohost&password=pw-s3cret",
       PgFailure::connection},
      {"postgresql://autohost:pw-s3cret%zz@localhost/x", PgFailure::usage},
      {"postgresql://autohost@localhost/x?password=pw-s3cret&bogus=1", PgFailure::usage},
      {"mysql://autohost:pw-s3cret@localhost/x", PgFailure::usage},
  };
  for (const auto &[url, kind] : cases) {
    const auto opened = Connection::open(with_url(url));
    BOOST_REQUIRE(!opened);
    BOOST_TEST((opened.error().kind == kind), url << ": " << opened.error().message);
    BOOST_TEST(opened.error().message.find("s3cret") == std::string::npos, opened.error().message);
    BOOST_TEST(opened.error().message.find("***") != std::string::npos, opened.error().message);
  }
}

BOOST_AUTO_TEST_CASE(tls_settings_in_the_url_reach_libpq) {
  // verify-full: the server's certificate is checked against the CA and the host name.
  const std::string base = "postgresql://autohost@localhost:" + std::to_string(cluster->port()) +
                           "/autohost_test?sslmode=verify-full&sslrootcert=";
  auto secure = connect(with_url(base + cluster->ca_file().string()));
  BOOST_TEST(
      ok(secure->execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).text(0, 0) ==
      "t");
  // Another CA: the same server is refused.
  const auto wrong_ca = Connection::open(with_url(base + "/etc/ssl/certs/ca-certificates.crt"));
  BOOST_REQUIRE(!wrong_ca);
  BOOST_TEST(wrong_ca.error().kind == PgFailure::connection);
  BOOST_TEST(wrong_ca.error().message.find("certificate verify failed") != std::string::npos,
             wrong_ca.error().message);
  // The certificate names localhost and 127.0.0.1, not the name asked for.
  const auto wrong_name = Connection::open(
      with_url("postgresql://autohost@db.invalid:" + std::to_string(cluster->port()) +
               "/autohost_test?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=" +
               cluster->ca_file().string()));
  BOOST_REQUIRE(!wrong_name);
  BOOST_TEST(wrong_name.error().message.find("does not match host name \"db.invalid\"") !=
                 std::string::npos,
             wrong_name.error().message);
}
