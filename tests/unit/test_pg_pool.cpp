// The connection pool and transactions against a real PostgreSQL 15 cluster: replacing
// connections the server ended, waiting for a free connection, and running a transaction
// again after a real serialization failure, a real deadlock or a lost connection.
#define BOOST_TEST_MODULE pg_pool
#include <boost/test/unit_test.hpp>

#include "pg_test_print.hpp"
#include "store/pg/pool.hpp"

#include "pg_cluster.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

using namespace autohost::store::pg;
using autohost::Done;
using autohost::test::PgCluster;

namespace {

PgCluster *cluster = nullptr;

// A deadlock is found after deadlock_timeout; the default (1 s) only slows the test down.
autohost::test::PgClusterOptions quick_deadlocks() {
  autohost::test::PgClusterOptions options;
  options.settings = {"deadlock_timeout = '50ms'"};
  return options;
}

struct ClusterFixture {
  PgCluster instance{quick_deadlocks()};
  ClusterFixture() { cluster = &instance; }
  ~ClusterFixture() { cluster = nullptr; }
};

PoolOptions pool_options(std::size_t size = 2) {
  PoolOptions options;
  options.connect.url = cluster->url();
  options.size = size;
  return options;
}

template <class T> std::string why(const PgResult<T> &result) {
  return result ? std::string() : result.error().message;
}

template <class T> T ok(PgResult<T> result) {
  BOOST_REQUIRE_MESSAGE(result.has_value(), why(result));
  return std::move(result).value();
}

std::int64_t scalar(Connection &connection, std::string_view sql,
                    std::initializer_list<Param> params = {}) {
  return ok(ok(connection.execute(sql, params)).int64(0, 0));
}

// Waits (up to 5 s) until none of the backends `pids` is connected; the test fails if one
// still is.
void wait_until_gone(const std::vector<int> &pids) {
  auto admin = ok(Connection::open(pool_options().connect));
  const auto connected = [&] {
    std::int64_t n = 0;
    for (const int pid : pids)
      n += scalar(*admin, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int4",
                  {std::int64_t{pid}});
    return n;
  };
  for (int i = 0; i < 500; ++i) {
    if (connected() == 0)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  BOOST_FAIL(connected() << " of " << pids.size() << " backends did not end");
}

// Ends a backend from another connection and waits until it is gone.
void terminate_backend(int pid) {
  auto admin = ok(Connection::open(pool_options().connect));
  BOOST_REQUIRE(ok(ok(admin->execute("SELECT pg_terminate_backend($1::int4)", {std::int64_t{pid}}))
                       .boolean(0, 0)));
  wait_until_gone({pid});
}

// Waits (bounded) until `count` reaches `target`; the test fails if it never does.
void wait_for(const std::atomic<int> &count, int target) {
  for (int i = 0; i < 1000 && count.load() < target; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  BOOST_REQUIRE(count.load() >= target);
}

void run_sql(Pool &pool, std::string_view sql) {
  auto connection = ok(pool.acquire());
  ok(connection->exec(sql));
}

// Two transactions' bodies that meet once: the first run of each waits at meet() until
// the other got there too, so their statements interleave; runs after a retry do not wait.
struct Meeting {
  std::atomic<int> runs{0};
  std::atomic<int> arrived{0};
  bool first_run() { return runs.fetch_add(1) < 2; }
  void meet() {
    ++arrived;
    wait_for(arrived, 2);
  }
};

// Runs both on threads of their own and returns their results.
template <class F, class G> auto both_at_once(F one, G two) {
  std::optional<std::invoke_result_t<F>> first;
  std::optional<std::invoke_result_t<G>> second;
  std::thread a([&] { first.emplace(one()); });
  std::thread b([&] { second.emplace(two()); });
  a.join();
  b.join();
  BOOST_REQUIRE_MESSAGE(first->has_value(), why(*first));
  BOOST_REQUIRE_MESSAGE(second->has_value(), why(*second));
  return std::pair(std::move(first->value()), std::move(second->value()));
}

// A TCP listener on loopback posing as a server: it hangs up on each client at once, or
// holds each connection and answers nothing. Counts the clients.
class FakeServer {
public:
  explicit FakeServer(bool answer_nothing)
      : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        port_(acceptor_.local_endpoint().port()), thread_([this, answer_nothing] {
          while (true) {
            boost::system::error_code ec;
            boost::asio::ip::tcp::socket client = acceptor_.accept(ec);
            if (done_.load())
              return;
            if (ec)
              continue;
            ++clients_;
            if (answer_nothing)
              held_.push_back(std::move(client));
          }
        }) {}
  FakeServer(const FakeServer &) = delete;
  FakeServer &operator=(const FakeServer &) = delete;
  ~FakeServer() {
    done_.store(true);
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket(io_).connect({boost::asio::ip::make_address("127.0.0.1"), port_},
                                              ec); // ends the accept() it waits in
    thread_.join();
  }
  std::string url() const {
    return "postgresql://autohost@127.0.0.1:" + std::to_string(port_) +
           "/autohost_test?sslmode=disable&gssencmode=disable";
  }
  int clients() const { return clients_.load(); }

private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_;
  std::atomic<bool> done_{false};
  std::atomic<int> clients_{0};
  std::vector<boost::asio::ip::tcp::socket> held_; // only the accepting thread touches it
  std::thread thread_;
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(ClusterFixture);

BOOST_AUTO_TEST_CASE(an_idle_connection_the_server_ended_is_replaced_on_acquire) {
  Pool pool(pool_options(1));
  int first_pid = 0;
  {
    auto lease = ok(pool.acquire());
    first_pid = lease->backend_pid();
  }
  terminate_backend(first_pid);
  auto lease = ok(pool.acquire());
  BOOST_TEST(lease->backend_pid() != first_pid);
  BOOST_TEST(scalar(*lease, "SELECT 1::int8") == 1);
  BOOST_TEST(pool.open_connections() == 1U);
}

BOOST_AUTO_TEST_CASE(a_lost_connection_is_reported_and_not_lent_again) {
  Pool pool(pool_options(1));
  int first_pid = 0;
  {
    auto lease = ok(pool.acquire());
    first_pid = lease->backend_pid();
    terminate_backend(first_pid);
    const auto lost = lease->execute("SELECT 1");
    BOOST_REQUIRE(!lost);
    BOOST_TEST(lost.error().kind == PgFailure::connection);
  }
  BOOST_TEST(pool.open_connections() == 0U);
  auto lease = ok(pool.acquire());
  BOOST_TEST(lease->backend_pid() != first_pid);
  BOOST_TEST(scalar(*lease, "SELECT 2::int8") == 2);
}

BOOST_AUTO_TEST_CASE(a_connection_lost_while_lent_closes_the_idle_ones_with_it) {
  // Idle connections may be gone with it (a network that went away), and each would first
  // wait out tcp_user_timeout in its next statement: they are opened anew instead.
  Pool pool(pool_options(3));
  std::vector<int> before;
  {
    std::vector<PooledConnection> leases;
    for (int i = 0; i < 3; ++i) {
      leases.push_back(ok(pool.acquire()));
      before.push_back(leases.back()->backend_pid());
    }
  }
  BOOST_TEST(pool.open_connections() == 3U);
  {
    auto lent = ok(pool.acquire());
    terminate_backend(lent->backend_pid());
    BOOST_REQUIRE(!lent->execute("SELECT 1"));
  }
  BOOST_TEST(pool.open_connections() == 0U);
  wait_until_gone(before); // the idle connections' backends
  auto again = ok(pool.acquire());
  BOOST_TEST(std::count(before.begin(), before.end(), again->backend_pid()) == 0);
  BOOST_TEST(scalar(*again, "SELECT 3::int8") == 3);
}

BOOST_AUTO_TEST_CASE(acquire_waits_for_a_free_connection_and_gives_up_after_its_timeout) {
  PoolOptions options = pool_options(1);
  options.acquire_timeout = std::chrono::milliseconds(100);
  Pool pool(options);
  {
    auto held = ok(pool.acquire());
    const auto none = pool.acquire();
    BOOST_REQUIRE(!none);
    BOOST_TEST(none.error().kind == PgFailure::connection);
    BOOST_TEST(none.error().message.find("no free connection") != std::string::npos,
               none.error().message);
  }
  BOOST_TEST(ok(pool.acquire())->usable());
}

BOOST_AUTO_TEST_CASE(many_threads_share_a_small_pool) {
  Pool pool(pool_options(3));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        auto lease = pool.acquire();
        auto rows = lease ? lease.value()->execute("SELECT $1::int8 * 2", {std::int64_t{t * i}})
                          : PgResult<Rows>(lease.error());
        if (!rows || rows->int64(0, 0).value() != t * i * 2)
          ++failures;
      }
    });
  }
  for (auto &thread : threads)
    thread.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(pool.open_connections() <= 3U);
}

