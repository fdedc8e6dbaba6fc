// `autohost store copy FROM TO` with the real binary: SQLite -> PostgreSQL -> PostgreSQL ->
// SQLite keeps every secret row (sealed bytes, version, time, deletions), schedule and run
// field by field; and what it refuses: a non-empty target, another master key, an
// unreachable server, FROM and TO being one store, and a target that fails half-way.
// One throw-away PostgreSQL cluster for the suite, a database per case.
#define BOOST_TEST_MODULE store_copy
#include <boost/test/unit_test.hpp>

#include "cli_world.hpp"
#include "pg_cluster.hpp"
#include "result_print.hpp"
#include "scheduler/schedule_store.hpp"
#include "store/pg/connection.hpp"
#include "store/sql_secret_store.hpp"

#include <date/date.h>

#include <sstream>

using namespace autohost;
using namespace autohost::scheduler;
using namespace autohost::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char *key_a = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr const char *key_b = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

PgCluster &cluster() {
  static PgCluster one;
  return one;
}

// The URL of a new, empty database in the suite's cluster.
std::string new_database(const std::string &name) {
  cluster().psql("CREATE DATABASE " + name);
  std::string url = cluster().url();
  url.replace(url.find("/autohost_test?"), 15, "/" + name + "?");
  return url;
}

template <class T> T ok(Result<T> r) {
  BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().body));
  return std::move(r).value();
}

store::SecretStoreOptions secrets_at(const std::string &location, const char *key = key_a) {
  store::SecretStoreOptions o;
  o.location = location;
  o.key.env_value = key;
  return o;
}

std::unique_ptr<ScheduleStore> schedules_at(const std::string &location) {
  ScheduleStoreOptions o;
  o.location = location;
  return ok(ScheduleStore::open(o));
}

std::string text(std::optional<Instant> t) {
  return t ? std::to_string(t->time_since_epoch().count()) : "null";
}

// Every field of a secret row as stored, the sealed bytes in hex.
std::vector<std::string> secret_rows(const std::string &location) {
  auto backend = ok(store::sql::open_backend(location, {}));
  return ok(backend->read("test", [](store::sql::Session &s) -> Result<std::vector<std::string>> {
    store::sql::Statement rows(s, "SELECT key, version, sealed, updated_ms FROM secrets "
                                  "ORDER BY key");
    std::vector<std::string> out;
    while (rows.step()) {
      std::ostringstream row;
      row << rows.column_text(0) << " v" << rows.column_int(1) << " at " << rows.column_int(3);
      if (rows.column_is_null(2)) {
        row << " deleted";
      } else {
        row << " sealed ";
        for (unsigned char c : rows.column_blob(2))
          row << std::hex << static_cast<int>(c);
      }
      out.push_back(row.str());
    }
    return out;
  }));
}

std::string describe(const Schedule &s) {
  std::ostringstream o;
  o << s.id << '|' << s.name << '|' << s.plugin << '|' << name_of(s.kind) << '|' << s.target << '|'
    << s.account << '|' << s.input_json << '|' << s.spec << '|' << s.time_zone << '|'
    << text(s.next_fire) << '|' << s.paused << '|' << name_of(s.missed) << '|' << name_of(s.overlap)
    << '|' << s.max_lateness.count() << '|' << s.jitter.count() << '|' << s.source << '|'
    << s.content_hash << '|' << s.problem << '|' << text(s.created) << '|' << text(s.updated);
  return o.str();
}

// Every field but the lease's end, which the copy ends for a running run.
std::string describe(const Run &r) {
  std::ostringstream o;
  o << r.id << '|' << r.schedule_id << '|' << r.plugin << '|' << name_of(r.kind) << '|' << r.target
    << '|' << r.account << '|' << r.input_json << '|' << text(r.due) << '|' << name_of(r.status)
    << '|' << r.attempts << '|' << text(r.not_before) << '|' << text(r.expires) << '|'
    << r.claimed_by << '|' << text(r.claimed_at) << '|' << text(r.started) << '|'
    << text(r.finished) << '|' << r.output_json << '|' << r.error_json << '|' << text(r.created)
    << '|' << text(r.updated);
  return o.str();
}

std::vector<std::string> schedule_rows(const std::string &location) {
  std::vector<std::string> out;
  for (const Schedule &s : ok(schedules_at(location)->list()))
    out.push_back(describe(s));
  return out;
}

std::vector<Run> all_runs(const std::string &location) {
  RunFilter all;
  all.limit = 100000;
  return ok(schedules_at(location)->runs(all));
}

std::vector<std::string> run_rows(const std::string &location) {
  std::vector<std::string> out;
  for (const Run &r : all_runs(location))
    out.push_back(describe(r) + '|' + (r.status == RunStatus::running ? "" : text(r.lease_until)));
  return out;
}

