// Schedule specs: the date-times and durations users write, one-shot times in DST gaps and
// overlaps, intervals, stored specs read back, zones, and retry backoff.
#define BOOST_TEST_MODULE schedule_spec
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "result_print.hpp"
#include "scheduler/backoff.hpp"
#include "scheduler/date_time_text.hpp"
#include "scheduler/duration_text.hpp"
#include "scheduler/schedule_spec.hpp"
#include "text_match.hpp"

#include <cstdlib>

// Instants are compared in assertions; their text is checked where it matters.
BOOST_TEST_DONT_PRINT_LOG_VALUE(autohost::scheduler::Instant)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<autohost::scheduler::Instant>)

using namespace autohost;
using namespace autohost::scheduler;
using std::chrono::seconds;

namespace {

Instant utc(std::string_view text) {
  auto written = parse_written_time(text, "test");
  BOOST_REQUIRE(written);
  return resolve_written_time(written.value(), *date::locate_zone("UTC"));
}

using autohost::test::contains;

std::string time_error(std::string_view text) {
  auto parsed = parse_written_time(text, "--at");
  BOOST_REQUIRE_MESSAGE(!parsed, std::string(text));
  return host::error_message(parsed.error());
}

ScheduleSpec spec_ok(Result<ScheduleSpec> r) {
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().body));
  return std::move(r).value();
}

} // namespace

BOOST_AUTO_TEST_CASE(rfc3339_and_local_date_times) {
  BOOST_TEST(format_utc(utc("2025-03-30T09:00:00+02:00")) == "2025-03-30T07:00:00Z");
  BOOST_TEST(format_utc(utc("2025-03-30t09:00:00.999-05:30")) == "2025-03-30T14:30:00Z");
  BOOST_TEST(format_utc(utc("2025-03-30 09:00Z")) == "2025-03-30T09:00:00Z");
  auto local = parse_written_time("2025-03-30T09:15", "--at");
  BOOST_REQUIRE(local);
  BOOST_TEST(!local.value().offset.has_value());
  BOOST_TEST(local.value().text() == "2025-03-30T09:15:00");
  BOOST_TEST(parse_written_time("2025-03-30T09:15:00+00:00", "x").value().text() ==
             "2025-03-30T09:15:00Z");
  BOOST_TEST(parse_written_time("2025-03-30T09:15:00-03:00", "x").value().text() ==
             "2025-03-30T09:15:00-03:00");
}

BOOST_AUTO_TEST_CASE(date_time_errors_quote_the_input_and_say_what_is_wrong) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"tomorrow", "expected YYYY-MM-DDTHH:MM[:SS]"},
      {"2025-03-30", "the time of day is missing"},
      {"2025-13-01T09:00", "month 13 is not 1-12"},
      {"2025-02-29T09:00", "day 29 does not exist in 2025-02"},
      {"2025-02-03T24:00", "hour 24 is not 0-23"},
      {"2025-02-03T09:60", "minute 60 is not 0-59"},
      {"2025-02-03T09:00:61", "second 61 is not 0-59"},
      {"2025-02-03T09:00+2", "the UTC offset must be written +HH:MM"},
      {"2025-02-03T09:00+24:00", "the UTC offset is out of range"},
      {"2025-02-03T09:00 CET", "unexpected ' CET' after the time"},
  };
  for (const auto &[text, expected] : cases) {
    const std::string message = time_error(text);
    BOOST_TEST(contains(message, "--at '" + text + "': " + expected), message);
  }
}

BOOST_AUTO_TEST_CASE(durations) {
  BOOST_TEST(parse_duration("90s", "x").value().count() == 90);
  BOOST_TEST(parse_duration("15m", "x").value().count() == 900);
  BOOST_TEST(parse_duration("1h30m", "x").value().count() == 5400);
  BOOST_TEST(parse_duration("2w1d", "x").value().count() == 15 * 86400);
  BOOST_TEST(format_duration(seconds{5400}) == "1h30m");
  BOOST_TEST(format_duration(seconds{86400 + 1}) == "1d1s");
  BOOST_TEST(format_duration(seconds{3600}) == "1h");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "is empty"},
      {"15", "the number 15 needs a unit"},
      {"15x", "unknown unit 'x'"},
      {"30m1h", "units must go from largest to smallest"},
      {"0s", "must be longer than zero"},
      {"h", "expected a number at 'h'"},
      {"99999d", "is longer than 3660 days"},
  };
  for (const auto &[text, expected] : bad) {
    auto parsed = parse_duration(text, "--every");
    BOOST_REQUIRE(!parsed);
    const std::string message = host::error_message(parsed.error());
    BOOST_TEST(contains(message, "--every '" + text + "': " + expected), message);
  }
}

