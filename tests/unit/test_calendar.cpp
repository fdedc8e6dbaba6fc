// Posting calendars: the file format, errors that name the entry and field, stable ids,
// and imports that are idempotent and all-or-nothing.
#define BOOST_TEST_MODULE calendar
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "result_print.hpp"
#include "scheduler/calendar.hpp"
#include "scheduler/schedule_store.hpp"
#include "store/sql_secret_store.hpp"
#include "temp_dir.hpp"
#include "text_match.hpp"

// Instants are compared in assertions; their text is checked where it matters.
BOOST_TEST_DONT_PRINT_LOG_VALUE(autohost::scheduler::Instant)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<autohost::scheduler::Instant>)

using namespace autohost;
using namespace autohost::scheduler;
using autohost::test::TempDir;

namespace {

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

const Instant now = utc("2026-05-01T00:00:00Z");

// As `schedule import` sees it with the Threads plugin installed: the only plugin that
// declares a publishing action (capabilities.publishes: ["post"]).
CalendarDefaults defaults_at(Instant at) {
  return CalendarDefaults{"UTC", at, "threads", {{"threads", "post"}, {"bulletin", "announce"}}};
}

std::vector<ScheduleDraft> parse(std::string_view text, Instant at = now) {
  return ok(parse_calendar(text, "cal.json", defaults_at(at)));
}

std::string parse_error(std::string_view text, CalendarDefaults defaults = defaults_at(now)) {
  auto parsed = parse_calendar(text, "cal.json", defaults);
  BOOST_REQUIRE_MESSAGE(!parsed, std::string(text));
  return host::error_message(parsed.error());
}

constexpr std::string_view calendar = R"({
  "tz": "Europe/Berlin", "account": "alice",
  "posts": [
    {"id": "launch", "at": "2026-05-04T09:00", "text": "We launch today"},
    {"at": "2026-05-04T12:00:00+02:00", "account": "bob",
     "input": {"text": "Album", "media": [{"url": "https://x/1.jpg", "type": "image"}]}},
    {"id": "monday-tip", "cron": "0 9 * * mon", "text": "Monday tip", "tz": "America/New_York"},
    {"every": "6h", "start": "2026-05-04T00:00", "action": "publishing_limit"},
    {"cron": "@daily", "job": "refresh_tokens", "plugin": "threads", "paused": true}
  ]})";

