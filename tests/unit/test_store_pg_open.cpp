// Opening the secret store on PostgreSQL 15 (a throw-away cluster for the whole suite, a fresh
// database per case): processes racing to open a fresh store, the key fingerprint, and URLs
// whose password must never show. The contract both backends keep (compare-and-set,
// tombstones, batches, sealing) is test_store.cpp, run on PostgreSQL as the suite store_pg.
#define BOOST_TEST_MODULE store_pg_open
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "pg_cluster.hpp"
#include "result_print.hpp"
#include "store/pg/connection.hpp"
#include "store/sql/backend.hpp"
#include "store/sql_secret_store.hpp"
#include "temp_dir.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

using namespace autohost;
using namespace autohost::store;
using namespace autohost::test;

namespace {

constexpr const char *key_a = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr const char *key_b = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

PgCluster *cluster = nullptr;

struct ClusterFixture {
  PgCluster instance;
  ClusterFixture() { cluster = &instance; }
  ~ClusterFixture() { cluster = nullptr; }
};

// A fresh database in the suite's cluster; its URL.
std::string fresh_database() {
  static std::atomic<int> next{0};
  const std::string name = "store_" + std::to_string(::getpid()) + "_" + std::to_string(++next);
  cluster->psql("CREATE DATABASE " + name);
  std::string url = cluster->url();
  const std::string from = "/autohost_test?";
  url.replace(url.find(from), from.size(), "/" + name + "?");
  return url;
}

SecretStoreOptions options(const std::string &url, const TempDir &dir, const char *key = key_a) {
  return SecretStoreOptions{url, KeySource{std::string(key), dir / "master.key"}};
}

std::unique_ptr<SqlSecretStore> open_ok(const SecretStoreOptions &o) {
  auto s = SqlSecretStore::open(o);
  BOOST_REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().body));
  return std::move(s).value();
}

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

// The first column of the first row of `sql` in the store's database, as text.
std::string query(const std::string &url, const std::string &sql) {
  auto connection = pg::Connection::open(pg::ConnectOptions{url});
  BOOST_REQUIRE(connection);
  auto rows = connection.value()->exec(sql);
  BOOST_REQUIRE(rows);
  return rows->size() > 0 ? std::string(rows->text(0, 0)) : std::string();
}

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(ClusterFixture);

BOOST_AUTO_TEST_CASE(another_master_key_is_refused_and_nothing_is_written) {
  TempDir dir;
  const std::string url = fresh_database();
  {
    auto store = open_ok(options(url, dir));
    BOOST_REQUIRE(store->put("k/one", "1", 0));
  }
  auto wrong = SqlSecretStore::open(options(url, dir, key_b));
  BOOST_REQUIRE(!wrong);
  BOOST_TEST(wrong.error().status == AH_INTERNAL);
  BOOST_TEST(host::error_code(wrong.error()) == "store"); // the CLI's exit 11
  BOOST_TEST(contains(host::error_message(wrong.error()), "does not match the master key"));
  BOOST_TEST(!contains(wrong.error().body, key_b));
  auto store = open_ok(options(url, dir));
  BOOST_TEST(store->get("k/one").value()->value == "1");
  BOOST_TEST(store->list("").value().size() == 1u);
}

BOOST_AUTO_TEST_CASE(processes_opening_a_fresh_store_at_once_migrate_it_once) {
  TempDir dir;
  const std::string url = fresh_database();
  constexpr int processes = 6;
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
      auto opened = SqlSecretStore::open(options(url, dir));
      if (!opened) {
        std::fprintf(stderr, "%s\n", opened.error().body.c_str());
        ::_exit(2);
      }
      const bool put = opened.value()->put("race/" + std::to_string(p), "v", 0).has_value();
      ::_exit(put ? 0 : 1);
    }
    children.push_back(child);
  }
  for (pid_t child : children) {
    int status = 0;
    BOOST_REQUIRE_EQUAL(::waitpid(child, &status, 0), child);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  auto store = open_ok(options(url, dir));
  BOOST_TEST(store->list("race/").value().size() == std::size_t{processes});
  BOOST_TEST(query(url, "SELECT component || '=' || version FROM autohost_schema") == "secrets=1");
}

BOOST_AUTO_TEST_CASE(a_password_in_the_url_never_shows_in_an_error) {
  TempDir dir;
  // Nothing listens on port 1: unreachable, with a password in the user info and the query.
  const std::string url =
      "postgresql://autohost:hunter2-sekrit@127.0.0.1:1/db?connect_timeout=2&password=q-sekrit";
  auto opened = SqlSecretStore::open(options(url, dir));
  BOOST_REQUIRE(!opened);
  BOOST_TEST(host::error_code(opened.error()) == "store_unreachable");
  BOOST_TEST(!contains(opened.error().body, "sekrit"));
  BOOST_TEST(contains(opened.error().body, "***"));
  // Malformed: refused as a location, the password still hidden.
  const std::string bad = "postgresql://autohost:hunter2-sekrit@[::1/db";
  auto checked = sql::check_location(bad, "AUTOHOST_STORE");
  BOOST_REQUIRE(!checked);
  BOOST_TEST(host::error_code(checked.error()) == "store_location");
  BOOST_TEST(contains(host::error_message(checked.error()), "AUTOHOST_STORE"));
  BOOST_TEST(!contains(checked.error().body, "sekrit"));
}
