// `autohost schedule` and `autohost runs` as users run them: real processes and a real
// store; JSON on stdout, JSON errors on stderr, exit codes, idempotent calendar imports.
#define BOOST_TEST_MODULE schedule_cli
#include <boost/test/unit_test.hpp>

#include "cli_world.hpp"

#include "scheduler/schedule_store.hpp"
#include "store/sql_secret_store.hpp"

#include <boost/json.hpp>

#include <fstream>

using namespace autohost::test;
namespace fs = std::filesystem;
namespace json = boost::json;
namespace sched = autohost::scheduler;

namespace {

struct Cli : CliWorld {
  std::string probe = (fs::path(required_env("TEST_PLUGIN_DIR")) / "probe.so").string();

  ProcessResult run(std::vector<std::string> args, std::string stdin_text = {}) {
    args.insert(args.begin(), {"--plugin", probe});
    return CliWorld::run(std::move(args), std::move(stdin_text), {{"TZ", "Europe/Berlin"}});
  }

  json::object ok_json(std::vector<std::string> args) {
    auto r = run(std::move(args));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return json::parse(r.out).as_object();
  }

  size_t schedule_count() {
    auto r = run({"schedule", "list", "--json"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return json::parse(r.out).as_array().size();
  }

  std::unique_ptr<sched::ScheduleStore> open_store() {
    auto secrets = autohost::store::SqlSecretStore::open(autohost::store::SecretStoreOptions{
        home / "state/store.db",
        autohost::store::KeySource{std::nullopt, home / "state/master.key"}});
    BOOST_REQUIRE(secrets);
    sched::ScheduleStoreOptions o;
    o.location = home / "state/store.db";
    auto store = sched::ScheduleStore::open(o);
    BOOST_REQUIRE(store);
    return std::move(store).value();
  }
};

sched::Instant utc(std::string_view text) {
  auto written = sched::parse_written_time(text, "test");
  BOOST_REQUIRE(written);
  return sched::resolve_written_time(written.value(), *date::locate_zone("UTC"));
}

} // namespace

BOOST_FIXTURE_TEST_CASE(add_each_kind_then_list_show_pause_resume_rm, Cli) {
  const auto at = ok_json({"schedule", "add", "probe.echo", "--at", "2031-03-30T02:30", "--account",
                           "alice", "--input", R"({"n":1})", "--id", "launch"});
  BOOST_TEST(at.at("id").as_string() == "launch");
  BOOST_TEST(at.at("target").as_string() == "probe.echo");
  BOOST_TEST(at.at("kind").as_string() == "action");
  BOOST_TEST(at.at("account").as_string() == "alice");
  BOOST_TEST(at.at("input").at("n").as_int64() == 1);
  BOOST_TEST(at.at("time_zone").as_string() == "Europe/Berlin"); // from TZ
  BOOST_TEST(at.at("spec").as_string() == "at 2031-03-30T02:30:00");
  // 02:30 does not exist that night in Berlin: it runs when the clocks reach 03:00.
  BOOST_TEST(at.at("next_fire").as_string() == "2031-03-30T03:00:00+02:00");
  BOOST_TEST(at.at("next_fire_utc").as_string() == "2031-03-30T01:00:00Z");

  const auto every = ok_json({"schedule", "add", "probe.echo", "--every", "6h", "--start",
                              "2031-01-01T00:00:00Z", "--tz", "UTC", "--name", "six-hourly"});
  BOOST_TEST(every.at("spec").as_string() == "every 6h from 2031-01-01T00:00:00Z");
  BOOST_TEST(every.at("name").as_string() == "six-hourly");
  BOOST_TEST(std::string(every.at("id").as_string()).rfind("s-", 0) == 0);

  const auto cron = ok_json({"schedule", "add", "probe.echo", "--cron", "0 9 * * mon-fri", "--tz",
                             "America/New_York", "--id", "weekdays", "--overlap", "queue",
                             "--missed", "skip", "--max-lateness", "10m", "--jitter", "30s"});
  BOOST_TEST(cron.at("spec").as_string() == "cron 0 9 * * mon-fri");
  BOOST_TEST(cron.at("overlap").as_string() == "queue");
  BOOST_TEST(cron.at("missed").as_string() == "skip");
  BOOST_TEST(cron.at("max_lateness").as_string() == "10m");
  BOOST_TEST(cron.at("jitter").as_string() == "30s");
  BOOST_TEST(contains(std::string(cron.at("next_fire").as_string()), "T09:00:00-0"));

  auto list = run({"schedule", "list"});
  BOOST_TEST(list.exit_code == 0, list.err);
  BOOST_TEST(contains(list.out, "ID"));
  BOOST_TEST(contains(list.out, "launch"));
  BOOST_TEST(contains(list.out, "weekdays"));
  BOOST_TEST(contains(list.out, "America/New_York"));
  BOOST_TEST(schedule_count() == 3u);

  const auto shown = ok_json({"schedule", "show", "weekdays"});
  BOOST_TEST(shown.at("upcoming").as_array().size() == 5u);
  BOOST_TEST(shown.at("recent_runs").as_array().empty());

  BOOST_TEST(ok_json({"schedule", "pause", "weekdays"}).at("paused").as_bool());
  BOOST_TEST(contains(run({"schedule", "list"}).out, "paused"));
  BOOST_TEST(!ok_json({"schedule", "resume", "weekdays"}).at("paused").as_bool());
  const auto removed = ok_json({"schedule", "rm", "weekdays"});
  BOOST_TEST(removed.at("removed").as_bool());
  BOOST_TEST(schedule_count() == 2u);
}

BOOST_FIXTURE_TEST_CASE(errors_have_exit_codes_and_name_the_input, Cli) {
  BOOST_TEST(ok_json({"schedule", "add", "probe.echo", "--cron", "@daily", "--id", "taken"})
                 .at("id")
                 .as_string() == "taken");
  const std::vector<std::tuple<std::vector<std::string>, int, std::string>> cases = {
      {{"schedule", "add", "probe.echo", "--cron", "0 25 * * *"},
       2,
       "--cron: cron expression '0 25 * * *': hour field '25': 25 is out of range 0-23"},
      {{"schedule", "add", "probe.echo", "--cron", "@daily", "--tz", "Europe/Berln"},
       2,
       "--tz: 'Europe/Berln' is not a time zone"},
      {{"schedule", "add", "probe.echo", "--at", "2031-02-30T09:00"},
       2,
       "--at '2031-02-30T09:00': day 30 does not exist in 2031-02"},
      {{"schedule", "add", "probe.echo", "--at", "2020-01-01T00:00Z"},
       2,
       "is further in the past than the max lateness (1h)"},
      {{"schedule", "add", "probe.echo", "--every", "15"},
       2,
       "--every '15': the number 15 needs a unit"},
      {{"schedule", "add", "probe.echo", "--cron", "@daily", "--every", "1h"},
       2,
       "give exactly one of --at, --every or --cron"},
      {{"schedule", "add", "probe.echo"}, 2, "give exactly one of --at, --every or --cron"},
      {{"schedule", "add", "probe.echo", "--cron", "@daily", "--start", "2031-01-01T00:00"},
       2,
       "--start only goes with --every"},
      {{"schedule", "add", "probe.echo", "--cron", "@daily", "--input", "[1]"},
       2,
       "--input must be a JSON object"},
      {{"schedule", "add", "probe.echo", "--cron", "@daily", "--account", "a/b"},
       2,
       "--account 'a/b' must be"},
      {{"schedule", "add", "probe.echo", "--cron", "@daily", "--overlap", "merge"},
       2,
       "--overlap must be skip, queue or allow"},
      {{"schedule", "add", "probe", "--cron", "@daily"}, 2, "is not of the form PLUGIN.ACTION"},
      {{"schedule", "add", "probe.nope", "--cron", "@daily"},
       4,
       "plugin 'probe' has no action or job named 'nope'"},
      {{"schedule", "add", "nosuch.post", "--cron", "@daily"}, 4, "no plugin named 'nosuch'"},
      {{"schedule", "add", "probe.echo", "--cron", "@daily", "--id", "taken"},
       8,
       "schedule 'taken' already exists"},
      {{"schedule", "show", "nope"}, 4, "schedule 'nope' does not exist"},
      {{"schedule", "rm", "nope"}, 4, "schedule 'nope' does not exist"},
      {{"schedule", "pause"}, 2, "schedule pause needs an ID"},
      {{"schedule", "frobnicate"}, 2, "unknown subcommand 'frobnicate'"},
      {{"schedule"}, 2, "missing add, list, show, edit, rm, pause, resume or import"},
      {{"runs", "--status", "done"}, 2, "--status must be pending, running"},
      {{"runs", "nope@20310101T000000Z"}, 4, "run 'nope@20310101T000000Z' does not exist"},
  };
  for (const auto &[args, code, message] : cases) {
    auto r = run(args);
    BOOST_TEST(r.exit_code == code, args.back() << ": " << r.err);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(contains(std::string(error_of(r).at("message").as_string()), message), r.err);
  }
  BOOST_TEST(schedule_count() == 1u); // nothing half-added
}

BOOST_FIXTURE_TEST_CASE(plugin_jobs_are_scheduled_without_input, Cli) {
  const std::string threads = required_env("THREADS_PLUGIN");
  const auto job = ok_json({"--plugin", threads, "schedule", "add", "threads.refresh_tokens",
                            "--cron", "0 */6 * * *", "--jitter", "5m"});
  BOOST_TEST(job.at("kind").as_string() == "job");
  BOOST_TEST(job.at("target").as_string() == "threads.refresh_tokens");
  auto with_input = run({"--plugin", threads, "schedule", "add", "threads.refresh_tokens", "--cron",
                         "@daily", "--input", "{}"});
  BOOST_TEST(with_input.exit_code == 2);
  BOOST_TEST(contains(with_input.err, "threads.refresh_tokens is a job; jobs take no --input"));
}

BOOST_FIXTURE_TEST_CASE(every_subcommand_has_help, Cli) {
  for (const auto &args : std::vector<std::vector<std::string>>{{"schedule", "--help"},
                                                                {"schedule", "add", "--help"},
                                                                {"schedule", "import", "--help"},
                                                                {"schedule", "list", "--help"},
                                                                {"schedule", "rm", "--help"},
                                                                {"runs", "--help"}}) {
    auto r = run(args);
    BOOST_TEST(r.exit_code == 0, args[1]);
    BOOST_TEST(contains(r.out, "usage: autohost"), r.out);
  }
  BOOST_TEST(contains(run({"schedule", "add", "--help"}).out, "--max-lateness"));
  BOOST_TEST(contains(run({"--help"}).out, "schedule"));
}

BOOST_FIXTURE_TEST_CASE(importing_a_calendar_twice_changes_nothing, Cli) {
  std::ofstream(home / "calendar.json") << R"({
    "tz": "Europe/Berlin", "plugin": "probe", "action": "echo", "account": "alice",
    "posts": [
      {"id": "launch", "at": "2031-05-04T09:00", "text": "We launch today"},
      {"at": "2031-05-04T12:00:00+02:00", "input": {"text": "Album"}},
      {"id": "tip", "cron": "0 9 * * mon", "text": "Monday tip"},
      {"every": "6h", "start": "2031-05-04T00:00"}
    ]})";
  const std::string file = (home / "calendar.json").string();
  const auto first = ok_json({"schedule", "import", file});
  BOOST_TEST(first.at("created").as_array().size() == 4u);
  const std::string before = run({"schedule", "list", "--json"}).out;
  const auto again = ok_json({"schedule", "import", file});
  BOOST_TEST(again.at("created").as_array().empty());
  BOOST_TEST(again.at("updated").as_array().empty());
  BOOST_TEST(again.at("unchanged").as_array().size() == 4u);
  BOOST_TEST(run({"schedule", "list", "--json"}).out == before);