ScheduleDraft draft(Result<ScheduleSpec> spec, std::string id) {
  ScheduleDraft d(ok(std::move(spec)));
  d.id = std::move(id);
  d.plugin = "threads";
  d.target = "post";
  d.account = "alice";
  d.input_json = R"({"text":"hello"})";
  return d;
}

// A store holding what a used one holds: secrets with several versions, a deleted one, a
// token and a publish checkpoint; schedules recurring, paused and one-shot; runs that
// succeeded, wait for a retry, were missed, are pending and one that is running under a
// live lease.
void populate(const std::string &location) {
  auto secrets = ok(store::SqlSecretStore::open(secrets_at(location)));
  ok(secrets->put("threads/token/alice", "token-1", AH_VERSION_ANY));
  ok(secrets->put("threads/token/alice", "token-2", AH_VERSION_ANY));
  ok(secrets->put("threads/publish/alice/daily@2026-01-01T00:00:00Z",
                  R"({"state":"published","post_id":"1790"})", AH_VERSION_ANY));
  ok(secrets->put("old", "gone soon", AH_VERSION_ANY));
  ok(secrets->remove("old", AH_VERSION_ANY));

  auto schedules = schedules_at(location);
  using std::chrono::minutes;
  const Instant now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const Instant made = now - std::chrono::hours(4);
  // One-shots due in the last minutes (three runs to claim) and one hours late (missed).
  const auto at = [&](Instant when, const std::string &id) {
    const std::string text = date::format("%Y-%m-%dT%H:%M", std::chrono::floor<minutes>(when));
    ScheduleDraft d = draft(ScheduleSpec::at(text, "UTC", "--at"), id);
    d.missed = MissedPolicy::skip;
    ok(schedules->add(d, made));
  };
  at(now - minutes(3), "post-1");
  at(now - minutes(2), "post-2");
  at(now - minutes(1), "post-3");
  at(now - std::chrono::hours(3), "too-late");
  ScheduleDraft paused =
      draft(ScheduleSpec::cron("0 9 * * 1", "Europe/Berlin", "--cron"), "weekly");
  paused.paused = true;
  paused.input_json = R"({"text":"ünïcode ✓"})";
  ok(schedules->add(paused, now));
  ok(schedules->materialise_due(now));
  auto first = ok(schedules->claim_next("host-a:1:x", now));
  BOOST_REQUIRE(first);
  RunResult done;
  done.output_json = R"({"post_id":"1790"})";
  ok(schedules->complete(*first, done, now));
  auto second = ok(schedules->claim_next("host-a:1:x", now));
  BOOST_REQUIRE(second);
  ok(schedules->retry_later(*second, R"({"code":"rate_limited"})", std::chrono::seconds(600), now));
  auto running = ok(schedules->claim_next("host-a:1:x", now));
  BOOST_REQUIRE(running); // left running under a live lease
}

struct Copy : CliWorld {
  ProcessResult autohost(std::vector<std::string> args, const char *key = key_a) {
    return run(std::move(args), {}, {{"AUTOHOST_MASTER_KEY", std::string(key)}});
  }
  ProcessResult copy(const std::string &from, const std::string &to, bool as_json = true) {
    std::vector<std::string> args{"store", "copy", from, to};
    if (as_json)
      args.emplace_back("--json");
    return autohost(args);
  }
};

bool has_status(const std::vector<Run> &runs, RunStatus status) {
  return std::any_of(runs.begin(), runs.end(), [&](const Run &r) { return r.status == status; });
}

} // namespace

