// Several hosts on one PostgreSQL (issue 13), what only a database server can do to them:
// the server restarted and daemons' backends terminated mid-run (they reconnect, nothing is
// published twice or lost), and a daemon whose clock is 5 minutes ahead (it runs nothing
// early and takes no live lease, as the database's clock decides).
#define BOOST_TEST_MODULE multi_host_pg
#include "multi_host_world.hpp"

using namespace daemon_test;
using namespace multi_host;

BOOST_TEST_GLOBAL_FIXTURE(World);

BOOST_AUTO_TEST_CASE(a_restarted_server_and_terminated_backends_lose_and_double_nothing) {
  Hosts hosts("postgresql");
  PgCluster &db = *hosts.store.cluster();
  const std::vector<std::string> args = {"--workers",      "4",      "--lease",           "5s",
                                         "--max-attempts", "100000", "--max-retry-delay", "5s",
                                         "--retry-delay",  "1s"};
  std::vector<std::unique_ptr<DaemonProcess>> running;
  for (int n = 0; n < daemons; ++n) {
    running.push_back(std::make_unique<DaemonProcess>(hosts, args, hosts.host_env(n)));
    BOOST_REQUIRE_MESSAGE(running.back()->wait_for_log(R"("msg":"started")"),
                          running.back()->log());
  }
  hosts.schedule_posts();

  BOOST_REQUIRE(eventually([] { return publishes() >= posts / 6; }, 120s));
  db.restart();
  // Then, three times, every daemon's listening connection and about a third of the rest.
  for (int round = 0; round < 3; ++round) {
    BOOST_REQUIRE(eventually([&] { return publishes() >= posts / 6 * (round + 2); }, 120s));
    db.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = "
            "'client backend' AND pid <> pg_backend_pid() AND "
            "(query LIKE 'LISTEN%' OR random() < 0.3)");
  }
  const bool finished = eventually([&] { return hosts.all_finished(); }, 240s);
  for (auto &d : running)
    BOOST_TEST(d->stop(SIGTERM, 30s) == 0, "a daemon did not stop cleanly: " << d->log());
  BOOST_REQUIRE_MESSAGE(finished, "runs still open: " + json::serialize(runs(hosts)));
  hosts.check_each_post_once();
  for (auto &d : running) {
    const std::string log = d->log();
    BOOST_TEST(count_in(log, "store notifications lost; reconnecting") >= 1, log);
    BOOST_TEST(count_in(log, "store notifications are back") >= 1, log);
  }
}

BOOST_AUTO_TEST_CASE(a_daemon_5_minutes_ahead_runs_nothing_early_and_takes_no_live_lease) {
  Hosts hosts("postgresql");
  // A post that takes 20 s at the sandbox, held by a daemon on the right clock.
  control("POST", "/__sandbox/config", R"({"container_delay_s":{"TEXT":20}})");
  const auto add = [&](const std::string &id, const std::string &at) {
    auto r = hosts.cli({"schedule", "add", "threads.post", "--id", id, "--at", at, "--account",
                        "alice", "--input", R"({"text":")" + id + R"("})"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  };
  add("held", utc_in(0));
  const std::vector<std::string> args = {"--lease", "60s", "--job-jitter", "0"};
  DaemonProcess right(hosts, args, hosts.host_env(0));
  BOOST_REQUIRE(eventually(
      [&] {
        const auto held = runs(hosts, "held");
        return held.size() == 1 && status_of(held[0]) == "running";
      },
      30s));
  for (int i = 0; i < 3; ++i)
    add("early-" + std::to_string(i), utc_in(40));

  auto ahead_env = hosts.host_env(1);
  ahead_env["AUTOHOST_TEST_CLOCK_OFFSET_S"] = "300";
  DaemonProcess ahead(hosts, args, ahead_env);
  BOOST_REQUIRE_MESSAGE(ahead.wait_for_log(R"("msg":"started")"), ahead.log());
  const std::string ahead_worker = worker_of(ahead.log());
  // To a clock 5 minutes ahead the early posts are due and the held run's lease is over.
  std::this_thread::sleep_for(10s);
  const auto held = runs(hosts, "held");
  BOOST_REQUIRE_EQUAL(held.size(), 1u);
  BOOST_TEST(held[0].at("attempts").as_int64() == 1, json::serialize(held[0]));
  BOOST_TEST(std::string(held[0].at("claimed_by").as_string()) == worker_of(right.log()));
  for (const auto &run : runs(hosts)) {
    if (run.at("schedule").as_string().starts_with("early-"))
      BOOST_TEST(status_of(run) == "pending", json::serialize(run));
  }
  BOOST_TEST(publishes() == 0);

  // With the held post done and the right daemon gone, the one ahead posts the rest once due.
  BOOST_REQUIRE(
      eventually([&] { return status_of(runs(hosts, "held").at(0)) == "succeeded"; }, 60s));
  BOOST_TEST(right.stop(SIGTERM, 30s) == 0);
  control("POST", "/__sandbox/config", R"({"container_delay_s":{"TEXT":0.2}})");
  BOOST_REQUIRE(eventually(
      [&] {
        const auto all = runs(hosts);
        return all.size() == 4 && std::all_of(all.begin(), all.end(), [](const json::value &r) {
                 return status_of(r) == "succeeded";
               });
      },
      120s));
  BOOST_TEST(ahead.stop(SIGTERM, 30s) == 0);
  for (const auto &run : runs(hosts)) {
    if (run.at("schedule").as_string().starts_with("early-"))
      BOOST_TEST(std::string(run.at("claimed_by").as_string()) == ahead_worker);
  }
  BOOST_TEST(publishes() == 4);
}