struct Stores {
  TempDir dir;
  std::unique_ptr<store::SqlSecretStore> secrets =
      ok(store::SqlSecretStore::open(store::SecretStoreOptions{
          dir / "store.db", store::KeySource{std::string(64, 'a'), dir / "master.key"}}));
  std::unique_ptr<ScheduleStore> schedules = open();
  std::unique_ptr<ScheduleStore> open() {
    ScheduleStoreOptions o;
    o.location = dir / "store.db";
    return ok(ScheduleStore::open(o));
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(entries_with_defaults) {
  const auto drafts = parse(calendar);
  BOOST_REQUIRE_EQUAL(drafts.size(), 5u);
  const ScheduleDraft &launch = drafts[0];
  BOOST_TEST(launch.id == "launch");
  BOOST_TEST(launch.name == "launch");
  BOOST_TEST(launch.plugin == "threads");
  BOOST_TEST(launch.target == "post");
  BOOST_TEST(launch.account == "alice");
  BOOST_TEST(launch.input_json == R"({"text":"We launch today"})");
  BOOST_TEST(launch.spec.text() == "at 2026-05-04T09:00:00");
  BOOST_TEST(launch.spec.zone_name() == "Europe/Berlin");
  BOOST_TEST(format_utc(*launch.spec.first_fire(now)) == "2026-05-04T07:00:00Z");
  BOOST_TEST(launch.source == "calendar");

  const ScheduleDraft &album = drafts[1];
  BOOST_TEST(album.id.rfind("cal-", 0) == 0);
  BOOST_TEST(album.id.size() == 20u);
  BOOST_TEST(album.account == "bob");
  // Input keys are sorted, so the same content always looks (and hashes) the same.
  BOOST_TEST(album.input_json ==
             R"({"media":[{"type":"image","url":"https://x/1.jpg"}],"text":"Album"})");
  BOOST_TEST(drafts[2].spec.zone_name() == "America/New_York");
  BOOST_TEST(drafts[3].target == "publishing_limit");
  BOOST_TEST(drafts[3].input_json == "{}");
  BOOST_TEST((drafts[4].kind == TargetKind::job));
  BOOST_TEST(drafts[4].target == "refresh_tokens");
  BOOST_TEST(drafts[4].paused);

  // A bare list works too, with built-in defaults.
  const auto bare = parse(R"([{"at": "2026-05-04T09:00:00Z", "text": "hi"}])");
  BOOST_TEST(bare[0].plugin == "threads");
  BOOST_TEST(bare[0].target == "post");
  BOOST_TEST(bare[0].account.empty());
}

BOOST_AUTO_TEST_CASE(ids_are_stable_and_follow_content) {
  const auto a = parse(calendar);
  const auto b = parse(calendar, now + std::chrono::hours{24 * 30}); // re-read a month later
  for (size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST(a[i].id == b[i].id);
    BOOST_TEST(a[i].content_hash == b[i].content_hash);
  }
  const auto edited = parse(R"([{"at": "2026-05-04T09:00:00Z", "text": "hi!"}])");
  BOOST_TEST(edited[0].id != parse(R"([{"at": "2026-05-04T09:00:00Z", "text": "hi"}])")[0].id);
}

BOOST_AUTO_TEST_CASE(errors_name_the_entry_and_field) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"posts": [)", "calendar cal.json: is not valid JSON"},
      {R"("hello")", "must hold a list of entries or an object with a 'posts' list"},
      {R"({"post": []})", "unknown field 'post'"},
      {R"([{"at": "2026-05-04T09:00Z", "txt": "hi"}])", "posts[0]: unknown field 'txt'"},
      {R"([{"text": "hi"}])", "posts[0]: give exactly one of at, every or cron"},
      {R"([{"at": "2026-05-04T09:00Z", "cron": "@daily"}])",
       "give exactly one of at, every or cron"},
      {R"([{"at": "2026-05-04T09:00Z"}, {"cron": "0 25 * * *"}])",
       "posts[1].cron: cron expression '0 25 * * *': hour field '25'"},
      {R"([{"at": "2026-05-04"}])", "posts[0].at '2026-05-04': the time of day is missing"},
      {R"([{"every": "fortnightly"}])", "posts[0].every 'fortnightly'"},
      {R"([{"cron": "@daily", "start": "2026-05-04T00:00"}])",
       "posts[0].start only goes with every"},
      {R"([{"cron": "@daily", "tz": "Berlin"}])", "'Berlin' is not a time zone"},
      {R"({"tz": 1, "posts": []})", "tz must be a string"},
      {R"([{"cron": "@daily", "account": "a b"}])", "posts[0].account 'a b' must be"},
      {R"([{"cron": "@daily", "input": [1]}])", "posts[0].input must be a JSON object"},
      {R"([{"cron": "@daily", "input": {}, "text": "x"}])", "give text or input, not both"},
      {R"([{"cron": "@daily", "action": "post", "job": "refresh"}])",
       "give action or job, not both"},
      {R"([{"cron": "@daily", "missed": "sometimes"}])",
       "posts[0].missed must be catch_up_once or skip"},
      {R"([{"cron": "@daily", "overlap": "merge"}])",
       "posts[0].overlap must be skip, queue or allow"},
      {R"([{"cron": "@daily", "max_lateness": "1y"}])", "posts[0].max_lateness '1y'"},
      {R"([{"cron": "@daily", "paused": "yes"}])", "posts[0].paused must be true or false"},
      {R"([{"cron": "@daily", "id": "bad id"}])", "posts[0].id 'bad id' must be"},
      {R"([{"cron": "@daily", "id": "x"}, {"cron": "@hourly", "id": "x"}])",
       "posts[1] has the same id 'x' as posts[0]"},
      {R"([{"cron": "@daily"}, {"cron": "@daily"}])", "(the two entries say the same thing)"},
  };
  for (const auto &[text, expected] : cases) {
    const std::string message = parse_error(text);
    BOOST_TEST(contains(message, expected), text << " -> " << message);
    BOOST_TEST(message.rfind("calendar cal.json: ", 0) == 0, message);
  }
}

BOOST_FIXTURE_TEST_CASE(importing_again_changes_nothing, Stores) {
  const ImportReport first = ok(schedules->import_calendar(parse(calendar), now));
  BOOST_TEST(first.created.size() == 5u);
  const auto before = ok(schedules->list());
  const auto generation = ok(schedules->generation());

  const ImportReport again = ok(schedules->import_calendar(
      parse(calendar, now + std::chrono::hours{1}), now + std::chrono::hours{1}));
  BOOST_TEST(again.created.empty());
  BOOST_TEST(again.updated.empty());
  BOOST_TEST(again.unchanged.size() == 5u);
  const auto after = ok(schedules->list());
  BOOST_REQUIRE_EQUAL(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    BOOST_TEST(after[i].id == before[i].id);
    BOOST_TEST(after[i].spec == before[i].spec); // even the `every` anchor is kept
    BOOST_TEST((after[i].next_fire == before[i].next_fire));
    BOOST_TEST((after[i].updated == before[i].updated));
  }
  BOOST_TEST(ok(schedules->generation()) == generation);
}

BOOST_FIXTURE_TEST_CASE(edited_entries_update_unless_they_already_ran, Stores) {
  ok(schedules->import_calendar(parse(calendar), now));
  // The launch post ran.
  ok(schedules->materialise_due(utc("2026-05-04T07:00:00Z")));
  const Claim c = *ok(schedules->claim_next("d", utc("2026-05-04T07:00:00Z")));
  ok(schedules->complete(c, RunResult{}, utc("2026-05-04T07:00:05Z")));

  std::string edited(calendar);
  edited.replace(edited.find("We launch today"), 15, "We launched!!!!");
  edited.replace(edited.find("Monday tip"), 10, "Tuesday ti");
  edited.replace(edited.find("0 9 * * mon"), 11, "0 9 * * tue");
  const ImportReport report =
      ok(schedules->import_calendar(parse(edited), utc("2026-05-04T08:00:00Z")));
  BOOST_TEST(report.updated == std::vector<std::string>{"monday-tip"},
             boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(report.refused.size(), 1u);
  BOOST_TEST(report.refused[0].first == "launch");
  BOOST_TEST(contains(report.refused[0].second, "it already ran (run launch@20260504T070000Z)"));
  BOOST_TEST(ok(schedules->find("launch"))->input_json == R"({"text":"We launch today"})");
  const Schedule tip = *ok(schedules->find("monday-tip"));
  BOOST_TEST(tip.spec == "cron 0 9 * * tue");
  BOOST_TEST(tip.input_json == R"({"text":"Tuesday ti"})");
}

BOOST_FIXTURE_TEST_CASE(past_one_shots_are_not_imported, Stores) {
  const auto drafts = parse(R"([{"id": "old", "at": "2026-04-01T09:00:00Z", "text": "old news"},
                                {"id": "recent", "at": "2026-04-30T23:30:00Z", "text": "late"}])");
  const ImportReport report = ok(schedules->import_calendar(drafts, now));
  BOOST_TEST(report.past == std::vector<std::string>{"old"}, boost::test_tools::per_element());
  BOOST_TEST(report.created == std::vector<std::string>{"recent"},
             boost::test_tools::per_element());
  BOOST_TEST(!ok(schedules->find("old")).has_value());
}

BOOST_FIXTURE_TEST_CASE(an_id_taken_by_another_schedule_imports_nothing, Stores) {
  ScheduleDraft mine(ok(ScheduleSpec::cron("@daily", "UTC", "--cron")));
  mine.id = "monday-tip";
  mine.plugin = "threads";
  mine.target = "post";
  ok(schedules->add(mine, now));
  auto clash = schedules->import_calendar(parse(calendar), now);
  BOOST_REQUIRE(!clash);
  BOOST_TEST(clash.error().status == AH_CONFLICT);
  BOOST_TEST(contains(host::error_message(clash.error()),
                      "calendar entry 'monday-tip' has the id of schedule 'monday-tip', which was "
                      "not imported from a calendar (source: cli)"));
  // The entry before it in the file was not written either.
  BOOST_TEST(!ok(schedules->find("launch")).has_value());
  BOOST_TEST(ok(schedules->list()).size() == 1u);
}

BOOST_AUTO_TEST_CASE(defaults_come_from_the_plugins_declared_publishing_actions) {
  // Another plugin's entry runs that plugin's own publishing action.
  const auto other = parse(R"([{"at": "2026-05-04T09:00", "plugin": "bulletin", "text": "hi"}])");
  BOOST_TEST(other[0].plugin == "bulletin");
  BOOST_TEST(other[0].target == "announce");
  // With no single publishing plugin installed, an entry must name its plugin.
  CalendarDefaults none{"UTC", now, "", {{"threads", "post"}, {"bulletin", "announce"}}};
  BOOST_TEST(contains(parse_error(R"([{"at": "2026-05-04T09:00", "text": "hi"}])", none),
                      "posts[0]: name the plugin"));
  // A plugin that declares no publishing action needs the action named.
  BOOST_TEST(contains(parse_error(R"([{"at": "2026-05-04T09:00", "plugin": "probe"}])"),
                      "posts[0]: name the action (plugin 'probe' declares no publishing action"));
  // An empty name is no name (the fuzzer's find: it was imported with no target).
  BOOST_TEST(contains(parse_error(R"([{"at": "2026-05-04T09:00", "action": ""}])"),
                      "posts[0]: the action name is empty"));
  BOOST_TEST(contains(parse_error(R"({"job": "", "posts": [{"at": "2026-05-04T09:00"}]})"),
                      "posts[0]: the job name is empty"));
}
