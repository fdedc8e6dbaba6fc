// The daemon's wake-up source on PostgreSQL against a real cluster: a NOTIFY on the wake
// channel wakes it and other channels do not; a backend killed with pg_terminate_backend
// and a server restart are survived by reconnecting; an unreachable server is retried with
// bounded, jittered backoff and logged once per outage. Also the backoff itself.
#define BOOST_TEST_MODULE pg_wake
#include <boost/test/unit_test.hpp>

#include "daemon/pg_wake.hpp"
#include "daemon/reconnect_backoff.hpp"
#include "daemon/wake_source.hpp"

#include "pg_cluster.hpp"

#include <poll.h>

#include <cstdio>
#include <set>
#include <thread>

using namespace autohost::daemon;
using autohost::test::PgCluster;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// A logger into a temporary file, read back as text.
struct CapturedLog {
  std::FILE *file = std::tmpfile();
  autohost::host::Logger logger{file, AH_LOG_DEBUG};
  ~CapturedLog() { std::fclose(file); }
  std::string text() const {
    std::fflush(file);
    std::rewind(file);
    std::string all;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;)
      all.append(buffer, n);
    std::fseek(file, 0, SEEK_END);
    return all;
  }
  int count(const std::string &needle) const {
    const std::string all = text();
    int n = 0;
    for (auto at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1))
      ++n;
    return n;
  }
};

// Whether the source's descriptor becomes readable within `bound`.
bool readable_within(const WakeSource &source, milliseconds bound) {
  if (source.fd() < 0)
    return false;
  pollfd p{source.fd(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(bound.count())) > 0;
}

// Calls drain() when the source asks for it, until it listens again or `bound` passed.
bool reconnected_within(PgWake &wake, milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (!wake.listening() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(wake.due_in().value_or(0ms));
    wake.drain();
  }
  return wake.listening();
}

PgWakeOptions options_for(const std::string &url) {
  PgWakeOptions options;
  options.url = url;
  options.first_retry = 100ms;
  options.max_retry = 800ms;
  options.connect_timeout_s = 2;
  return options;
}

// The listener's server process (the only other client backend of the cluster).
std::string listener_pid(const PgCluster &cluster) {
  return cluster.psql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' "
                      "AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
}

} // namespace

BOOST_AUTO_TEST_CASE(the_location_chooses_the_source) {
  BOOST_TEST(is_postgres_location("postgresql://db.example/autohost"));
  BOOST_TEST(is_postgres_location("postgres://db.example/autohost"));
  BOOST_TEST(!is_postgres_location("/var/lib/autohost/store.db"));
  BOOST_TEST(!is_postgres_location("postgresql.db"));
}