  const auto launch = ok_json({"schedule", "show", "launch"});
  BOOST_TEST(launch.at("source").as_string() == "calendar");
  BOOST_TEST(launch.at("input").at("text").as_string() == "We launch today");
  BOOST_TEST(launch.at("next_fire").as_string() == "2031-05-04T09:00:00+02:00");

  // A dry run checks and shows, and writes nothing.
  std::ofstream(home / "more.json")
      << R"([{"plugin": "probe", "action": "echo", "cron": "@hourly"}])";
  const auto dry = ok_json({"schedule", "import", (home / "more.json").string(), "--dry-run"});
  BOOST_TEST(dry.at("entries").as_array().size() == 1u);
  BOOST_TEST(schedule_count() == 4u);
  // From stdin.
  auto piped = run({"schedule", "import", "-"},
                   R"([{"plugin": "probe", "action": "echo", "cron": "@hourly"}])");
  BOOST_TEST(piped.exit_code == 0, piped.err);
  BOOST_TEST(schedule_count() == 5u);
}

BOOST_FIXTURE_TEST_CASE(a_bad_calendar_imports_nothing, Cli) {
  std::ofstream(home / "bad.json") << R"([
      {"id": "fine", "plugin": "probe", "action": "echo", "cron": "@daily"},
      {"id": "typo", "plugin": "probe", "action": "echo", "cron": "@daily", "txt": "hi"}])";
  auto r = run({"schedule", "import", (home / "bad.json").string()});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(contains(std::string(error_of(r).at("message").as_string()),
                      "bad.json: posts[1]: unknown field 'txt'"));
  std::ofstream(home / "unknown.json")
      << R"([{"plugin": "probe", "action": "nope", "cron": "@daily"}])";
  auto unknown = run({"schedule", "import", (home / "unknown.json").string()});
  BOOST_TEST(unknown.exit_code == 4);
  auto missing = run({"schedule", "import", (home / "missing.json").string()});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(contains(missing.err, "missing.json cannot be read"));
  BOOST_TEST(schedule_count() == 0u);
}