BOOST_AUTO_TEST_CASE(a_serialization_failure_runs_the_transaction_again) {
  // Write skew: each transaction lets its doctor go off call if two are on call. Run
  // together under SERIALIZABLE, one must fail (40001) and, run again, see the other's
  // write - so one doctor stays on call.
  Pool pool(pool_options(2));
  run_sql(pool, "CREATE TABLE doctors (id int8 PRIMARY KEY, on_call bool NOT NULL);"
                "INSERT INTO doctors VALUES (1, true), (2, true)");
  Meeting meeting;
  const auto go_off_call = [&](std::int64_t id) {
    return pool.transaction(Isolation::serializable, [&, id](Connection &c) -> PgResult<bool> {
      const bool first = meeting.first_run();
      AH_TRY_DECLARE(on_call, c.execute("SELECT count(*) FROM doctors WHERE on_call"));
      AH_TRY_DECLARE(count, on_call.int64(0, 0));
      if (first)
        meeting.meet(); // both read before either writes
      if (count < 2)
        return false;
      AH_TRY(c.execute("UPDATE doctors SET on_call = false WHERE id = $1", {id}));
      return true;
    });
  };
  const auto [one, two] =
      both_at_once([&] { return go_off_call(1); }, [&] { return go_off_call(2); });
  BOOST_TEST(meeting.runs.load() >= 3); // at least one ran again
  BOOST_TEST(one != two);
  auto check = ok(pool.acquire());
  BOOST_TEST(scalar(*check, "SELECT count(*) FROM doctors WHERE on_call") == 1);
}

