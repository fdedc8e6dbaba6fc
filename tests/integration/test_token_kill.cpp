// Crash safety of token rotation: a refresh sweep over many accounts is killed with SIGKILL
// at random points, again and again; afterwards the store opens and every account holds a
// token the sandbox accepts, or is needs_reauth because its token really is dead.
#define BOOST_TEST_MODULE token_kill
#include "sanitizer.hpp"
#include "token_world.hpp"

#include <boost/process.hpp>

#include <chrono>
#include <csignal>
#include <random>
#include <thread>

using namespace token_test;
namespace bp = boost::process;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

constexpr int accounts = 30;
constexpr std::int64_t step_s = 25 * 3600; // each round every token is due again
// Kills per test: under AddressSanitizer each sweep's process (loading the instrumented
// plugin) costs most of a second, so fewer rounds there; the plain build runs them all, and
// the sanitizers look for memory errors, which show at any kill point.
constexpr int kill_rounds = address_sanitizer ? 40 : 100;
constexpr int revoke_kill_rounds = address_sanitizer ? 15 : 30;

std::string account_name(int i) { return "acct" + std::to_string(i); }

// Starts the sweep and SIGKILLs it after `after`; returns whether it had already finished.
bool kill_sweep_after(const Cli &c, std::chrono::microseconds after) {
  bp::environment env = boost::this_process::environment();
  for (const auto &[name, value] : c.env()) {
    if (value) {
      env[name] = *value;
    } else {
      env.erase(name);
    }
  }
  bp::child child(required_env("AUTOHOST_BIN"), bp::args({"job", "threads.refresh_tokens"}), env,
                  bp::std_out > bp::null, bp::std_err > bp::null, bp::std_in < bp::null);
  std::this_thread::sleep_for(after);
  // Only a child not yet reaped is signalled: its pid cannot belong to anyone else.
  const bool finished = !child.running();
  if (!finished)
    ::kill(child.id(), SIGKILL);
  child.wait();
  return finished;
}

// Kills `kills` running sweeps at random points (rounds where the sweep had already
// finished do not count), then lets one finish and checks every account.
void run_kill_rounds(Cli &c, int kills, std::mt19937 &random, bool revoke_on_refresh) {
  for (int i = 0; i < accounts; ++i) {
    c.import(account_name(i), c.issue(R"({"age_s":)" + std::to_string(2 * day_s) + "}"));
  }
  // How long one whole sweep takes here (sanitizers make it slower): the kill window.
  double offset = step_s;
  c.set_clock(offset);
  const auto begun = std::chrono::steady_clock::now();
  const auto baseline = c.job();
  const auto sweep = std::chrono::steady_clock::now() - begun;
  BOOST_REQUIRE_EQUAL(baseline.at("refreshed").as_int64(), accounts);
  long long window_us = std::chrono::duration_cast<std::chrono::microseconds>(sweep).count();
  BOOST_TEST_MESSAGE("one sweep of " << accounts << " accounts: " << window_us / 1000 << " ms");

  // Every 10th round the sweep runs to its end: without it, a slower machine (kills landing
  // early every time) could leave a token unrefreshed for its whole 60 days. Those sweeps
  // also re-measure the kill window, which shrinks whenever a sweep finished before its
  // kill (sweeps get faster as accounts need no more refreshing).
  int killed = 0, round = 0, settled = 0;
  // The round cap only stops a pathological run: kills land inside the sweep at least a
  // third of the time once the window has adapted, so 10x is never reached in practice.
  for (; killed < kills && round < 10 * kills; ++round) {
    offset += step_s;
    c.set_clock(offset);
    if (round % 10 == 9) {
      const auto started = std::chrono::steady_clock::now();
      const auto report = c.job();
      BOOST_TEST(report.at("failed").as_int64() == 0, "round " << round);
      window_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
      ++settled;
      continue;
    }
    std::uniform_int_distribution<long long> when(0, window_us);
    if (kill_sweep_after(c, std::chrono::microseconds(when(random)))) {
      window_us = window_us / 2;
    } else {
      ++killed;
    }
    // The store must open after every kill.
    auto listed = c.cli({"secrets", "list", "threads/accounts/"});
    BOOST_REQUIRE_MESSAGE(listed.exit_code == 0, "round " << round << ": " << listed.err);
  }
  BOOST_TEST_MESSAGE(killed << " sweeps killed while running, in " << round << " rounds ("
                            << settled << " ran to the end)");
  BOOST_TEST(killed == kills);

  // Stale claims are long past their lease; one sweep to the end settles everything.
  offset += step_s;
  c.set_clock(offset);
  const auto last = c.job();
  BOOST_TEST(last.at("failed").as_int64() == 0);
  int active = 0;
  for (int i = 0; i < accounts; ++i) {
    const auto record = c.record(account_name(i));
    const std::string token(record.at("access_token").as_string());
    const std::string check = token_check(token);
    if (record.at("status").as_string() == "active") {
      ++active;
      BOOST_TEST(check == "ok", account_name(i) << ": the stored token is " << check);
    } else {
      // needs_reauth only when the token really is dead.
      BOOST_TEST(check != "ok", account_name(i) << " is needs_reauth with a working token");
      BOOST_TEST(revoke_on_refresh,
                 account_name(i) << " lost its token without revocation: the token is " << check
                                 << "; " << record.at("last_refresh_error").as_string());
    }
  }
  BOOST_TEST_MESSAGE(active << " of " << accounts << " accounts active");
  if (!revoke_on_refresh)
    BOOST_TEST(active == accounts);
}

} // namespace

BOOST_AUTO_TEST_CASE(sigkill_during_sweeps_loses_no_token) {
  Cli c(R"(, "refresh_window_days": 59, "refresh_concurrency": 8)");
  std::mt19937 random(std::random_device{}());
  run_kill_rounds(c, kill_rounds, random, false);
}

// With revoke-on-refresh a kill between Meta's answer and the store write loses the new
// token and the old one is dead: those accounts must end up needs_reauth, never "active"
// with a dead token.
BOOST_AUTO_TEST_CASE(sigkill_with_revoke_on_refresh_leaves_no_active_dead_token) {
  Cli c(R"(, "refresh_window_days": 59, "refresh_concurrency": 8)");
  control("POST", "/__sandbox/config", R"({"revoke_on_refresh":true})");
  std::mt19937 random(std::random_device{}());
  run_kill_rounds(c, revoke_kill_rounds, random, true);
}
