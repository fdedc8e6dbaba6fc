// The operator's commands on a real store (SQLite, or PostgreSQL when AUTOHOST_TEST_BACKEND
// says so) with the real binary and daemon: `runs retry`, `schedule edit`, `runs prune`, the
// config's retention, and `store backup` with a restore.
#define BOOST_TEST_MODULE operator_cli
#include <boost/test/unit_test.hpp>

#include "cli_world.hpp"
#include "store_location.hpp"

#include <boost/json.hpp>

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <set>
#include <thread>

using namespace autohost::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// RFC 3339 UTC, `ahead` from now.
std::string utc_in(std::chrono::seconds ahead) {
  const auto t = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + ahead;
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

struct Cli : CliWorld {
  std::string probe = (fs::path(required_env("TEST_PLUGIN_DIR")) / "probe.so").string();
  std::string location = fresh_store_location(home / "state");

  ProcessResult run(std::vector<std::string> args, std::string stdin_text = {}) {
    args.insert(args.begin(), {"--plugin", probe, "--store", location});
    return CliWorld::run(std::move(args), std::move(stdin_text), {{"TZ", "UTC"}});
  }

  json::value ok_json(std::vector<std::string> args, std::string stdin_text = {}) {
    auto r = run(std::move(args), std::move(stdin_text));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return json::parse(r.out);
  }

  // Schedules ACTION with INPUT once, a second from now, and runs it with the daemon.
  json::object run_once(const std::string &id, const std::string &action,
                        const std::string &input) {
    ok_json({"schedule", "add", "probe." + action, "--at", utc_in(std::chrono::seconds{1}), "--id",
             id, "--input", input});
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    auto daemon = run({"run", "--once"});
    BOOST_REQUIRE_MESSAGE(daemon.exit_code == 0, daemon.err);
    const auto runs = ok_json({"runs", "--schedule", id, "--json"}).as_array();
    BOOST_REQUIRE_EQUAL(runs.size(), 1u);
    return runs[0].as_object();
  }

  // SQL straight on the store: what months passing would have done to it.
  void age_store(const std::string &sql) {
    if (testing_postgres()) {
      auto r = run_process("/usr/bin/psql", {"-v", "ON_ERROR_STOP=1", location, "-c", sql});
      BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      return;
    }
    sqlite3 *db = nullptr;
    BOOST_REQUIRE(sqlite3_open(location.c_str(), &db) == SQLITE_OK);
    char *error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, message);
  }
};

constexpr std::int64_t days_200_s = 200LL * 86400;

} // namespace

BOOST_FIXTURE_TEST_CASE(runs_retry_runs_a_run_that_needs_attention_again_under_its_id, Cli) {
  const auto first = run_once("flaky", "fail", R"({"status":"auth_required"})");
  BOOST_REQUIRE(first.at("status").as_string() == "needs_attention");
  BOOST_TEST(first.at("attempts").as_int64() == 1);
  const std::string id(first.at("id").as_string());

  const auto retried = ok_json({"runs", "retry", id}).as_object();
  BOOST_TEST(retried.at("id").as_string() == id);
  BOOST_TEST(retried.at("status").as_string() == "pending");
  // Pending now: a second retry is a conflict that names the state.
  auto again = run({"runs", "retry", id});
  BOOST_TEST(again.exit_code == 8);
  BOOST_TEST(contains(message_of(again), "run '" + id + "' is pending"));
  // It started once: an edit of its schedule leaves its input, which its idempotency key
  // was first used with.
  ok_json({"schedule", "edit", "flaky", "--input", R"({"status":"auth_required","v":2})"});
  BOOST_TEST(!ok_json({"runs", id}).at("input").as_object().contains("v"));

  // The daemon takes it again, under the same id (the plugin's idempotency key).
  auto daemon = run({"run", "--once"});
  BOOST_REQUIRE_MESSAGE(daemon.exit_code == 0, daemon.err);
  const auto after = ok_json({"runs", id}).as_object();
  BOOST_TEST(after.at("status").as_string() == "needs_attention");
  BOOST_TEST(after.at("attempts").as_int64() == 2);
  BOOST_TEST(ok_json({"runs", "--json"}).as_array().size() == 1u);

  const auto fine = run_once("fine", "echo", R"({"n":1})");
  BOOST_REQUIRE(fine.at("status").as_string() == "succeeded");
  auto done = run({"runs", "retry", std::string(fine.at("id").as_string())});
  BOOST_TEST(done.exit_code == 8);
  BOOST_TEST(contains(message_of(done), "is succeeded; only a run that needs attention"));
  auto missing = run({"runs", "retry", "nope@20300101T000000Z"});
  BOOST_TEST(missing.exit_code == 4);
  BOOST_TEST(contains(message_of(missing), "run 'nope@20300101T000000Z' does not exist"));
  BOOST_TEST(run({"runs", "retry"}).exit_code == 2);
}