BOOST_AUTO_TEST_CASE(a_deadlock_runs_the_losing_transaction_again) {
  Pool pool(pool_options(2));
  run_sql(pool, "CREATE TABLE counters (name text PRIMARY KEY, n int8 NOT NULL);"
                "INSERT INTO counters VALUES ('a', 0), ('b', 0)");
  Meeting meeting;
  const auto bump_both = [&](std::string_view first_name, std::string_view second_name) {
    return pool.transaction(Isolation::read_committed, [&](Connection &c) -> PgResult<Done> {
      const bool first = meeting.first_run();
      const char *bump = "UPDATE counters SET n = n + 1 WHERE name = $1";
      AH_TRY(c.execute(bump, {first_name}));
      if (first)
        meeting.meet(); // each holds one row and then wants the other's
      AH_TRY(c.execute(bump, {second_name}));
      return Done{};
    });
  };
  both_at_once([&] { return bump_both("a", "b"); }, [&] { return bump_both("b", "a"); });
  BOOST_TEST(meeting.runs.load() == 3);
  auto check = ok(pool.acquire());
  BOOST_TEST(scalar(*check, "SELECT sum(n)::int8 FROM counters WHERE n = 2") == 4);
}

BOOST_AUTO_TEST_CASE(a_connection_lost_before_commit_runs_the_transaction_again) {
  Pool pool(pool_options(2));
  run_sql(pool, "CREATE TABLE posts (id int8 PRIMARY KEY)");
  std::vector<int> pids;
  const auto result =
      pool.transaction(Isolation::read_committed, [&](Connection &c) -> PgResult<std::int64_t> {
        pids.push_back(c.backend_pid());
        AH_TRY(c.execute("INSERT INTO posts VALUES (1)"));
        if (pids.size() == 1)
          terminate_backend(c.backend_pid());
        AH_TRY_DECLARE(rows, c.execute("SELECT count(*) FROM posts"));
        return rows.int64(0, 0);
      });
  BOOST_REQUIRE_MESSAGE(result.has_value(), why(result));
  BOOST_TEST(result.value() == 1);
  BOOST_REQUIRE(pids.size() == 2U);
  BOOST_TEST(pids[0] != pids[1]);
  auto check = ok(pool.acquire());
  BOOST_TEST(scalar(*check, "SELECT count(*) FROM posts") == 1);
}