BOOST_FIXTURE_TEST_CASE(runs_show_history_with_outputs_and_errors, Cli) {
  ok_json({"schedule", "add", "probe.echo", "--at", "2031-01-01T09:00:00Z", "--id", "a", "--input",
           R"({"text":"one"})"});
  ok_json({"schedule", "add", "probe.echo", "--at", "2031-01-01T09:00:00Z", "--id", "b"});
  {
    // What a daemon does, through the library, on the same store.
    auto store = open_store();
    BOOST_REQUIRE(store->materialise_due(utc("2031-01-01T09:00:00Z")));
    auto first = store->claim_next("test-daemon", utc("2031-01-01T09:00:01Z"));
    BOOST_REQUIRE(first && first.value());
    BOOST_REQUIRE(store->complete(
        *first.value(), sched::RunResult{sched::RunStatus::succeeded, R"({"id":"1789"})", ""},
        utc("2031-01-01T09:00:02Z")));
    auto second = store->claim_next("test-daemon", utc("2031-01-01T09:00:03Z"));
    BOOST_REQUIRE(second && second.value());
    BOOST_REQUIRE(store->complete(
        *second.value(),
        sched::RunResult{sched::RunStatus::needs_attention, "",
                         R"({"code":"auth_required","message":"re-authorise alice"})"},
        utc("2031-01-01T09:00:04Z")));
  }
  auto table = run({"runs"});
  BOOST_TEST(table.exit_code == 0, table.err);
  BOOST_TEST(contains(table.out, "a@20310101T090000Z"));
  BOOST_TEST(contains(table.out, "needs_attention"));
  BOOST_TEST(contains(table.out, "re-authorise alice"));

  auto all = json::parse(run({"runs", "--json"}).out).as_array();
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  const auto one = ok_json({"runs", "a@20310101T090000Z"});
  BOOST_TEST(one.at("status").as_string() == "succeeded");
  BOOST_TEST(one.at("output").at("id").as_string() == "1789");
  BOOST_TEST(one.at("input").at("text").as_string() == "one");
  BOOST_TEST(one.at("attempts").as_int64() == 1);
  BOOST_TEST(one.at("claimed_by").as_string() == "test-daemon");
  BOOST_TEST(one.at("due").as_string() == "2031-01-01T09:00:00Z");

  auto attention =
      json::parse(run({"runs", "--status", "needs_attention", "--json"}).out).as_array();
  BOOST_REQUIRE_EQUAL(attention.size(), 1u);
  BOOST_TEST(attention[0].at("error").at("code").as_string() == "auth_required");
  BOOST_TEST(json::parse(run({"runs", "--schedule", "a", "--json"}).out).as_array().size() == 1u);
  const auto shown = ok_json({"schedule", "show", "b"});
  BOOST_TEST(shown.at("recent_runs").as_array().size() == 1u);
  BOOST_TEST(shown.at("next_fire").is_null());
}