BOOST_FIXTURE_TEST_CASE(schedule_edit_changes_spec_input_and_account_keeping_history, Cli) {
  const auto ran = run_once("daily", "echo", R"({"text":"old"})");
  BOOST_REQUIRE(ran.at("status").as_string() == "succeeded");

  const auto edited = ok_json({"schedule", "edit", "daily", "--cron", "0 9 * * *", "--tz",
                               "Europe/Berlin", "--input", R"({"text":"new"})", "--account", "bob"})
                          .as_object();
  BOOST_TEST(edited.at("id").as_string() == "daily");
  BOOST_TEST(edited.at("spec").as_string() == "cron 0 9 * * *");
  BOOST_TEST(edited.at("time_zone").as_string() == "Europe/Berlin");
  BOOST_TEST(edited.at("input").at("text").as_string() == "new");
  BOOST_TEST(edited.at("account").as_string() == "bob");
  BOOST_TEST(contains(std::string(edited.at("next_fire").as_string()), "T09:00:00+01:00"));
  // The history is the schedule's still, and shows what that run really did.
  const auto shown = ok_json({"schedule", "show", "daily"}).as_object();
  BOOST_REQUIRE_EQUAL(shown.at("recent_runs").as_array().size(), 1u);
  BOOST_TEST(shown.at("recent_runs").as_array()[0].at("input").at("text").as_string() == "old");
  // Only the input changes when only the input is given.
  const auto input_only =
      ok_json({"schedule", "edit", "daily", "--input", R"({"text":"newer"})"}).as_object();
  BOOST_TEST(input_only.at("spec").as_string() == "cron 0 9 * * *");
  BOOST_TEST(input_only.at("account").as_string() == "bob");

  const std::vector<std::tuple<std::vector<std::string>, int, std::string>> cases = {
      {{"schedule", "edit", "nope", "--input", "{}"}, 4, "schedule 'nope' does not exist"},
      {{"schedule", "edit", "daily"}, 2, "needs something to change"},
      {{"schedule", "edit", "daily", "--cron", "0 25 * * *"}, 2, "--cron: cron expression"},
      {{"schedule", "edit", "daily", "--tz", "UTC"}, 2, "--tz and --start go with a new"},
      {{"schedule", "edit", "daily", "--input", "[1]"}, 2, "--input"},
      {{"schedule", "edit", "daily", "--account", "bad name"}, 2, "--account"},
      {{"schedule", "edit", "daily", "--cron", "@daily", "--every", "1h"}, 2, "only one of"},
  };
  for (const auto &[args, code, text] : cases) {
    auto r = run(args);
    BOOST_TEST(r.exit_code == code, text << ": " << r.err);
    BOOST_TEST(contains(message_of(r), text), message_of(r));
  }
  BOOST_TEST(ok_json({"schedule", "show", "daily"}).at("input").at("text").as_string() == "newer");
}

// A run made but not started yet (its schedule is due while the only worker is busy) takes
// the edited input and account; the run that finished before the edit keeps what it ran with.
BOOST_FIXTURE_TEST_CASE(schedule_edit_reaches_pending_runs_not_finished_ones, Cli) {
  const auto finished = run_once("daily", "echo", R"({"text":"old"})");
  BOOST_REQUIRE(finished.at("status").as_string() == "succeeded");
  const std::string when = utc_in(std::chrono::seconds{2});
  // "a-busy" sorts first, so the single worker takes it and "daily" waits, pending.
  ok_json({"schedule", "add", "probe.wait_for_cancel", "--at", when, "--id", "a-busy"});
  ok_json({"schedule", "edit", "daily", "--at", when});

  bool edited = false;
  int polls = 0;
  ProcessOptions o;
  o.env = private_autohost_env(home.path(), home / "state");
  o.env["TZ"] = "UTC";
  o.signal_number = SIGTERM;
  o.signal_when = [&] {
    if (++polls % 10 != 0) // every 200 ms
      return false;
    const json::value listed = ok_json({"runs", "--schedule", "daily", "--json"});
    const json::array &runs = listed.as_array();
    const bool waiting = std::any_of(runs.begin(), runs.end(), [](const json::value &r) {
      return r.at("status").as_string() == "pending";
    });
    if (!waiting)
      return polls > 1500; // 30 s: give up, the checks below say why
    ok_json({"schedule", "edit", "daily", "--input", R"({"text":"new"})", "--account", "bob"});
    edited = true;
    return true;
  };
  auto daemon = run_process(required_env("AUTOHOST_BIN"),
                            {"--plugin", probe, "--store", location, "run", "--workers", "1"}, o);
  BOOST_TEST(daemon.exit_code == 0, daemon.err);
  BOOST_REQUIRE_MESSAGE(edited, "no pending run of 'daily' appeared: " + daemon.err);

  const auto runs = ok_json({"runs", "--schedule", "daily", "--json"}).as_array();
  BOOST_REQUIRE_EQUAL(runs.size(), 2u);
  for (const auto &r : runs) {
    const bool is_first = r.at("id") == finished.at("id");
    BOOST_TEST(r.at("input").at("text").as_string() == (is_first ? "old" : "new"),
               json::serialize(r));
    const json::value *account = r.as_object().if_contains("account");
    const std::string who =
        account != nullptr && account->is_string() ? std::string(account->as_string()) : "";
    BOOST_TEST(who == (is_first ? "" : "bob"), json::serialize(r));
  }
  // The edited run then runs with what it was given.
  ok_json({"schedule", "rm", "a-busy"});
  auto again = run({"run", "--once"});
  BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.err);
  const json::value after = ok_json({"runs", "--schedule", "daily", "--json"});
  for (const auto &r : after.as_array()) {
    BOOST_TEST(r.at("status").as_string() == "succeeded");
    if (r.at("id") != finished.at("id")) {
      BOOST_TEST(r.at("output").at("input").at("text").as_string() == "new");
      BOOST_TEST(r.at("output").at("account").as_string() == "bob");
    }
  }
}