BOOST_AUTO_TEST_CASE(a_connection_refused_at_once_is_tried_again_but_a_slow_failure_is_not) {
  // A server that hangs up at once (as one restarting does) may be back after the backoff;
  // one that never answers costs connect_timeout a try, so it is tried once. Neither ran
  // the body.
  const auto tries = [](bool answer_nothing) {
    FakeServer server(answer_nothing);
    PoolOptions options;
    options.connect.url = server.url();
    options.connect.connect_timeout_s = 2; // libpq's least
    Pool pool(options);
    int runs = 0;
    const auto result = pool.transaction(Isolation::read_committed, [&](Connection &) {
      ++runs;
      return PgResult<Done>(Done{});
    });
    BOOST_REQUIRE(!result);
    BOOST_TEST(result.error().kind == PgFailure::connection, result.error().message);
    BOOST_TEST(runs == 0);
    return server.clients();
  };
  BOOST_TEST(tries(false) == PoolOptions{}.transaction_attempts);
  BOOST_TEST(tries(true) == 1);
}

BOOST_AUTO_TEST_CASE(a_failed_body_rolls_back_and_is_not_run_again) {
  Pool pool(pool_options(1));
  run_sql(pool, "CREATE TABLE notes (id int8 PRIMARY KEY)");
  int runs = 0;
  const auto result =
      pool.transaction(Isolation::serializable, [&](Connection &c) -> PgResult<Done> {
        ++runs;
        AH_TRY(c.execute("INSERT INTO notes VALUES (1)"));
        AH_TRY(c.execute("INSERT INTO notes VALUES (1)")); // 23505
        return Done{};
      });
  BOOST_REQUIRE(!result);
  BOOST_TEST(result.error().sqlstate == "23505");
  BOOST_TEST(runs == 1);
  auto check = ok(pool.acquire());
  BOOST_TEST(scalar(*check, "SELECT count(*) FROM notes") == 0);
  BOOST_TEST(!check->in_transaction());
}

BOOST_AUTO_TEST_CASE(a_body_that_swallowed_a_failure_does_not_commit_silently) {
  Pool pool(pool_options(1));
  const auto result =
      pool.transaction(Isolation::read_committed, [&](Connection &c) -> PgResult<Done> {
        (void)c.execute("SELECT * FROM no_such_table");
        return Done{};
      });
  BOOST_REQUIRE(!result);
  BOOST_TEST(result.error().message.find("went on") != std::string::npos, result.error().message);
}

BOOST_AUTO_TEST_CASE(the_pool_carries_on_after_the_server_restarts) {
  Pool pool(pool_options(2));
  ok(pool.transaction(Isolation::read_committed, [](Connection &c) -> PgResult<Done> {
    AH_TRY(c.exec("CREATE TABLE IF NOT EXISTS survivors (id int8)"));
    return Done{};
  }));
  cluster->restart();
  const auto count = pool.transaction(Isolation::read_committed, [](Connection &c) {
    return c.execute("SELECT count(*) FROM survivors");
  });
  BOOST_REQUIRE_MESSAGE(count.has_value(), why(count));
  BOOST_TEST(ok(count->int64(0, 0)) == 0);
}
