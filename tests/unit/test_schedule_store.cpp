// The schedule store: schedules beside the secrets in one store, due runs made once, missed
// and overlap policies, atomic claims (also from several processes at once), leases that
// let a dead daemon's run be resumed under the same id, retries and the wake-up time.
// Every case runs on SQLite (suite unit) and on PostgreSQL (suite pg: the same binary with
// AUTOHOST_TEST_BACKEND=postgres, each case in a fresh database of one throw-away cluster).
// The stores trust the caller's clock so the cases can travel in time; one case checks that
// a store that does not trust it decides on the database's clock.
#define BOOST_TEST_MODULE schedule_store
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "result_print.hpp"
#include "scheduler/ids.hpp"
#include "scheduler/schedule_store.hpp"
#include "store/pg/connection.hpp"
#include "store/sql_secret_store.hpp"
#include "store_location.hpp"
#include "temp_dir.hpp"
#include "text_match.hpp"

#include <boost/json.hpp>
#include <sqlite3.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

// Instants are compared in assertions; their text is checked where it matters.
BOOST_TEST_DONT_PRINT_LOG_VALUE(autohost::scheduler::Instant)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<autohost::scheduler::Instant>)

using namespace autohost;
using namespace autohost::scheduler;
using autohost::test::TempDir;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

constexpr const char *master_key =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Instant utc(std::string_view text) {
  auto written = parse_written_time(text, "test");
  BOOST_REQUIRE(written);
  return resolve_written_time(written.value(), *date::locate_zone("UTC"));
}

using autohost::test::contains;

template <class T> T ok(Result<T> r) {
  BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().body));
  return std::move(r).value();
}

ScheduleDraft draft(Result<ScheduleSpec> spec, std::string id = {}) {
  ScheduleDraft d(ok(std::move(spec)));
  d.id = std::move(id);
  d.plugin = "probe";
  d.target = "echo";
  d.account = "alice";
  d.input_json = R"({"text":"hello"})";
  return d;
}

ScheduleDraft at(std::string_view when, std::string id) {
  return draft(ScheduleSpec::at(when, "UTC", "--at"), std::move(id));
}

ScheduleDraft cron(std::string_view expr, std::string id) {
  return draft(ScheduleSpec::cron(expr, "UTC", "--cron"), std::move(id));
}

// Runs SQL on the store behind the store's back, as its owner could.
void raw_sql(const std::string &location, const std::string &sql) {
  if (test::testing_postgres()) {
    auto connection = store::pg::Connection::open({location});
    BOOST_REQUIRE_MESSAGE(connection.has_value(), (connection ? "" : connection.error().message));
    auto done = connection.value()->exec(sql);
    BOOST_REQUIRE_MESSAGE(done.has_value(), (done ? "" : done.error().message));
    return;
  }
  store::Database db(location, false);
  BOOST_REQUIRE(db.exec(sql));
}

// For the few cases only one backend has: Boost runs them there and reports them skipped
// on the other.
boost::test_tools::assertion_result on_sqlite(boost::unit_test::test_unit_id) {
  return !test::testing_postgres();
}
boost::test_tools::assertion_result on_postgres(boost::unit_test::test_unit_id) {
  return test::testing_postgres();
}

ScheduleStoreOptions trusting(const std::string &location) {
  ScheduleStoreOptions o;
  o.location = location;
  o.trust_caller_clock = true; // the cases travel in time
  return o;
}

struct Stores {
  TempDir dir;
  std::string location = test::fresh_store_location(dir.path());
  std::unique_ptr<store::SqlSecretStore> secrets = open_secrets();
  std::unique_ptr<ScheduleStore> schedules = open_schedules();

  std::unique_ptr<store::SqlSecretStore> open_secrets() {
    return ok(store::SqlSecretStore::open(store::SecretStoreOptions{
        location, store::KeySource{std::string(master_key), dir / "master.key"}}));
  }
  std::unique_ptr<ScheduleStore> open_schedules(RetryPolicy retry = {},
                                                seconds lease = seconds{120}) {
    ScheduleStoreOptions o = trusting(location);
    o.retry = retry;
    o.lease = lease;
    return ok(ScheduleStore::open(o));
  }
  Run run(const std::string &id) {
    auto found = ok(schedules->find_run(id));
    BOOST_REQUIRE_MESSAGE(found.has_value(), "no run " + id);
    return *found;
  }
  Claim claim(std::string_view worker, Instant now) {
    auto c = ok(schedules->claim_next(worker, now));
    BOOST_REQUIRE(c.has_value());
    return *c;
  }
  // `count` one-shot schedules p0, p1, ... due at `due`.
  void add_one_shots(int count, std::string_view due) {
    for (int i = 0; i < count; ++i) {
      ok(schedules->add(at(due, "p" + std::to_string(i)), utc("2025-01-01T00:00:00Z")));
    }
  }
  // Runs `body` in `workers` forked processes at once, each with its own connection and a
  // file for the run ids it claimed; `body` returns the process's exit code.
  using Racer =
      std::function<int(ScheduleStore &mine, const std::string &worker, std::ostream &claimed)>;
  void race(int workers, const Racer &body) {
    schedules.reset();
    secrets.reset();
    std::vector<pid_t> children;
    for (int w = 0; w < workers; ++w) {
      const pid_t pid = ::fork();
      BOOST_REQUIRE(pid >= 0);
      if (pid == 0) {
        int code = 2;
        {
          auto mine = ScheduleStore::open(trusting(location));
          std::ofstream log(dir / ("claims-" + std::to_string(w)));
          if (mine)
            code = body(*mine.value(), "worker-" + std::to_string(w), log);
        }
        ::_exit(code);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
      BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), "worker exit " << status);
    }
    racers = workers;
  }
  // After race(): every run was claimed by exactly one process and succeeded at once.
  void expect_each_run_once(std::size_t count) {
    std::multiset<std::string> claimed;
    for (int w = 0; w < racers; ++w) {
      std::istringstream lines(test::read_file(dir / ("claims-" + std::to_string(w))));
      for (std::string id; std::getline(lines, id);)
        claimed.insert(id);
    }
    schedules = open_schedules();
    std::multiset<std::string> stored;
    for (const auto &r : ok(schedules->runs(RunFilter{std::nullopt, std::nullopt, 1000}))) {
      stored.insert(r.id);
      BOOST_TEST((r.status == RunStatus::succeeded && r.attempts == 1), r.id);
    }
    BOOST_TEST(stored.size() == count);
    BOOST_TEST(claimed == stored, "claimed once each: " << claimed.size() << " lines");
  }
  int racers = 0;
};

} // namespace

