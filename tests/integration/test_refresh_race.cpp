// Single-flight refresh across processes, made deterministic: the sandbox holds the first
// refresh answer (the refresh has happened on the server; revoke-on-refresh has killed
// the old token) while more processes - `refresh_token` actions, or refresh sweeps - try
// the same account. Exactly one refresh may reach the server, and every process must end
// with the one new token working.
#define BOOST_TEST_MODULE refresh_race
#include "token_world.hpp"

#include <chrono>
#include <thread>

using namespace token_test;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

constexpr int late_processes = 3;

std::string str(const json::value &v) { return std::string(v.as_string()); }

// `autohost ARGS` in the fixture's environment, run on a thread of its own.
struct Background {
  Background(const Cli &c, std::vector<std::string> args)
      : thread([this, env = c.env(), args = std::move(args)] {
          ProcessOptions o;
          o.env = env;
          result = run_process(required_env("AUTOHOST_BIN"), args, o);
        }) {}
  ProcessResult result;
  std::thread thread;
};

// Waits (up to 60 s) until the sandbox saw `n` refresh requests.
void wait_for_refreshes(std::int64_t n) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (sandbox_stat("refresh") < n && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  BOOST_REQUIRE_EQUAL(sandbox_stat("refresh"), n);
}

// An account due for a refresh, the sandbox revoking refreshed tokens and holding the next
// refresh answer for 3 s. Runs `args` once, and `late_processes` more while the first one's
// answer is held; returns all results, the first one's first.
std::vector<ProcessResult> race(Cli &c, const std::vector<std::string> &args) {
  control("POST", "/__sandbox/config", R"({"revoke_on_refresh":true})");
  c.import("alice", c.issue(R"({"age_s":2678400})"), true); // 31 days old
  sbx::add_fault(sandbox(), R"({"group":"refresh","mode":"delay","stall_s":3})");
  std::vector<std::unique_ptr<Background>> running;
  running.push_back(std::make_unique<Background>(c, args));
  wait_for_refreshes(1); // the first process holds its claim, its answer on the way
  for (int i = 0; i < late_processes; ++i)
    running.push_back(std::make_unique<Background>(c, args));
  std::vector<ProcessResult> results;
  for (auto &r : running) {
    r->thread.join();
    c.all_output += r->result.out + r->result.err;
    results.push_back(r->result);
  }
  return results;
}

// The user-visible promise: one refresh on the server, the stored token works, and the
// account can be used (a profile read with it succeeds).
void one_refresh_and_a_working_token(Cli &c) {
  BOOST_TEST(sandbox_stat("refresh") == 1, "the account was refreshed more than once");
  const auto record = c.record("alice");
  BOOST_TEST(str(record.at("status")) == "active");
  BOOST_TEST(token_check(str(record.at("access_token"))) == "ok");
  BOOST_TEST(c.ok("profile", "{}").at("username").as_string() == "threadsapitestuser");
  BOOST_TEST(sandbox_stat("refresh") == 1);
}

} // namespace

BOOST_AUTO_TEST_CASE(refresh_token_actions_at_once_send_one_refresh) {
  Cli c;
  const auto results =
      race(c, {"invoke", "threads.refresh_token", "--input", R"({"account":"alice"})"});
  int refreshed = 0;
  for (const auto &r : results) {
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    const auto out = json::parse(r.out).as_object();
    // Each process answers with the account usable: refreshed by it, or adopted.
    BOOST_TEST(str(out.at("status")) == "active", r.out);
    const std::string outcome = str(out.at("outcome"));
    BOOST_TEST((outcome == "refreshed" || outcome == "adopted"), r.out);
    refreshed += outcome == "refreshed";
  }
  BOOST_TEST(refreshed == 1);
  one_refresh_and_a_working_token(c);
}

BOOST_AUTO_TEST_CASE(refresh_sweeps_at_once_send_one_refresh) {
  Cli c;
  const auto results = race(c, {"job", "threads.refresh_tokens"});
  std::int64_t refreshed = 0;
  for (const auto &r : results) {
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    const auto report = json::parse(r.out).as_object();
    BOOST_TEST(report.at("failed").as_int64() == 0, r.out);
    BOOST_TEST(report.at("needs_reauth").as_int64() == 0, r.out);
    refreshed += report.at("refreshed").as_int64();
  }
  BOOST_TEST(results.front().out.find(R"("refreshed":1)") != std::string::npos,
             results.front().out);
  BOOST_TEST(refreshed == 1);
  one_refresh_and_a_working_token(c);
}