BOOST_FIXTURE_TEST_CASE(sqlite_to_postgres_to_postgres_to_sqlite_keeps_every_field, Copy) {
  const std::string first = (home / "first.db").string();
  populate(first);
  const auto runs = all_runs(first);
  BOOST_TEST_REQUIRE(has_status(runs, RunStatus::succeeded));
  BOOST_TEST_REQUIRE(has_status(runs, RunStatus::pending));
  BOOST_TEST_REQUIRE(has_status(runs, RunStatus::missed));
  BOOST_TEST_REQUIRE(has_status(runs, RunStatus::running));
  const std::int64_t first_generation = ok(schedules_at(first)->generation());

  const std::string pg1 = new_database("round_trip_1");
  const std::string pg2 = new_database("round_trip_2");
  const std::string last = (home / "last.db").string();
  const std::string again = (home / "again.db").string();
  const std::vector<std::pair<std::string, std::string>> hops{
      {first, pg1}, {pg1, pg2}, {pg2, last}, {last, again}};
  for (const auto &[from, to] : hops) {
    auto r = copy(from, to);
    BOOST_TEST_REQUIRE(r.exit_code == 0, from + " -> " + to + ": " + r.err);
    const json::object report = json::parse(r.out).as_object();
    BOOST_TEST(report.at("secrets").as_int64() == 2);
    BOOST_TEST(report.at("deleted_secrets").as_int64() == 1);
    BOOST_TEST(report.at("schedules").as_int64() == 5);
    BOOST_TEST(report.at("runs").as_int64() == static_cast<std::int64_t>(runs.size()));
    BOOST_TEST(report.at("leases_ended").as_int64() == (from == first ? 1 : 0));
    BOOST_TEST(report.at("generation").as_int64() > first_generation);

    BOOST_TEST(secret_rows(to) == secret_rows(first), boost::test_tools::per_element());
    BOOST_TEST(schedule_rows(to) == schedule_rows(first), boost::test_tools::per_element());
    BOOST_TEST(run_rows(to) == run_rows(first), boost::test_tools::per_element());
  }

  // The values open with the same key in the last copy, at the same versions: sealed
  // bytes moved verbatim are still bound to their key and version.
  auto copied = ok(store::SqlSecretStore::open(secrets_at(again)));
  auto token = ok(copied->get("threads/token/alice"));
  BOOST_REQUIRE(token);
  BOOST_TEST(token->value == "token-2");
  BOOST_TEST(token->version == 2U);
  BOOST_TEST(!ok(copied->get("old")));
  // A deleted secret keeps its version counter (put, rm: 2) in the copy, so writing it
  // again goes on from there and no earlier version's ciphertext can pass for the new one.
  const auto back = ok(copied->put("old", "back", 0));
  BOOST_TEST((back.outcome == store::WriteOutcome::written));
  BOOST_TEST(back.version == 3U);

  // The running run is no one's in the copy: its lease has ended, so a daemon there takes it
  // over (claim_next resumes it, same id) while the original's lease still runs.
  const Instant now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  Run original;
  for (const Run &r : runs) {
    if (r.status == RunStatus::running)
      original = r;
  }
  BOOST_TEST((original.lease_until.value() > now));
  auto taken = ok(schedules_at(again)->claim_next("host-b:2:y", now));
  BOOST_REQUIRE(taken);
  BOOST_TEST(taken->run.id == original.id);
  BOOST_TEST(taken->run.attempts == original.attempts + 1);
}

BOOST_FIXTURE_TEST_CASE(a_target_that_holds_anything_is_refused_and_left_alone, Copy) {
  const std::string source = (home / "source.db").string();
  populate(source);
  const std::string pg = new_database("not_empty");
  const std::string url = pg.substr(0, pg.find('@')) + ":hunter2" + pg.substr(pg.find('@'));
  auto target = ok(store::SqlSecretStore::open(secrets_at(url)));
  ok(target->put("mine", "keep me", AH_VERSION_ANY));
  const auto before = secret_rows(url);

  auto r = copy(source, url);
  BOOST_TEST(r.exit_code == 8, r.err);
  const std::string message = message_of(r);
  BOOST_TEST(contains(message, "the target store " + pg.substr(0, pg.find('@')) + ":***@"),
             message);
  BOOST_TEST(contains(message, "not empty (1 secret, 0 schedules, 0 runs)"), message);
  BOOST_TEST(!contains(r.out + r.err, "hunter2"));
  BOOST_TEST(secret_rows(url) == before, boost::test_tools::per_element());
  BOOST_TEST(schedule_rows(url).empty());

  // A deleted secret alone is something: its version counter would be lost.
  const std::string file = (home / "tombstone.db").string();
  auto only_deleted = ok(store::SqlSecretStore::open(secrets_at(file)));
  ok(only_deleted->put("x", "y", AH_VERSION_ANY));
  ok(only_deleted->remove("x", AH_VERSION_ANY));
  r = copy(source, file);
  BOOST_TEST(r.exit_code == 8, r.err);
  BOOST_TEST(secret_rows(file).size() == 1U);
}

BOOST_FIXTURE_TEST_CASE(another_master_key_is_exit_11_and_nothing_is_written, Copy) {
  const std::string source = (home / "source.db").string();
  populate(source);
  // The target belongs to key B: a copy with key A would leave values no host can open.
  const std::string pg = new_database("other_key");
  ok(store::SqlSecretStore::open(secrets_at(pg, key_b)));
  auto r = copy(source, pg);
  BOOST_TEST(r.exit_code == 11, r.err);
  BOOST_TEST(contains(message_of(r), "the target: secret store"), r.err);
  BOOST_TEST(contains(message_of(r), "does not match the master key"), r.err);
  BOOST_TEST(secret_rows(pg).empty());
  BOOST_TEST(schedule_rows(pg).empty());

  // The source was made with key A; the host has key B: refused before anything is made.
  const std::string target = (home / "target.db").string();
  r = autohost({"store", "copy", source, target}, key_b);
  BOOST_TEST(r.exit_code == 11, r.err);
  BOOST_TEST(contains(message_of(r), "the source: secret store " + source), r.err);
  BOOST_TEST(!fs::exists(target));
}