BOOST_FIXTURE_TEST_CASE(runs_prune_removes_old_finished_history_only, Cli) {
  const auto old_ok = run_once("old-ok", "echo", "{}");
  const auto old_attention = run_once("old-attention", "fail", R"({"status":"auth_required"})");
  const auto recent = run_once("recent", "echo", "{}");
  BOOST_REQUIRE(old_attention.at("status").as_string() == "needs_attention");
  ok_json({"secrets", "set", "threads/publish/alice/done"},
          R"({"input_sha256":"ab","container_id":"c1","media_id":"1789","permalink":"p"})");
  ok_json({"secrets", "set", "threads/publish/alice/open"},
          R"({"input_sha256":"cd","container_id":"c2","publish_sent_ms":1})");
  ok_json({"secrets", "set", "threads/accounts/alice/token"}, "t0k3n");
  // 200 days pass for all of it but the recent run.
  age_store("UPDATE runs SET finished_s = finished_s - " + std::to_string(days_200_s) +
            " WHERE schedule_id <> 'recent'; UPDATE secrets SET updated_ms = updated_ms - " +
            std::to_string(days_200_s * 1000));

  // Published yesterday: within the 90 days, so a repeated call still finds its post.
  ok_json({"secrets", "set", "threads/publish/alice/fresh"},
          R"({"input_sha256":"ef","container_id":"c3","media_id":"1790","permalink":"q"})");
  const auto pruned = ok_json({"runs", "prune", "--older-than", "90d"}).as_object();
  BOOST_TEST(pruned.at("runs_pruned").as_int64() == 1);
  BOOST_TEST(pruned.at("checkpoints_pruned").as_int64() == 1);
  BOOST_TEST(pruned.at("older_than").as_string() == "90d");
  std::set<std::string> left;
  const json::value listed = ok_json({"runs", "--json"});
  for (const auto &r : listed.as_array())
    left.insert(std::string(r.at("schedule").as_string()));
  BOOST_TEST((left == std::set<std::string>{"old-attention", "recent"}));
  // The unfinished post's checkpoint (exactly-once needs it) and other secrets stay.
  BOOST_TEST(run({"secrets", "get", "threads/publish/alice/open"}).exit_code == 0);
  BOOST_TEST(run({"secrets", "get", "threads/accounts/alice/token"}).exit_code == 0);
  BOOST_TEST(run({"secrets", "get", "threads/publish/alice/done"}).exit_code == 4);
  BOOST_TEST(run({"secrets", "get", "threads/publish/alice/fresh"}).exit_code == 0);
  const auto twice = ok_json({"runs", "prune", "--older-than", "90d"}).as_object();
  BOOST_TEST(twice.at("runs_pruned").as_int64() == 0);
  BOOST_TEST(twice.at("checkpoints_pruned").as_int64() == 0);

  auto no_age = run({"runs", "prune"});
  BOOST_TEST(no_age.exit_code == 2);
  BOOST_TEST(contains(message_of(no_age), "--older-than"));
  auto bad_age = run({"runs", "prune", "--older-than", "ninety"});
  BOOST_TEST(bad_age.exit_code == 2);
  BOOST_TEST(contains(message_of(bad_age), "--older-than"));
}