BOOST_FIXTURE_TEST_CASE(add_find_list_remove, Stores) {
  const Instant now = utc("2025-01-01T00:00:00Z");
  const Schedule added = ok(schedules->add(cron("0 9 * * *", "daily"), now));
  BOOST_TEST(added.id == "daily");
  BOOST_TEST(added.name == "probe.echo");
  BOOST_TEST(added.spec == "cron 0 9 * * *");
  BOOST_TEST(format_utc(*added.next_fire) == "2025-01-01T09:00:00Z");
  BOOST_TEST(added.source == "cli");

  auto again = schedules->add(cron("0 10 * * *", "daily"), now);
  BOOST_REQUIRE(!again);
  BOOST_TEST(again.error().status == AH_CONFLICT);
  BOOST_TEST(contains(host::error_message(again.error()), "schedule 'daily' already exists"));
  BOOST_TEST(ok(schedules->find("daily"))->spec == "cron 0 9 * * *"); // nothing overwritten

  const Schedule generated = ok(schedules->add(at("2025-02-01T00:00:00Z", ""), now));
  BOOST_TEST(generated.id.rfind("s-", 0) == 0);
  BOOST_TEST(generated.id.size() == 12u);
  auto bad_id = schedules->add(at("2025-02-01T00:00:00Z", "bad id"), now);
  BOOST_REQUIRE(!bad_id);
  BOOST_TEST(contains(host::error_message(bad_id.error()), "schedule id 'bad id' must be"));

  const auto all = ok(schedules->list());
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].id == "daily"); // soonest first

  BOOST_TEST(ok(schedules->remove("daily", now)).cancelled_runs == 0);
  auto gone = schedules->remove("daily", now);
  BOOST_REQUIRE(!gone);
  BOOST_TEST(gone.error().status == AH_NOT_FOUND);
  BOOST_TEST(!ok(schedules->find("daily")).has_value());
}

BOOST_FIXTURE_TEST_CASE(secrets_and_schedules_share_the_file, Stores) {
  BOOST_TEST(ok(secrets->put("threads/accounts/alice/token", "tok", 0)).version == 1u);
  ok(schedules->add(cron("@daily", "d"), utc("2025-01-01T00:00:00Z")));
  secrets.reset();
  schedules.reset();
  // Both reopen; nothing of the other was disturbed.
  secrets = open_secrets();
  schedules = open_schedules();
  BOOST_TEST(ok(secrets->get("threads/accounts/alice/token"))->value == "tok");
  BOOST_TEST(ok(schedules->list()).size() == 1u);
}

// The idle daemon calls it before a long sleep: what the connection read is given back,
// and the next call reads it again.
BOOST_FIXTURE_TEST_CASE(release_memory_frees_the_page_cache, Stores,
                        *boost::unit_test::precondition(on_sqlite)) {
  add_one_shots(500, "2025-02-01T00:00:00Z");
  secrets.reset(); // its connection's cache would count too
  BOOST_TEST(ok(schedules->list()).size() == 500u);
  const std::int64_t held = sqlite3_memory_used();
  schedules->release_memory();
  const std::int64_t freed = held - sqlite3_memory_used();
  BOOST_TEST_MESSAGE("page cache freed: " << freed << " bytes");
  BOOST_TEST(freed >= 64 * 1024); // 500 schedules fill dozens of 4 KiB pages
  BOOST_TEST(ok(schedules->list()).size() == 500u);
}

// SQLite only: files that are not stores.
BOOST_AUTO_TEST_CASE(sqlite_open_refuses_files_that_are_not_stores,
                     *boost::unit_test::precondition(on_sqlite)) {
  TempDir dir;
  ScheduleStoreOptions o;
  o.location = dir / "missing.db";
  auto missing = ScheduleStore::open(o);
  BOOST_REQUIRE(!missing);
  BOOST_TEST(contains(host::error_message(missing.error()), "missing.db does not exist"));
  std::ofstream(dir / "text.db") << "not a database at all, just some text that is long enough";
  o.location = dir / "text.db";
  auto text = ScheduleStore::open(o);
  BOOST_REQUIRE(!text);
  const std::string why = host::error_message(text.error());
  BOOST_TEST((contains(why, "text.db") && contains(why, "not a database")), why);
  BOOST_TEST(test::read_file(dir / "text.db").rfind("not a database", 0) == 0);
}