BOOST_AUTO_TEST_CASE(a_notify_on_the_wake_channel_wakes_and_another_channel_does_not) {
  PgCluster cluster;
  CapturedLog log;
  PgWake wake(options_for(cluster.url()), log.logger);
  BOOST_REQUIRE_MESSAGE(wake.listening(), wake.problem());
  BOOST_TEST(!wake.due_in().has_value());
  BOOST_TEST(wake.problem().empty());

  cluster.psql("NOTIFY other_channel");
  if (readable_within(wake, 500ms))
    BOOST_TEST(!wake.drain(), "a notification on another channel woke the daemon");

  cluster.psql(std::string("NOTIFY ") + wake_channel);
  BOOST_REQUIRE(readable_within(wake, 10'000ms));
  BOOST_TEST(wake.drain());
  BOOST_TEST(!wake.drain(), "one notification woke the daemon twice");
  BOOST_TEST(log.text().empty(), log.text());
}

BOOST_AUTO_TEST_CASE(a_terminated_backend_is_replaced_and_the_loss_logged_once) {
  PgCluster cluster;
  CapturedLog log;
  PgWake wake(options_for(cluster.url()), log.logger);
  BOOST_REQUIRE_MESSAGE(wake.listening(), wake.problem());
  const std::string pid = listener_pid(cluster);
  BOOST_REQUIRE(!pid.empty());
  BOOST_TEST(cluster.psql("SELECT pg_terminate_backend(" + pid + ")") == "t\n");

  BOOST_REQUIRE(readable_within(wake, 10'000ms));
  // What was notified just before the loss is unknown: the daemon must look at the store.
  BOOST_TEST(wake.drain());
  BOOST_TEST(!wake.listening());
  BOOST_TEST(wake.fd() == -1);
  BOOST_TEST(wake.due_in().value() <= 800ms);
  BOOST_TEST(wake.problem().find("not listening") != std::string::npos, wake.problem());

  BOOST_REQUIRE(reconnected_within(wake, 10'000ms));
  BOOST_TEST(listener_pid(cluster) != pid);
  cluster.psql(std::string("NOTIFY ") + wake_channel);
  BOOST_REQUIRE(readable_within(wake, 10'000ms));
  BOOST_TEST(wake.drain());
  BOOST_TEST(log.count("store notifications lost; reconnecting") == 1, log.text());
  BOOST_TEST(log.count("store notifications are back") == 1, log.text());
}

BOOST_AUTO_TEST_CASE(a_restarted_server_is_listened_to_again) {
  PgCluster cluster;
  CapturedLog log;
  PgWake wake(options_for(cluster.url()), log.logger);
  BOOST_REQUIRE_MESSAGE(wake.listening(), wake.problem());
  cluster.restart();
  BOOST_REQUIRE(readable_within(wake, 10'000ms));
  BOOST_TEST(wake.drain());
  BOOST_REQUIRE(reconnected_within(wake, 20'000ms));
  cluster.psql(std::string("NOTIFY ") + wake_channel);
  BOOST_REQUIRE(readable_within(wake, 10'000ms));
  BOOST_TEST(wake.drain());
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_is_retried_with_backoff_and_logged_once) {
  std::string url;
  {
    PgCluster gone; // its socket directory and port are free once it is destroyed
    url = gone.url();
  }
  CapturedLog log;
  PgWake wake(options_for(url + "&password=hunter2-secret"), log.logger);
  BOOST_TEST(!wake.listening());
  BOOST_TEST(wake.fd() == -1);
  BOOST_TEST(!wake.problem().empty());
  milliseconds longest{0};
  for (int attempt = 0; attempt < 6; ++attempt) {
    const milliseconds due = wake.due_in().value();
    BOOST_TEST(due <= 800ms);
    longest = std::max(longest, due);
    std::this_thread::sleep_for(due);
    BOOST_TEST(!wake.drain());
  }
  BOOST_TEST(longest >= 200ms, "the retries did not back off");
  BOOST_TEST(log.count("store notifications lost; reconnecting") == 1, log.text());
  BOOST_TEST(log.text().find("hunter2-secret") == std::string::npos, log.text());
  BOOST_TEST(wake.problem().find("hunter2-secret") == std::string::npos, wake.problem());
}

BOOST_AUTO_TEST_CASE(the_backoff_doubles_up_to_its_cap_with_jitter_and_resets) {
  ReconnectBackoff backoff(100ms, 1000ms);
  const milliseconds ceilings[] = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms};
  for (const auto ceiling : ceilings) {
    const auto wait = backoff.next();
    BOOST_TEST(wait.count() >= ceiling.count() / 2);
    BOOST_TEST(wait.count() <= ceiling.count());
  }
  std::set<std::int64_t> seen;
  for (int i = 0; i < 50; ++i)
    seen.insert(backoff.next().count());
  BOOST_TEST(seen.size() > 10u, "no jitter: the same wait again and again");
  BOOST_TEST(*seen.rbegin() <= 1000);
  backoff.reset();
  BOOST_TEST(backoff.next().count() <= 100);
}

BOOST_AUTO_TEST_CASE(the_store_clock_is_the_databases_and_asking_it_loses_no_wake_up) {
  PgCluster cluster;
  CapturedLog log;
  PgWakeOptions options = options_for(cluster.url());
  options.clock_every = 0ms; // every call asks the database
  PgWake wake(options, log.logger);
  BOOST_REQUIRE_MESSAGE(wake.listening(), wake.problem());
  const auto host_now = [] {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  // The database runs on this machine's clock: a host clock 300 s ahead is 300 s off.
  const auto offset = wake.store_clock_offset(host_now() + 300'000);
  BOOST_REQUIRE(offset.has_value());
  BOOST_TEST(offset->count() > -301'000);
  BOOST_TEST(offset->count() < -299'000);
  BOOST_TEST(std::abs(wake.store_clock_offset(host_now()).value().count()) < 1000);

  // A notification that arrives while the clock is asked is read with its answer.
  cluster.psql(std::string("NOTIFY ") + wake_channel);
  std::this_thread::sleep_for(200ms); // it is on the connection now
  BOOST_REQUIRE(wake.store_clock_offset(host_now()).has_value());
  BOOST_TEST(wake.due_in().value_or(1h) == 0ms, "the wake-up was swallowed");
  BOOST_TEST(wake.drain());
  BOOST_TEST(!wake.due_in().has_value());
  BOOST_TEST(!wake.drain());
}

BOOST_AUTO_TEST_CASE(the_store_clock_is_asked_once_per_interval) {
  PgCluster cluster;
  CapturedLog log;
  PgWake wake(options_for(cluster.url()), log.logger); // the default: every 30 s
  BOOST_REQUIRE_MESSAGE(wake.listening(), wake.problem());
  const auto host_now = [] {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  BOOST_REQUIRE(wake.store_clock_offset(host_now() + 300'000).has_value());
  // Between reads the offset is counted on, not asked: a notification stays on the socket
  // (a query would have taken it in) and a host clock 300 s ahead is still 300 s off.
  cluster.psql(std::string("NOTIFY ") + wake_channel);
  std::this_thread::sleep_for(200ms);
  const auto offset = wake.store_clock_offset(host_now() + 300'000);
  BOOST_REQUIRE(offset.has_value());
  BOOST_TEST(offset->count() > -301'000);
  BOOST_TEST(offset->count() < -299'000);
  BOOST_TEST(!wake.due_in().has_value(), "the clock was asked again within the interval");
  BOOST_TEST(wake.drain());
}

BOOST_AUTO_TEST_CASE(a_sqlite_store_uses_the_host_clock) {
  CapturedLog log;
  const auto source = make_wake_source("/tmp/autohost-no-such-dir/store.db", log.logger);
  BOOST_TEST(!source->store_clock_offset(0).has_value());
}