BOOST_FIXTURE_TEST_CASE(the_configs_retention_prunes_when_the_daemon_runs, Cli) {
  run_once("old", "echo", "{}");
  ok_json({"secrets", "set", "threads/publish/alice/done"}, R"({"media_id":"1789"})");
  age_store("UPDATE runs SET finished_s = finished_s - " + std::to_string(days_200_s) +
            "; UPDATE secrets SET updated_ms = updated_ms - " + std::to_string(days_200_s * 1000));
  const fs::path config = home / "config.json";
  std::ofstream(config) << R"({"retention": "90d"})";
  auto daemon = run({"--config", config.string(), "--log-level", "info", "run", "--once"});
  BOOST_REQUIRE_MESSAGE(daemon.exit_code == 0, daemon.err);
  BOOST_TEST(contains(daemon.err, "pruned history"));
  BOOST_TEST(contains(daemon.err, R"("runs":1)"));
  BOOST_TEST(contains(daemon.err, R"("checkpoints":1)"));
  BOOST_TEST(ok_json({"runs", "--json"}).as_array().empty());

  std::ofstream(config) << R"({"retention": "1h"})";
  auto too_short = run({"--config", config.string(), "run", "--once"});
  BOOST_TEST(too_short.exit_code == 2);
  BOOST_TEST(contains(message_of(too_short), "'retention' must be at least 1d, not '1h'"));
  std::ofstream(config) << R"({"retention": 90})";
  auto not_text = run({"--config", config.string(), "run", "--once"});
  BOOST_TEST(not_text.exit_code == 2);
  BOOST_TEST(contains(message_of(not_text), "'retention' must be a duration"));
}

BOOST_FIXTURE_TEST_CASE(store_backup_copies_a_store_that_restores, Cli) {
  const fs::path backup = home / "backup.db";
  if (testing_postgres()) {
    auto r = run({"store", "backup", backup.string()});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(message_of(r), "PostgreSQL database: back it up with pg_dump"));
    BOOST_TEST(!fs::exists(backup));
    return;
  }
  ok_json({"secrets", "set", "threads/accounts/alice/token"}, "first-value");
  run_once("kept", "echo", R"({"text":"hi"})");
  const auto made = ok_json({"store", "backup", backup.string()}).as_object();
  BOOST_TEST(made.at("backup").as_string() == backup.string());
  BOOST_TEST(made.at("master_key_included").as_bool() == false);
  BOOST_TEST(made.at("bytes").as_int64() == static_cast<std::int64_t>(fs::file_size(backup)));
  struct stat st {};
  BOOST_REQUIRE(::stat(backup.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  // Later writes are not in the backup.
  ok_json({"secrets", "set", "threads/accounts/alice/token"}, "second-value");
  ok_json({"schedule", "rm", "kept"});

  // Restore: the backup file in place of the store, with the same master key.
  fs::rename(backup, location);
  auto token = run({"secrets", "get", "threads/accounts/alice/token", "--reveal"});
  BOOST_TEST(token.exit_code == 0, token.err);
  BOOST_TEST(token.out == "first-value\n");
  BOOST_TEST(ok_json({"schedule", "show", "kept"}).at("id").as_string() == "kept");
  BOOST_TEST(ok_json({"runs", "--schedule", "kept", "--json"}).as_array().size() == 1u);

  // A backup never overwrites a file, and a failed one leaves nothing.
  std::ofstream(home / "taken.db") << "precious";
  auto taken = run({"store", "backup", (home / "taken.db").string()});
  BOOST_TEST(taken.exit_code == 2);
  BOOST_TEST(contains(message_of(taken), "taken.db exists"));
  std::ifstream in(home / "taken.db");
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(kept == "precious");
  // A copy that fails half-way (the file size limit is hit while writing) leaves no file.
  const fs::path cut = home / "cut.db";
  ProcessOptions limited;
  limited.env = private_autohost_env(home.path(), home / "state");
  auto full = run_process("/bin/sh",
                          {"-c", "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\"",
                           required_env("AUTOHOST_BIN"), "--plugin", probe, "--store", location,
                           "store", "backup", cut.string()},
                          limited);
  BOOST_TEST(full.exit_code == 11, full.err);
  BOOST_TEST(contains(message_of(full), "copy failed"), full.err);
  BOOST_TEST(!fs::exists(cut));
  auto nowhere = run({"store", "backup", (home / "no-dir/x.db").string()});
  BOOST_TEST(nowhere.exit_code == 11);
  BOOST_TEST(contains(message_of(nowhere), "no-dir/x.db"));
  BOOST_TEST(run({"store", "backup"}).exit_code == 2);
}
