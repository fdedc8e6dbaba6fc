// The autohost command line on a PostgreSQL store (AUTOHOST_STORE=postgresql://...): secrets
// with compare-and-set, threads actions against the sandbox with tokens held in PostgreSQL,
// a schedule run by `run --once`, and a host with another master key refused (exit 11)
// without writing anything. One throw-away cluster for the suite, a database per case.
#define BOOST_TEST_MODULE cli_pg
#include "daemon_world.hpp"
#include "pg_cluster.hpp"

using namespace daemon_test;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

// Never to appear in any output: trust authentication ignores it, libpq still has it.
constexpr const char *url_password = "pg-pw-never-shown";

PgCluster &cluster() {
  static PgCluster one;
  return one;
}

// A fixture whose store is a new database of the suite's cluster, reached by a URL that
// carries a password; account alice is onboarded.
struct OnPostgres : Cli {
  std::string database;
  std::string url;

  explicit OnPostgres(bool onboard = true) : Cli(fast_polling) {
    static int made = 0;
    database = "cli_" + std::to_string(++made);
    cluster().psql("CREATE DATABASE " + database);
    url = cluster().url();
    url.replace(url.find("autohost@"), 9, std::string("autohost:") + url_password + "@");
    url.replace(url.find("/autohost_test?"), 15, "/" + database + "?");
    extra_env["AUTOHOST_STORE"] = url;
    secrets.insert(url_password);
    control("POST", "/__sandbox/config",
            R"({"container_delay_s":{"TEXT":0.2,"IMAGE":0.4,"VIDEO":0.6},"no_server_dedup":true})");
    if (onboard)
      import("alice", issue());
  }

  // SQL on this case's database, as its owner.
  std::string sql(const std::string &text) { return cluster().psql_in(database, text); }
  std::string secret_rows() {
    return sql("SELECT key, version, sealed IS NULL, encode(sha256(sealed), 'hex') FROM secrets "
               "ORDER BY key");
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(secrets_compare_and_set_on_postgres, OnPostgres) {
  auto set = [&](std::vector<std::string> extra, const std::string &value) {
    std::vector<std::string> args{"secrets", "set", "api/key"};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli(args, value);
  };
  auto r = set({"--expect-version", "0"}, "first-value");
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  BOOST_TEST(json::parse(r.out).at("version").as_int64() == 1);
  r = set({"--expect-version", "1"}, "second-value");
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  BOOST_TEST(json::parse(r.out).at("version").as_int64() == 2);
  r = set({"--expect-version", "1"}, "stale-value");
  BOOST_TEST(r.exit_code == 8, r.err);
  BOOST_TEST(contains(error_of(r).at("message").as_string().c_str(), "at version 2"), r.err);

  r = cli({"secrets", "get", "api/key", "--reveal"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out == "second-value\n");
  r = cli({"secrets", "list", "api/", "--json"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  const json::array listed = json::parse(r.out).as_array();
  BOOST_TEST_REQUIRE(listed.size() == 1U);
  BOOST_TEST(listed[0].at("key").as_string() == "api/key");
  BOOST_TEST(listed[0].at("version").as_int64() == 2);
  // Sealed on the host: the database never sees the value.
  BOOST_TEST(sql("SELECT count(*) FROM secrets WHERE position(convert_to('second-value', "
                 "'UTF8') in sealed) > 0") == "0\n");

  r = cli({"secrets", "rm", "api/key", "--expect-version", "1"});
  BOOST_TEST(r.exit_code == 8, r.err);
  r = cli({"secrets", "rm", "api/key", "--expect-version", "2"});
  BOOST_TEST(r.exit_code == 0, r.err);
  r = cli({"secrets", "get", "api/key"});
  BOOST_TEST(r.exit_code == 4, r.err);
  BOOST_TEST(sql("SELECT version, sealed IS NULL FROM secrets WHERE key = 'api/key'") == "3|t\n");
}

BOOST_FIXTURE_TEST_CASE(threads_actions_use_tokens_held_in_postgres, OnPostgres) {
  // The token import above wrote the account record into the database.
  BOOST_TEST(sql("SELECT count(*) FROM secrets WHERE key = 'threads/accounts/alice' AND "
                 "sealed IS NOT NULL") == "1\n");
  const auto first = ok("post", R"({"text":"from postgres"})", {"--idempotency-key", "pg-1"});
  const auto again = ok("post", R"({"text":"from postgres"})", {"--idempotency-key", "pg-1"});
  BOOST_TEST(first.at("id") == again.at("id"));
  BOOST_TEST(control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64() == 1);
  // The publish checkpoint that made the second call a resume lives in PostgreSQL.
  BOOST_TEST(sql("SELECT count(*) FROM secrets WHERE key LIKE 'threads/publish/alice/%'") == "1\n");
}

BOOST_FIXTURE_TEST_CASE(a_schedule_added_then_run_once_on_postgres, OnPostgres) {
  auto r = cli({"schedule", "add", "threads.post", "--id", "hello", "--at", utc_in(-5), "--account",
                "alice", "--input", R"({"text":"scheduled on postgres"})"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  BOOST_TEST(sql("SELECT count(*) FROM schedules WHERE id = 'hello'") == "1\n");
  r = cli({"run", "--once"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  BOOST_TEST(sql("SELECT status, attempts FROM runs WHERE schedule_id = 'hello'") ==
             "succeeded|1\n");
  const auto posts = control("GET", "/__sandbox/posts").at("posts").as_array();
  BOOST_TEST_REQUIRE(posts.size() == 1U);
  BOOST_TEST(contains(json::serialize(posts[0]), "scheduled on postgres"));
  r = cli({"runs", "--schedule", "hello", "--json"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(contains(r.out, "succeeded"), r.out);
}

BOOST_FIXTURE_TEST_CASE(a_host_with_another_master_key_gets_exit_11_and_writes_nothing,
                        OnPostgres) {
  BOOST_REQUIRE_EQUAL(cli({"schedule", "add", "threads.post", "--id", "mine", "--at", utc_in(3600),
                           "--account", "alice", "--input", R"({"text":"x"})"})
                          .exit_code,
                      0);
  const std::string secrets_before = secret_rows();
  const std::string schedules_before = sql("SELECT id, updated_s FROM schedules ORDER BY id");
  // The other host: its own state directory and another master key, on the same database.
  Cli other(fast_polling);
  other.extra_env["AUTOHOST_STORE"] = url;
  other.extra_env["AUTOHOST_MASTER_KEY"] =
      "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
  other.secrets.insert(url_password);
  for (const std::vector<std::string> &args :
       {std::vector<std::string>{"secrets", "list"},
        std::vector<std::string>{"schedule", "add", "threads.post", "--id", "theirs", "--at",
                                 utc_in(3600), "--account", "alice", "--input", R"({"text":"y"})"},
        std::vector<std::string>{"invoke", "threads.post", "--input", R"({"text":"z"})"},
        std::vector<std::string>{"run", "--once"}}) {
    auto r = other.cli(args, "value");
    BOOST_TEST(r.exit_code == 11, args[0] + ": " + r.err);
    BOOST_TEST(contains(r.err, "does not match the master key"), args[0] + ": " + r.err);
  }
  auto r = other.cli({"secrets", "set", "planted"}, "value");
  BOOST_TEST(r.exit_code == 11, r.err);
  BOOST_TEST(secret_rows() == secrets_before);
  BOOST_TEST(sql("SELECT id, updated_s FROM schedules ORDER BY id") == schedules_before);
  BOOST_TEST(control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64() == 0);
}