BOOST_FIXTURE_TEST_CASE(an_unreachable_or_missing_store_is_exit_11_without_its_password, Copy) {
  const std::string source = (home / "source.db").string();
  populate(source);
  // Port 1 on loopback: nothing listens there.
  const std::string unreachable = "postgresql://autohost:s3cr3t-pw@127.0.0.1:1/autohost";
  auto r = copy(source, unreachable);
  BOOST_TEST(r.exit_code == 11, r.err);
  BOOST_TEST(contains(message_of(r), "postgresql://autohost:***@127.0.0.1:1/autohost"), r.err);
  BOOST_TEST(!contains(r.out + r.err, "s3cr3t-pw"));
  r = copy(unreachable, (home / "target.db").string());
  BOOST_TEST(r.exit_code == 11, r.err);
  BOOST_TEST(!contains(r.out + r.err, "s3cr3t-pw"));
  BOOST_TEST(!fs::exists(home / "target.db"));

  // A mistyped source is not created and copied as an empty store.
  r = copy((home / "typo.db").string(), (home / "target.db").string());
  BOOST_TEST(r.exit_code == 11, r.err);
  BOOST_TEST(contains(message_of(r),
                      "the source store " + (home / "typo.db").string() + " does not exist"),
             r.err);
  BOOST_TEST(!fs::exists(home / "typo.db"));
  const std::string empty_db = new_database("no_store_yet");
  r = copy(empty_db, (home / "target.db").string());
  BOOST_TEST(r.exit_code == 11, r.err);
  BOOST_TEST(contains(message_of(r), "does not exist"), r.err);
}

BOOST_FIXTURE_TEST_CASE(from_and_to_one_store_is_a_usage_error, Copy) {
  const std::string source = (home / "source.db").string();
  populate(source);
  const auto before = secret_rows(source);
  fs::create_directories(home / "sub");
  auto r = copy(source, (home / "sub" / ".." / "source.db").string());
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(contains(message_of(r), "FROM and TO are the same store"), r.err);
  fs::create_symlink(source, home / "link.db");
  r = copy(source, (home / "link.db").string());
  BOOST_TEST(r.exit_code == 2, r.err);

  // One database named two ways: a Unix socket URL and the same URL with the user in the
  // query string.
  const std::string pg = new_database("same_one");
  BOOST_REQUIRE_EQUAL(copy(source, pg).exit_code, 0);
  std::string other = pg;
  other.replace(other.find("autohost@"), 9, "");
  other += "&user=autohost";
  r = copy(pg, other);
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(contains(message_of(r), "FROM and TO are the same store"), r.err);
  BOOST_TEST(secret_rows(source) == before, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_copy_that_fails_half_way_leaves_the_target_empty, Copy) {
  const std::string source = (home / "source.db").string();
  populate(source);
  const std::string pg = new_database("half_way");
  // The target's tables exist (an empty store), and the server refuses the last run row:
  // the secrets and schedules written before it must go too.
  BOOST_REQUIRE_EQUAL(autohost({"--store", pg, "schedule", "list"}).exit_code, 0);
  auto owner = store::pg::Connection::open({pg});
  BOOST_REQUIRE_MESSAGE(owner.has_value(), (owner ? "" : owner.error().message));
  auto made = owner.value()->exec(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF (SELECT count(*) FROM runs) >= 2 THEN RAISE EXCEPTION 'disk on fire'; "
      "END IF; RETURN NEW; END $$; "
      "CREATE TRIGGER refuse BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION refuse()");
  BOOST_REQUIRE_MESSAGE(made.has_value(), (made ? "" : made.error().message));
  auto r = copy(source, pg);
  BOOST_TEST(r.exit_code == 11, r.err);
  BOOST_TEST(contains(message_of(r), "disk on fire"), r.err);
  BOOST_TEST(secret_rows(pg).empty());
  BOOST_TEST(schedule_rows(pg).empty());
  BOOST_TEST(all_runs(pg).empty());
}

BOOST_FIXTURE_TEST_CASE(the_human_report_counts_what_was_copied, Copy) {
  const std::string source = (home / "source.db").string();
  populate(source);
  auto r = copy(source, (home / "copy.db").string(), false);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(contains(r.out, "copied 2 secrets (and 1 deleted one), 5 schedules and "), r.out);
  BOOST_TEST(
      contains(r.out, "1 run was running in the source: a daemon on the target takes it over"),
      r.out);
}