BOOST_AUTO_TEST_CASE(zones) {
  BOOST_TEST(find_zone("Europe/Berlin", "--tz").value()->name() == "Europe/Berlin");
  auto bad = find_zone("Europe/Berln", "--tz");
  BOOST_REQUIRE(!bad);
  BOOST_TEST(contains(host::error_message(bad.error()),
                      "--tz: 'Europe/Berln' is not a time zone in the system tz database"));
  BOOST_TEST(!find_zone("", "--tz"));

  const char *saved = std::getenv("TZ");
  const std::string restore = saved != nullptr ? saved : "";
  ::setenv("TZ", "America/New_York", 1);
  BOOST_TEST(default_zone_name() == "America/New_York");
  ::setenv("TZ", ":Australia/Sydney", 1);
  BOOST_TEST(default_zone_name() == "Australia/Sydney");
  ::setenv("TZ", "Not/AZone", 1);
  BOOST_TEST(!default_zone_name().empty()); // the system zone or UTC, never the bad name
  BOOST_TEST(default_zone_name() != "Not/AZone");
  if (saved != nullptr) {
    ::setenv("TZ", restore.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
}

BOOST_AUTO_TEST_CASE(one_shot_local_times_in_gap_and_overlap) {
  const Instant now = utc("2025-01-01T00:00:00Z");
  // Berlin: 02:30 on 30 March does not exist -> the end of the gap, 03:00 CEST.
  auto gap = spec_ok(ScheduleSpec::at("2025-03-30T02:30", "Europe/Berlin", "--at"));
  BOOST_TEST(format_utc(*gap.first_fire(now)) == "2025-03-30T01:00:00Z");
  // 02:30 on 26 October happens twice -> the first, 02:30 CEST.
  auto overlap = spec_ok(ScheduleSpec::at("2025-10-26T02:30", "Europe/Berlin", "--at"));
  BOOST_TEST(format_utc(*overlap.first_fire(now)) == "2025-10-26T00:30:00Z");
  // New York and Sydney, the same rules.
  BOOST_TEST(format_utc(*spec_ok(ScheduleSpec::at("2025-03-09T02:15", "America/New_York", "x"))
                             .first_fire(now)) == "2025-03-09T07:00:00Z");
  BOOST_TEST(format_utc(*spec_ok(ScheduleSpec::at("2025-11-02T01:15", "America/New_York", "x"))
                             .first_fire(now)) == "2025-11-02T05:15:00Z");
  BOOST_TEST(format_utc(*spec_ok(ScheduleSpec::at("2025-10-05T02:15", "Australia/Sydney", "x"))
                             .first_fire(now)) == "2025-10-04T16:00:00Z");
  BOOST_TEST(format_utc(*spec_ok(ScheduleSpec::at("2025-04-06T02:15", "Australia/Sydney", "x"))
                             .first_fire(now)) == "2025-04-05T15:15:00Z");
  // An offset wins over the zone.
  auto fixed = spec_ok(ScheduleSpec::at("2025-06-01T09:00:00+09:00", "Europe/Berlin", "x"));
  BOOST_TEST(format_utc(*fixed.first_fire(now)) == "2025-06-01T00:00:00Z");
  // A one-shot's first fire is its time even when past; after it, nothing.
  BOOST_TEST(format_utc(*fixed.first_fire(utc("2026-01-01T00:00:00Z"))) == "2025-06-01T00:00:00Z");
  BOOST_TEST(!fixed.next_after(utc("2025-06-01T00:00:00Z")).has_value());
  BOOST_TEST(!fixed.recurring());
}

BOOST_AUTO_TEST_CASE(intervals_are_elapsed_time) {
  const Instant now = utc("2025-03-29T10:00:00Z");
  // 12:00 CET = 11:00 UTC; one day later is 24 hours later: 13:00 CEST.
  auto daily = spec_ok(ScheduleSpec::every("1d", std::string_view("2025-03-29T12:00"),
                                           "Europe/Berlin", now, "--every"));
  BOOST_TEST(format_utc(*daily.first_fire(now)) == "2025-03-29T11:00:00Z");
  BOOST_TEST(format_utc(*daily.next_after(utc("2025-03-29T11:00:00Z"))) == "2025-03-30T11:00:00Z");
  // A start in the past lines up on its grid.
  auto quarter = spec_ok(
      ScheduleSpec::every("15m", std::string_view("2025-03-29T00:05:00Z"), "UTC", now, "--every"));
  BOOST_TEST(format_utc(*quarter.first_fire(now)) == "2025-03-29T10:05:00Z");
  BOOST_TEST(format_utc(*quarter.next_after(utc("2025-03-29T10:05:00Z"))) ==
             "2025-03-29T10:20:00Z");
  // Without a start: one interval from now.
  auto plain = spec_ok(ScheduleSpec::every("6h", std::nullopt, "UTC", now, "--every"));
  BOOST_TEST(format_utc(*plain.first_fire(now)) == "2025-03-29T16:00:00Z");
  BOOST_TEST(plain.text() == "every 6h from 2025-03-29T16:00:00Z");
}

BOOST_AUTO_TEST_CASE(stored_specs_read_back_identically) {
  const Instant now = utc("2025-03-29T10:00:00Z");
  const std::vector<ScheduleSpec> specs = {
      spec_ok(ScheduleSpec::at("2025-03-30T02:30", "Europe/Berlin", "x")),
      spec_ok(ScheduleSpec::at("2025-03-30T02:30:00-04:00", "UTC", "x")),
      spec_ok(ScheduleSpec::every("1h30m", std::nullopt, "Australia/Sydney", now, "x")),
      spec_ok(ScheduleSpec::cron("0 9 * * MON-FRI", "America/New_York", "x")),
      spec_ok(ScheduleSpec::cron("@daily", "UTC", "x")),
  };
  for (const auto &spec : specs) {
    auto back = ScheduleSpec::from_stored(spec.text(), spec.zone_name());
    BOOST_REQUIRE_MESSAGE(back, spec.text());
    BOOST_TEST(back.value().text() == spec.text());
    BOOST_TEST(back.value().first_fire(now) == spec.first_fire(now));
  }
  BOOST_TEST(specs[3].text() == "cron 0 9 * * mon-fri");
  auto garbage = ScheduleSpec::from_stored("sometimes", "UTC");
  BOOST_REQUIRE(!garbage);
  BOOST_TEST(contains(host::error_message(garbage.error()), "stored spec 'sometimes'"));
  auto vanished = ScheduleSpec::from_stored("cron * * * * *", "Mars/Olympus_Mons");
  BOOST_REQUIRE(!vanished);
  BOOST_TEST(contains(host::error_message(vanished.error()), "'Mars/Olympus_Mons'"));
}

BOOST_AUTO_TEST_CASE(one_string_specs_as_in_plugin_manifests) {
  const Instant now = utc("2025-03-29T10:00:00Z");
  BOOST_TEST(spec_ok(ScheduleSpec::parse("0 */6 * * *", "UTC", now, "x")).text() ==
             "cron 0 */6 * * *");
  BOOST_TEST(spec_ok(ScheduleSpec::parse("@daily", "UTC", now, "x")).text() == "cron @daily");
  BOOST_TEST(spec_ok(ScheduleSpec::parse("every 6h", "UTC", now, "x")).text() ==
             "every 6h from 2025-03-29T16:00:00Z");
  BOOST_TEST(spec_ok(ScheduleSpec::parse("at 2025-04-01T00:00Z", "UTC", now, "x")).text() ==
             "at 2025-04-01T00:00:00Z");
  auto bad = ScheduleSpec::parse("0 */6 * *", "UTC", now, "default_schedule");
  BOOST_REQUIRE(!bad);
  BOOST_TEST(contains(host::error_message(bad.error()), "default_schedule: cron expression"));
}

BOOST_AUTO_TEST_CASE(retry_backoff) {
  const RetryPolicy policy; // 30 s doubling to 1 h
  BOOST_TEST(retry_delay(policy, 1, std::nullopt, 0).count() == 15);
  BOOST_TEST(retry_delay(policy, 1, std::nullopt, 15).count() == 30);
  for (std::uint32_t r : {0u, 7u, 123456u, 0xffffffffu}) {
    const auto third = retry_delay(policy, 3, std::nullopt, r).count();
    BOOST_TEST((third >= 60 && third <= 120), third);
    const auto late = retry_delay(policy, 20, std::nullopt, r).count();
    BOOST_TEST((late >= 1800 && late <= 3600), late);
  }
  BOOST_TEST(retry_delay(policy, 1, seconds{90}, 0).count() == 90);        // the plugin's hint
  BOOST_TEST(retry_delay(policy, 1, seconds{999999}, 0).count() == 86400); // at most a day
}