BOOST_FIXTURE_TEST_CASE(one_shot_becomes_one_run_once, Stores) {
  const Instant created = utc("2025-03-30T00:00:00Z");
  ok(schedules->add(draft(ScheduleSpec::at("2025-03-30T02:30", "Europe/Berlin", "--at"), "post"),
                    created));
  BOOST_TEST(ok(schedules->materialise_due(utc("2025-03-30T00:59:59Z"))).pending.empty());
  const DueReport due = ok(schedules->materialise_due(utc("2025-03-30T01:00:00Z")));
  // 02:30 Berlin does not exist that day: due when the gap ends, 01:00 UTC.
  BOOST_REQUIRE_EQUAL(due.pending.size(), 1u);
  BOOST_TEST(due.pending[0] == "post@20250330T010000Z");
  BOOST_TEST(ok(schedules->materialise_due(utc("2025-03-30T01:00:30Z"))).pending.empty());
  BOOST_TEST(!ok(schedules->find("post"))->next_fire.has_value());

  const Run r = run("post@20250330T010000Z");
  BOOST_TEST((r.status == RunStatus::pending));
  BOOST_TEST(r.input_json == R"({"text":"hello"})");
  BOOST_TEST(r.account == "alice");
  BOOST_TEST(r.attempts == 0);
  // Removing and adding the schedule again cannot make the same occurrence run twice.
  ok(schedules->remove("post", utc("2025-03-30T01:00:10Z")));
  ok(schedules->add(draft(ScheduleSpec::at("2025-03-30T02:30", "Europe/Berlin", "--at"), "post"),
                    utc("2025-03-30T01:00:20Z")));
  BOOST_TEST(ok(schedules->materialise_due(utc("2025-03-30T01:00:30Z"))).pending.empty());
  BOOST_TEST((run("post@20250330T010000Z").status == RunStatus::cancelled));
  BOOST_TEST(ok(schedules->runs(RunFilter{})).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(late_one_shot_runs_within_max_lateness_else_is_missed, Stores) {
  const Instant created = utc("2025-01-01T00:00:00Z");
  ok(schedules->add(at("2025-01-01T09:00:00Z", "first"), created));
  ok(schedules->add(at("2025-01-01T09:00:00Z", "second"), created));
  // Both are seen 59 minutes late (max lateness 1 h): they may still run.
  auto first = ok(schedules->materialise_due(utc("2025-01-01T09:59:00Z")));
  BOOST_TEST(first.pending.size() == 2u);
  const Claim c = claim("daemon-a", utc("2025-01-01T09:59:30Z"));
  BOOST_TEST(c.run.id == "first@20250101T090000Z"); // same due time: ordered by id
  ok(schedules->complete(c, RunResult{RunStatus::succeeded, "{}", ""},
                         utc("2025-01-01T10:00:00Z")));
  // Nobody started "second" in time: at the next claim it is recorded as missed.
  BOOST_TEST(!ok(schedules->claim_next("daemon-a", utc("2025-01-01T10:00:01Z"))).has_value());
  const Run missed = run("second@20250101T090000Z");
  BOOST_TEST((missed.status == RunStatus::missed));
  BOOST_TEST(contains(missed.error_json, R"("code":"late")"));

  // A one-shot first seen 2 hours late is recorded as missed straight away.
  ok(schedules->add(at("2025-01-02T09:00:00Z", "very-late"), created));
  auto late = ok(schedules->materialise_due(utc("2025-01-02T11:00:00Z")));
  BOOST_REQUIRE_EQUAL(late.missed.size(), 1u);
  const Run r = run("very-late@20250102T090000Z");
  BOOST_TEST((r.status == RunStatus::missed));
  BOOST_TEST(contains(r.error_json, "max lateness of 1h"));
  BOOST_TEST(r.finished.has_value());
}

BOOST_FIXTURE_TEST_CASE(recurring_catches_up_once, Stores) {
  ok(schedules->add(cron("0 * * * *", "hourly"), utc("2025-01-01T00:00:00Z")));
  // The daemon was down for five and a half hours: one run, for the latest occurrence.
  const DueReport due = ok(schedules->materialise_due(utc("2025-01-01T05:30:00Z")));
  BOOST_REQUIRE_EQUAL(due.pending.size(), 1u);
  BOOST_TEST(due.pending[0] == "hourly@20250101T050000Z");
  BOOST_TEST(format_utc(*ok(schedules->find("hourly"))->next_fire) == "2025-01-01T06:00:00Z");

  // Days down with an every-minute schedule: still one run, found without walking it all.
  ok(schedules->add(cron("* * * * *", "minutely"), utc("2025-01-01T00:00:00Z")));
  const DueReport later = ok(schedules->materialise_due(utc("2025-01-20T12:34:56Z")));
  BOOST_TEST(later.pending == std::vector<std::string>{"minutely@20250120T123400Z"},
             boost::test_tools::per_element());
  // hourly's 05:00 run was never claimed, so its latest occurrence overlaps it.
  BOOST_TEST(later.missed == std::vector<std::string>{"hourly@20250120T120000Z"},
             boost::test_tools::per_element());
  BOOST_TEST(run("minutely@20250120T123400Z").due == utc("2025-01-20T12:34:00Z"));
  BOOST_TEST(format_utc(*ok(schedules->find("minutely"))->next_fire) == "2025-01-20T12:35:00Z");
}

BOOST_FIXTURE_TEST_CASE(recurring_skip_policy_records_late_occurrences_as_missed, Stores) {
  ScheduleDraft d = cron("0 * * * *", "strict");
  d.missed = MissedPolicy::skip;
  d.max_lateness = minutes{10};
  ok(schedules->add(d, utc("2025-01-01T00:00:00Z")));
  const DueReport late = ok(schedules->materialise_due(utc("2025-01-01T03:20:00Z")));
  BOOST_TEST(late.pending.empty());
  BOOST_REQUIRE_EQUAL(late.missed.size(), 1u);
  BOOST_TEST(late.missed[0] == "strict@20250101T030000Z");
  const DueReport on_time = ok(schedules->materialise_due(utc("2025-01-01T04:05:00Z")));
  BOOST_TEST(on_time.pending.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(overlap_policies, Stores) {
  schedules = open_schedules(RetryPolicy{}, hours{1}); // the held claims must not expire
  const Instant t0 = utc("2025-01-01T00:00:00Z");
  ScheduleDraft skip = cron("*/10 * * * *", "skip");
  ScheduleDraft queue = cron("*/10 * * * *", "queue");
  queue.overlap = OverlapPolicy::queue;
  ScheduleDraft allow = cron("*/10 * * * *", "allow");
  allow.overlap = OverlapPolicy::allow;
  for (const auto &d : {skip, queue, allow})
    ok(schedules->add(d, t0));

  BOOST_TEST(ok(schedules->materialise_due(utc("2025-01-01T00:10:00Z"))).pending.size() == 3u);
  std::vector<Claim> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(claim("a", utc("2025-01-01T00:10:01Z")));
  const DueReport second = ok(schedules->materialise_due(utc("2025-01-01T00:20:00Z")));
  // skip: the previous run is still running, so this occurrence is missed.
  BOOST_TEST(second.missed == std::vector<std::string>{"skip@20250101T002000Z"},
             boost::test_tools::per_element());
  BOOST_TEST(contains(run("skip@20250101T002000Z").error_json, R"("code":"overlap")"));
  // allow runs at once; queue waits for its running run.
  const Claim allowed = claim("a", utc("2025-01-01T00:20:01Z"));
  BOOST_TEST(allowed.run.id == "allow@20250101T002000Z");
  BOOST_TEST(!ok(schedules->claim_next("a", utc("2025-01-01T00:20:02Z"))).has_value());
  for (const auto &c : held) {
    if (c.run.schedule_id == "queue") {
      ok(schedules->complete(c, RunResult{}, utc("2025-01-01T00:20:03Z")));
    }
  }
  BOOST_TEST(claim("a", utc("2025-01-01T00:20:04Z")).run.id == "queue@20250101T002000Z");
}

BOOST_FIXTURE_TEST_CASE(claim_complete_and_the_claim_is_a_fence, Stores) {
  ok(schedules->add(at("2025-01-01T09:00:00Z", "p"), utc("2025-01-01T00:00:00Z")));
  ok(schedules->materialise_due(utc("2025-01-01T09:00:00Z")));
  BOOST_TEST(!ok(schedules->claim_next("a", utc("2025-01-01T08:59:59Z"))).has_value());
  const Claim c = claim("daemon-a", utc("2025-01-01T09:00:01Z"));
  BOOST_TEST(c.run.id == "p@20250101T090000Z");
  BOOST_TEST((c.run.status == RunStatus::running));
  BOOST_TEST(c.run.attempts == 1);
  BOOST_TEST(c.run.claimed_by == "daemon-a");
  BOOST_TEST(format_utc(*c.run.lease_until) == "2025-01-01T09:02:01Z");
  BOOST_TEST(!ok(schedules->claim_next("daemon-b", utc("2025-01-01T09:00:02Z"))).has_value());

  const Run done = ok(schedules->complete(
      c, RunResult{RunStatus::succeeded, R"({"id":"1789"})", ""}, utc("2025-01-01T09:00:05Z")));
  BOOST_TEST((done.status == RunStatus::succeeded));
  BOOST_TEST(done.output_json == R"({"id":"1789"})");
  BOOST_TEST(format_utc(*done.finished) == "2025-01-01T09:00:05Z");
  auto twice =
      schedules->complete(c, RunResult{RunStatus::failed, "", "{}"}, utc("2025-01-01T09:00:06Z"));
  BOOST_REQUIRE(!twice);
  BOOST_TEST(twice.error().status == AH_CONFLICT);
  BOOST_TEST((run(c.run.id).status == RunStatus::succeeded)); // the result was not overwritten
}

BOOST_FIXTURE_TEST_CASE(a_dead_daemons_run_is_resumed_with_the_same_id, Stores) {
  ok(schedules->add(at("2025-01-01T09:00:00Z", "p"), utc("2025-01-01T00:00:00Z")));
  ok(schedules->materialise_due(utc("2025-01-01T09:00:00Z")));
  const Claim a = claim("daemon-a", utc("2025-01-01T09:00:00Z"));
  ok(schedules->renew_lease(a, utc("2025-01-01T09:01:00Z"))); // lease to 09:03:00
  BOOST_TEST(!ok(schedules->claim_next("daemon-b", utc("2025-01-01T09:03:00Z"))).has_value());
  BOOST_TEST(ok(schedules->stale_runs(utc("2025-01-01T09:03:00Z"))).empty());
  // daemon-a died: its lease runs out and daemon-b resumes the same run.
  BOOST_TEST(ok(schedules->stale_runs(utc("2025-01-01T09:03:01Z"))).size() == 1u);
  const Claim b = claim("daemon-b", utc("2025-01-01T09:03:01Z"));
  BOOST_TEST(b.run.id == a.run.id);
  BOOST_TEST(b.run.attempts == 2);
  BOOST_TEST(format_utc(*b.run.started) == "2025-01-01T09:00:00Z"); // first start kept
  // daemon-a was only slow: everything it tries now is refused.
  auto late = schedules->complete(a, RunResult{}, utc("2025-01-01T09:03:02Z"));
  BOOST_REQUIRE(!late);
  BOOST_TEST(late.error().status == AH_CONFLICT);
  BOOST_TEST(contains(host::error_message(late.error()), "is no longer held by daemon-a"));
  BOOST_TEST(!schedules->renew_lease(a, utc("2025-01-01T09:03:02Z")));
  BOOST_TEST(ok(schedules->complete(b, RunResult{}, utc("2025-01-01T09:03:03Z"))).attempts == 2);
}

BOOST_FIXTURE_TEST_CASE(a_run_whose_daemon_keeps_dying_is_given_up, Stores) {
  schedules = open_schedules(RetryPolicy{seconds{30}, hours{1}, 2}, seconds{60});
  ok(schedules->add(at("2025-01-01T09:00:00Z", "p"), utc("2025-01-01T00:00:00Z")));
  ok(schedules->materialise_due(utc("2025-01-01T09:00:00Z")));
  claim("a", utc("2025-01-01T09:00:00Z"));
  claim("b", utc("2025-01-01T09:01:01Z"));
  BOOST_TEST(!ok(schedules->claim_next("c", utc("2025-01-01T09:02:02Z"))).has_value());
  const Run r = run("p@20250101T090000Z");
  BOOST_TEST((r.status == RunStatus::failed));
  BOOST_TEST(contains(r.error_json, R"("code":"abandoned")"));
}

BOOST_FIXTURE_TEST_CASE(retry_later_waits_then_gives_up, Stores) {
  schedules = open_schedules(RetryPolicy{seconds{30}, hours{1}, 3});
  ok(schedules->add(at("2025-01-01T09:00:00Z", "p"), utc("2025-01-01T00:00:00Z")));
  ok(schedules->materialise_due(utc("2025-01-01T09:00:00Z")));
  const Claim first = claim("a", utc("2025-01-01T09:00:00Z"));
  const Run waiting = ok(schedules->retry_later(first, R"({"code":"rate_limited"})", seconds{600},
                                                utc("2025-01-01T09:00:10Z")));
  BOOST_TEST((waiting.status == RunStatus::pending));
  // The plugin's hint, plus the second `now` may already be into (whole-second clock).
  BOOST_TEST(format_utc(waiting.not_before) == "2025-01-01T09:10:11Z");
  BOOST_TEST(waiting.error_json == R"({"code":"rate_limited"})");
  // Retries are not subject to the lateness limit: the run has started.
  BOOST_TEST(!ok(schedules->claim_next("a", utc("2025-01-01T09:10:10Z"))).has_value());
  const Claim second = claim("a", utc("2025-01-01T09:10:11Z"));
  BOOST_TEST(second.run.attempts == 2);
  const Run backoff =
      ok(schedules->retry_later(second, "", std::nullopt, utc("2025-01-01T09:10:20Z")));
  const auto wait = backoff.not_before - utc("2025-01-01T09:10:20Z");
  BOOST_TEST((wait >= seconds{31} && wait <= seconds{61}), wait.count()); // 60 s, half random
  const Claim third = claim("a", backoff.not_before);
  const Run failed =
      ok(schedules->retry_later(third, R"({"code":"x"})", std::nullopt, backoff.not_before));
  BOOST_TEST((failed.status == RunStatus::failed));
  BOOST_TEST(contains(failed.error_json, R"("code":"retries_exhausted")"));
  BOOST_TEST(contains(failed.error_json, R"("last_error":{"code":"x"})"));
}

BOOST_FIXTURE_TEST_CASE(release_gives_a_run_back_untouched, Stores) {
  ok(schedules->add(at("2025-01-01T09:00:00Z", "p"), utc("2025-01-01T00:00:00Z")));
  ok(schedules->materialise_due(utc("2025-01-01T09:00:00Z")));
  const Claim c = claim("a", utc("2025-01-01T09:00:00Z"));
  ok(schedules->release(c, utc("2025-01-01T09:00:01Z")));
  const Run back = run(c.run.id);
  BOOST_TEST((back.status == RunStatus::pending));
  BOOST_TEST(back.attempts == 0);
  BOOST_TEST(!back.started.has_value());
  BOOST_TEST(claim("b", utc("2025-01-01T09:00:02Z")).run.attempts == 1);
}

BOOST_FIXTURE_TEST_CASE(pause_resume_and_remove, Stores) {
  ScheduleDraft hourly = cron("0 * * * *", "h");
  hourly.overlap = OverlapPolicy::allow;
  ok(schedules->add(hourly, utc("2025-01-01T00:00:00Z")));
  ok(schedules->materialise_due(utc("2025-01-01T01:00:00Z")));
  ok(schedules->set_paused("h", true, utc("2025-01-01T01:00:01Z")));
  // Paused: its pending run waits and nothing new is made.
  BOOST_TEST(!ok(schedules->claim_next("a", utc("2025-01-01T01:00:02Z"))).has_value());
  BOOST_TEST(ok(schedules->materialise_due(utc("2025-01-01T05:00:00Z"))).pending.empty());
  // Resumed: from the next occurrence after now, no catching up.
  const Schedule resumed = ok(schedules->set_paused("h", false, utc("2025-01-01T05:30:00Z")));
  BOOST_TEST(format_utc(*resumed.next_fire) == "2025-01-01T06:00:00Z");
  BOOST_TEST(claim("a", utc("2025-01-01T05:30:01Z")).run.id == "h@20250101T010000Z");
  ok(schedules->materialise_due(utc("2025-01-01T06:00:00Z")));
  // Removing cancels what has not started; the running run stays for its daemon.
  BOOST_TEST(ok(schedules->remove("h", utc("2025-01-01T06:00:01Z"))).cancelled_runs == 1);
  BOOST_TEST((run("h@20250101T060000Z").status == RunStatus::cancelled));
  BOOST_TEST((run("h@20250101T010000Z").status == RunStatus::running));
  BOOST_TEST(!schedules->set_paused("h", true, utc("2025-01-01T06:00:02Z")));
}

BOOST_FIXTURE_TEST_CASE(next_wake_and_generation, Stores) {
  const Instant t0 = utc("2025-01-01T00:00:00Z");
  BOOST_TEST(!ok(schedules->next_wake()).has_value());
  const auto g0 = ok(schedules->generation());
  ok(schedules->add(at("2025-01-01T09:00:00Z", "p"), t0));
  ok(schedules->add(cron("30 8 * * *", "c"), t0));
  BOOST_TEST(ok(schedules->generation()) > g0);
  BOOST_TEST(format_utc(*ok(schedules->next_wake())) == "2025-01-01T08:30:00Z");
  ok(schedules->set_paused("c", true, t0));
  BOOST_TEST(format_utc(*ok(schedules->next_wake())) == "2025-01-01T09:00:00Z");
  ok(schedules->materialise_due(utc("2025-01-01T09:00:00Z")));
  const Claim c = claim("a", utc("2025-01-01T09:00:00Z"));
  // Only the lease's end is left to wake for.
  BOOST_TEST(format_utc(*ok(schedules->next_wake())) == "2025-01-01T09:02:01Z");
  const auto g1 = ok(schedules->generation());
  ok(schedules->complete(c, RunResult{}, utc("2025-01-01T09:00:30Z")));
  // On PostgreSQL a completion wakes the other daemons only when a run of its schedule
  // waits (nothing else it frees is theirs to claim); on SQLite every write wakes them.
  if (test::testing_postgres()) {
    BOOST_TEST(ok(schedules->generation()) == g1);
  } else {
    BOOST_TEST(ok(schedules->generation()) > g1);
  }
  BOOST_TEST(!ok(schedules->next_wake()).has_value());

  // A queue schedule's second run waits for the first: its completion wakes everyone.
  ScheduleDraft q = cron("* * * * *", "q");
  q.overlap = OverlapPolicy::queue;
  ok(schedules->add(q, utc("2025-01-01T10:00:00Z")));
  ok(schedules->materialise_due(utc("2025-01-01T10:01:00Z")));
  const Claim first = claim("a", utc("2025-01-01T10:01:00Z"));
  ok(schedules->materialise_due(utc("2025-01-01T10:02:00Z")));
  BOOST_TEST(!ok(schedules->claim_next("b", utc("2025-01-01T10:02:00Z"))).has_value());
  const auto g2 = ok(schedules->generation());
  ok(schedules->complete(first, RunResult{}, utc("2025-01-01T10:02:01Z")));
  BOOST_TEST(ok(schedules->generation()) > g2);
  BOOST_TEST(claim("b", utc("2025-01-01T10:02:02Z")).run.id == "q@20250101T100200Z");
}

BOOST_FIXTURE_TEST_CASE(plugin_job_defaults_and_overrides, Stores) {
  const Instant t0 = utc("2025-01-01T00:00:00Z");
  auto job = [&](std::string_view expr) {
    ScheduleDraft d(ok(ScheduleSpec::parse(expr, "UTC", t0, "default_schedule")));
    d.plugin = "threads";
    d.target = "refresh_tokens";
    d.content_hash = std::string(expr);
    d.jitter = minutes{5};
    return d;
  };
  const Schedule first = ok(schedules->ensure_job_schedule(job("0 */6 * * *"), t0));
  BOOST_TEST(first.id == "job.threads.refresh_tokens");
  BOOST_TEST((first.kind == TargetKind::job));
  BOOST_TEST(first.source == "plugin_default");
  const Schedule same = ok(schedules->ensure_job_schedule(job("0 */6 * * *"), t0 + hours{1}));
  BOOST_TEST((same.updated == first.updated));
  const Schedule changed = ok(schedules->ensure_job_schedule(job("0 */4 * * *"), t0 + hours{1}));
  BOOST_TEST(changed.spec == "cron 0 */4 * * *");
  // The user's own schedule for the job wins; the default steps aside.
  ScheduleDraft mine = job("@daily");
  mine.id = "my-refresh";
  mine.kind = TargetKind::job;
  ok(schedules->add(mine, t0));
  const Schedule chosen = ok(schedules->ensure_job_schedule(job("0 */4 * * *"), t0 + hours{2}));
  BOOST_TEST(chosen.id == "my-refresh");
  BOOST_TEST(!ok(schedules->find("job.threads.refresh_tokens")).has_value());
  // Jitter delays each run by a stable amount up to the maximum.
  ok(schedules->materialise_due(utc("2025-01-02T00:00:00Z")));
  const Run r = run("my-refresh@20250102T000000Z");
  BOOST_TEST((r.not_before >= r.due && r.not_before <= r.due + minutes{5}));
}

BOOST_FIXTURE_TEST_CASE(stored_schedule_whose_zone_vanished_stops_with_a_problem, Stores) {
  ok(schedules->add(cron("0 * * * *", "z"), utc("2025-01-01T00:00:00Z")));
  schedules.reset();
  { raw_sql(location, "UPDATE schedules SET time_zone = 'Gone/Away' WHERE id = 'z'"); }
  schedules = open_schedules();
  const DueReport due = ok(schedules->materialise_due(utc("2025-01-01T01:00:00Z")));
  BOOST_REQUIRE_EQUAL(due.problems.size(), 1u);
  BOOST_TEST(contains(due.problems[0], "'Gone/Away'"));
  const Schedule s = *ok(schedules->find("z"));
  BOOST_TEST(!s.next_fire.has_value()); // no busy loop over it
  BOOST_TEST(contains(s.problem, "Gone/Away"));
  BOOST_TEST(s.spec == "cron 0 * * * *"); // nothing else lost
}

// On PostgreSQL the database's clock decides what is due and whose lease ran out: a host
// whose clock is 5 minutes ahead makes no run early and takes no live lease.
// PostgreSQL only: on SQLite the host's clock is the store's clock.
BOOST_FIXTURE_TEST_CASE(a_host_clock_ahead_neither_runs_early_nor_steals_a_lease, Stores,
                        *boost::unit_test::precondition(on_postgres)) {
  ScheduleStoreOptions o;
  o.location = location; // trust_caller_clock unset, as on every host
  auto skewed = ok(ScheduleStore::open(o));
  const Instant host_now = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  const Instant ahead = host_now + seconds{300};
  const Instant db_now = ok(skewed->current_time(ahead));
  BOOST_TEST_REQUIRE((db_now < host_now + seconds{60}), "the database clock is not the caller's");

  // One post due now and one in two minutes, by the database's clock.
  ok(schedules->add(at(format_utc(db_now), "now"), db_now - seconds{10}));
  ok(schedules->add(at(format_utc(db_now + minutes{2}), "soon"), db_now));
  const DueReport due = ok(skewed->materialise_due(ahead));
  BOOST_REQUIRE_EQUAL(due.pending.size(), 1u);
  BOOST_TEST(due.pending[0] == make_run_id("now", db_now));
  BOOST_TEST(!ok(skewed->find_run(make_run_id("soon", db_now + minutes{2}))).has_value());
  BOOST_TEST((ok(skewed->find("soon"))->next_fire == db_now + minutes{2}));

  // Another host holds the run with a lease of 120 s; 300 s ahead it still looks live.
  const Claim held = claim("honest", db_now);
  BOOST_TEST(!ok(skewed->claim_next("skewed", ahead)).has_value());
  BOOST_TEST(ok(skewed->stale_runs(ahead)).empty());
  const Run still = run(held.run.id);
  BOOST_TEST(still.claimed_by == "honest");
  BOOST_TEST(still.attempts == 1);
  ok(schedules->complete(held, RunResult{}, db_now + seconds{1}));
}

// Real processes, each with its own connection, race to make and claim the same runs.
BOOST_FIXTURE_TEST_CASE(several_processes_never_claim_the_same_run, Stores) {
  add_one_shots(40, "2025-01-01T09:00:00Z");
  race(4, [](ScheduleStore &mine, const std::string &worker, std::ostream &log) {
    const Instant now = utc("2025-01-01T09:00:00Z");
    if (!mine.materialise_due(now))
      return 2;
    for (;;) {
      auto c = mine.claim_next(worker, now);
      if (!c)
        return 3;
      if (!c.value())
        return 0;
      log << c.value()->run.id << "\n" << std::flush;
      if (!mine.complete(*c.value(), RunResult{}, now))
        return 4;
    }
  });
  expect_each_run_once(40);
}

// One claim_batch gives each free worker a run in one transaction: the runs claim_next would
// give one by one, in its order, each with its lease, and the overlap rules still hold.
BOOST_FIXTURE_TEST_CASE(claim_batch_takes_a_run_per_free_worker, Stores) {
  const Instant t0 = utc("2025-01-01T00:00:00Z");
  for (int i = 0; i < 6; ++i) {
    ok(schedules->add(at("2025-01-01T09:00:00Z", "p" + std::to_string(i)), t0));
  }
  ok(schedules->materialise_due(utc("2025-01-01T09:00:00Z")));
  BOOST_TEST(ok(schedules->claim_batch("a", utc("2025-01-01T09:00:01Z"), 0)).empty());

  const std::vector<Claim> first = ok(schedules->claim_batch("a", utc("2025-01-01T09:00:01Z"), 4));
  BOOST_REQUIRE_EQUAL(first.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    const Claim &c = first[static_cast<size_t>(i)];
    BOOST_TEST(c.run.id == "p" + std::to_string(i) + "@20250101T090000Z"); // claim_next's order
    BOOST_TEST(c.worker == "a");
    const Run stored = run(c.run.id);
    BOOST_TEST((stored.status == RunStatus::running));
    BOOST_TEST(stored.claimed_by == "a");
    BOOST_TEST(stored.attempts == 1);
    BOOST_TEST(format_utc(*stored.lease_until) == "2025-01-01T09:02:01Z");
    BOOST_TEST(format_utc(*stored.started) == "2025-01-01T09:00:01Z");
  }
  // Only what is left: fewer than asked, then none.
  const std::vector<Claim> rest = ok(schedules->claim_batch("b", utc("2025-01-01T09:00:02Z"), 4));
  BOOST_REQUIRE_EQUAL(rest.size(), 2u);
  BOOST_TEST(rest[0].run.id == "p4@20250101T090000Z");
  BOOST_TEST(rest[1].run.id == "p5@20250101T090000Z");
  BOOST_TEST(ok(schedules->claim_batch("c", utc("2025-01-01T09:00:03Z"), 4)).empty());
  // Each claim is its own fence.
  ok(schedules->complete(first[1], RunResult{}, utc("2025-01-01T09:00:04Z")));
  BOOST_TEST((run(first[0].run.id).status == RunStatus::running));
  BOOST_TEST(!schedules->complete(first[1], RunResult{}, utc("2025-01-01T09:00:05Z")));

  // A stale run comes first, as with claim_next, and a queued schedule gives only one run.
  ScheduleDraft queue = cron("*/10 * * * *", "queue");
  queue.overlap = OverlapPolicy::queue;
  ok(schedules->add(queue, utc("2025-01-01T09:00:05Z")));
  ok(schedules->materialise_due(utc("2025-01-01T09:10:00Z")));
  ok(schedules->materialise_due(utc("2025-01-01T09:20:00Z")));
  const std::vector<Claim> later = ok(schedules->claim_batch("d", utc("2025-01-01T09:20:00Z"), 8));
  std::vector<std::string> ids;
  for (const Claim &c : later)
    ids.push_back(c.run.id);
  const std::vector<std::string> expected{"p0@20250101T090000Z", "p2@20250101T090000Z",
                                          "p3@20250101T090000Z", "p4@20250101T090000Z",
                                          "p5@20250101T090000Z", "queue@20250101T091000Z"};
  BOOST_TEST(ids == expected, boost::test_tools::per_element());
  for (const Claim &c : later) {
    if (c.run.schedule_id != "queue")
      BOOST_TEST(c.run.attempts == 2); // resumed
  }
  BOOST_TEST((run("queue@20250101T092000Z").status == RunStatus::pending));
}

// A worker that finishes takes the next run in the same transaction; a lost claim takes none.
BOOST_FIXTURE_TEST_CASE(complete_and_claim_goes_on_with_the_next_run, Stores) {
  const Instant t0 = utc("2025-01-01T00:00:00Z");
  for (int i = 0; i < 3; ++i) {
    ok(schedules->add(at("2025-01-01T09:00:00Z", "p" + std::to_string(i)), t0));
  }
  ok(schedules->materialise_due(utc("2025-01-01T09:00:00Z")));
  const Claim first = claim("a", utc("2025-01-01T09:00:00Z"));
  const Finished done =
      ok(schedules->complete_and_claim(first, RunResult{}, utc("2025-01-01T09:00:02Z"), 1));
  BOOST_TEST((done.run.status == RunStatus::succeeded));
  BOOST_REQUIRE_EQUAL(done.next.size(), 1u);
  const Claim &second = done.next[0];
  BOOST_TEST(second.run.id == "p1@20250101T090000Z");
  BOOST_TEST(second.worker == "a");
  BOOST_TEST((run(second.run.id).status == RunStatus::running));
  BOOST_TEST(format_utc(*run(second.run.id).lease_until) == "2025-01-01T09:02:02Z");
  // Refused (the claim is spent): nothing is claimed either.
  auto again = schedules->complete_and_claim(first, RunResult{}, utc("2025-01-01T09:00:03Z"), 1);
  BOOST_REQUIRE(!again);
  BOOST_TEST(again.error().status == AH_CONFLICT);
  BOOST_TEST((run("p2@20250101T090000Z").status == RunStatus::pending));
  const Finished last =
      ok(schedules->complete_and_claim(second, RunResult{}, utc("2025-01-01T09:00:04Z"), 0));
  BOOST_TEST(last.next.empty());
  BOOST_TEST((run("p2@20250101T090000Z").status == RunStatus::pending));
}

// Two processes, each with its own connection, claim batches of the same runs at once.
BOOST_FIXTURE_TEST_CASE(processes_claiming_batches_never_share_a_run, Stores) {
  add_one_shots(60, "2025-01-01T09:00:00Z");
  ok(schedules->materialise_due(utc("2025-01-01T09:00:00Z")));
  race(2, [](ScheduleStore &mine, const std::string &worker, std::ostream &log) {
    const Instant now = utc("2025-01-01T09:00:01Z");
    for (;;) {
      auto batch = mine.claim_batch(worker, now, 4);
      if (!batch)
        return 3;
      if (batch.value().empty())
        return 0;
      for (const Claim &c : batch.value()) {
        const bool leased = c.run.lease_until.has_value() && *c.run.lease_until > now &&
                            c.run.claimed_by == worker && c.worker == worker;
        log << c.run.id << (leased ? "" : " unleased") << "\n" << std::flush;
      }
      for (const Claim &c : batch.value()) {
        if (!mine.complete(c, RunResult{}, now))
          return 4;
      }
    }
  });
  expect_each_run_once(60); // an "unleased" line would not match a run id
}

// A plugin error body that is not JSON is kept as a JSON string: what is stored always
// parses, as `autohost runs` and `status` read it.
BOOST_FIXTURE_TEST_CASE(a_non_json_error_body_is_stored_as_valid_json, Stores) {
  namespace json = boost::json;
  schedules = open_schedules(RetryPolicy{seconds{30}, hours{1}, 2});
  ok(schedules->add(at("2025-01-01T09:00:00Z", "p"), utc("2025-01-01T00:00:00Z")));
  ok(schedules->materialise_due(utc("2025-01-01T09:00:00Z")));
  const std::string body = "<html>502 \"Bad Gateway\"</html>\n";
  auto parse = [](const std::string &text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    BOOST_TEST(!ec, "stored error_json does not parse: " << text);
    return v;
  };

  const Claim first = claim("a", utc("2025-01-01T09:00:00Z"));
  const Run waiting =
      ok(schedules->retry_later(first, body, seconds{60}, utc("2025-01-01T09:00:01Z")));
  BOOST_TEST((waiting.status == RunStatus::pending));
  BOOST_TEST(parse(run(first.run.id).error_json) == json::value(body));

  const Claim second = claim("a", utc("2025-01-01T09:01:02Z"));
  const Run failed =
      ok(schedules->retry_later(second, body, std::nullopt, utc("2025-01-01T09:01:03Z")));
  BOOST_TEST((failed.status == RunStatus::failed));
  const json::value stored = parse(run(second.run.id).error_json);
  BOOST_REQUIRE(stored.is_object());
  BOOST_TEST(stored.at("code") == "retries_exhausted");
  BOOST_TEST(stored.at("message") == "gave up after 2 attempts");
  BOOST_TEST(stored.at("last_error") == json::value(body));
}
