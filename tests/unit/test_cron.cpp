// Cron expressions: what the parser accepts and refuses (errors name the field), and the
// next fire times, including both daylight-saving transitions in Europe/Berlin,
// America/New_York and Australia/Sydney. Expected instants are written out in UTC.
#define BOOST_TEST_MODULE cron
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "result_print.hpp"
#include "scheduler/cron.hpp"
#include "scheduler/date_time_text.hpp"

#include <string>
#include <vector>

using namespace autohost;
using namespace autohost::scheduler;

namespace {

Instant utc(std::string_view text) {
  auto written = parse_written_time(text, "test");
  BOOST_REQUIRE(written);
  BOOST_REQUIRE(written.value().offset);
  return resolve_written_time(written.value(), *date::locate_zone("UTC"));
}

CronExpression cron(std::string_view text) {
  auto parsed = CronExpression::parse(text);
  BOOST_REQUIRE_MESSAGE(parsed, text);
  return parsed.value();
}

// The first `count` fire times after `after`, as UTC text.
std::vector<std::string> fires(std::string_view expr, std::string_view zone, std::string_view after,
                               int count) {
  const CronExpression e = cron(expr);
  const date::time_zone *tz = date::locate_zone(zone);
  std::vector<std::string> out;
  Instant t = utc(after);
  for (int i = 0; i < count; ++i) {
    auto next = e.next_after(t, *tz);
    BOOST_REQUIRE(next);
    out.push_back(format_utc(*next));
    t = *next;
  }
  return out;
}

std::string parse_error(std::string_view text) {
  auto parsed = CronExpression::parse(text);
  BOOST_REQUIRE_MESSAGE(!parsed, "expected '" + std::string(text) + "' to be refused");
  return host::error_message(parsed.error());
}

using Times = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_CASE(fields_ranges_steps_lists_and_names) {
  BOOST_TEST(fires("*/15 * * * *", "UTC", "2025-01-01T00:07:00Z", 3) ==
                 Times({"2025-01-01T00:15:00Z", "2025-01-01T00:30:00Z", "2025-01-01T00:45:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("5/20 1-2 * * *", "UTC", "2025-01-01T00:00:00Z", 4) ==
                 Times({"2025-01-01T01:05:00Z", "2025-01-01T01:25:00Z", "2025-01-01T01:45:00Z",
                        "2025-01-01T02:05:00Z"}),
             boost::test_tools::per_element());
  // 2025-01-01 is a Wednesday.
  BOOST_TEST(fires("0 9 * * MON-fri", "UTC", "2025-01-03T10:00:00Z", 2) ==
                 Times({"2025-01-06T09:00:00Z", "2025-01-07T09:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("30 8 1,15 jan,JUL *", "UTC", "2025-01-01T09:00:00Z", 3) ==
                 Times({"2025-01-15T08:30:00Z", "2025-07-01T08:30:00Z", "2025-07-15T08:30:00Z"}),
             boost::test_tools::per_element());
  // 7 and "sun" at the end of a range are Sunday.
  BOOST_TEST(fires("0 12 * * 7", "UTC", "2025-01-01T00:00:00Z", 1) ==
                 Times({"2025-01-05T12:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("0 12 * * fri-sun", "UTC", "2025-01-01T00:00:00Z", 3) ==
                 Times({"2025-01-03T12:00:00Z", "2025-01-04T12:00:00Z", "2025-01-05T12:00:00Z"}),
             boost::test_tools::per_element());
  // 29 February only in leap years.
  BOOST_TEST(fires("0 0 29 2 *", "UTC", "2025-01-01T00:00:00Z", 2) ==
                 Times({"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}),
             boost::test_tools::per_element());
  // A day of month starting with '*' and a weekday must both match: 1 January on a Friday,
  // eleven years apart (found by the fuzzer: the search used to stop after nine).
  // Day-of-week 7 with a step is Sunday (the fuzzer's find: it was an empty set).
  BOOST_TEST(fires("0 12 * * 7/4", "UTC", "2025-01-01T00:00:00Z", 1) ==
                 Times({"2025-01-05T12:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("0 0 */31 1 5", "UTC", "2026-03-29T00:00:00Z", 2) ==
                 Times({"2027-01-01T00:00:00Z", "2038-01-01T00:00:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(macros) {
  BOOST_TEST(cron("@Daily").text() == "@daily");
  BOOST_TEST(fires("@hourly", "UTC", "2025-01-01T00:00:00Z", 1) == Times({"2025-01-01T01:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("@daily", "UTC", "2025-01-01T00:00:00Z", 1) == Times({"2025-01-02T00:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("@weekly", "UTC", "2025-01-01T00:00:00Z", 1) == Times({"2025-01-05T00:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("@monthly", "UTC", "2025-01-01T00:00:00Z", 1) == Times({"2025-02-01T00:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("@yearly", "UTC", "2025-01-01T00:00:00Z", 1) == Times({"2026-01-01T00:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(cron("@annually").text() == "@annually");
  BOOST_TEST(cron("  0  9 *  * 1 ").text() == "0 9 * * 1");
}

BOOST_AUTO_TEST_CASE(day_of_month_or_day_of_week) {
  // Both restricted: the 13th or any Friday (2025-06-13 is a Friday).
  BOOST_TEST(fires("0 0 13 * fri", "UTC", "2025-06-01T00:00:00Z", 4) ==
                 Times({"2025-06-06T00:00:00Z", "2025-06-13T00:00:00Z", "2025-06-20T00:00:00Z",
                        "2025-06-27T00:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("0 0 10 * mon", "UTC", "2025-06-01T00:00:00Z", 3) ==
                 Times({"2025-06-02T00:00:00Z", "2025-06-09T00:00:00Z", "2025-06-10T00:00:00Z"}),
             boost::test_tools::per_element());
  // A day field starting with '*' is unrestricted, so both must match: odd days that are
  // Mondays.
  BOOST_TEST(fires("0 0 */2 * mon", "UTC", "2025-06-01T00:00:00Z", 2) ==
                 Times({"2025-06-09T00:00:00Z", "2025-06-23T00:00:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(errors_name_the_field_and_the_problem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"* * * *", "has 4 fields; expected 5 (minute hour day-of-month month day-of-week)"},
      {"* * * * * *", "has 6 fields"},
      {"", "has 0 fields"},
      {"61 * * * *", "minute field '61': 61 is out of range 0-59"},
      {"* 24 * * *", "hour field '24': 24 is out of range 0-23"},
      {"* * 0 * *", "day-of-month field '0': 0 is out of range 1-31"},
      {"* * 32 * *", "day-of-month field '32': 32 is out of range 1-31"},
      {"* * * 13 *", "month field '13': 13 is out of range 1-12"},
      {"* * * foo *", "month field 'foo': 'foo' is not a number or a month name (jan-dec)"},
      {"* * * * 8", "day-of-week field '8': 8 is out of range 0-7"},
      {"* * * * monday", "'monday' is not a number or a day name (sun-sat)"},
      {"*/0 * * * *", "minute field '*/0': the step must be at least 1"},
      {"*/x * * * *", "the step after '/' must be a number"},
      {"5-1 * * * *", "minute field '5-1': the range 5-1 goes backwards"},
      {"1,,2 * * * *", "minute field '1,,2': a list has an empty item"},
      {"1- * * * *", "a value is missing"},
      {"a * * * *", "minute field 'a': 'a' is not a number"},
      {"0 0 30 2 *", "day-of-month field '30' never falls in month field '2'"},
      {"0 0 31 apr,jun *", "never falls in month field 'apr,jun'"},
      {"@reboot", "'@reboot' is not a known macro"},
  };
  for (const auto &[text, expected] : cases) {
    const std::string message = parse_error(text);
    BOOST_TEST(message.find(expected) != std::string::npos, text << " -> " << message);
    BOOST_TEST(message.find("cron expression '" + text + "'") == 0, message);
  }
}

// Europe/Berlin 2025: clocks jump 02:00 CET -> 03:00 CEST on 30 March (01:00 UTC) and go
// back 03:00 CEST -> 02:00 CET on 26 October (01:00 UTC).
BOOST_AUTO_TEST_CASE(berlin_gap_runs_fixed_times_when_the_gap_ends) {
  // 02:30 does not exist on 30 March: it runs at 03:00 CEST, once.
  BOOST_TEST(fires("30 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", 2) ==
                 Times({"2025-03-30T01:00:00Z", "2025-03-31T00:30:00Z"}),
             boost::test_tools::per_element());
  // 02:00 and 02:30 both fall in the gap; both become the one run at 03:00 CEST.
  BOOST_TEST(fires("*/30 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", 2) ==
                 Times({"2025-03-30T01:00:00Z", "2025-03-31T00:00:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(berlin_gap_hourly_follows_the_wall_clock) {
  // 02:00 local never happens; the hourly rhythm in real time is kept.
  BOOST_TEST(fires("0 * * * *", "Europe/Berlin", "2025-03-29T23:30:00Z", 3) ==
                 Times({"2025-03-30T00:00:00Z", "2025-03-30T01:00:00Z", "2025-03-30T02:00:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(berlin_overlap_runs_fixed_times_once) {
  // 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET): only the first runs.
  BOOST_TEST(fires("30 2 * * *", "Europe/Berlin", "2025-10-25T12:00:00Z", 2) ==
                 Times({"2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("*/30 2 * * *", "Europe/Berlin", "2025-10-25T12:00:00Z", 3) ==
                 Times({"2025-10-26T00:00:00Z", "2025-10-26T00:30:00Z", "2025-10-27T01:00:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(berlin_overlap_hourly_runs_both_hours) {
  BOOST_TEST(fires("0 * * * *", "Europe/Berlin", "2025-10-25T23:30:00Z", 3) ==
                 Times({"2025-10-26T00:00:00Z", "2025-10-26T01:00:00Z", "2025-10-26T02:00:00Z"}),
             boost::test_tools::per_element());
}

// America/New_York 2025: 02:00 EST -> 03:00 EDT on 9 March (07:00 UTC); 02:00 EDT ->
// 01:00 EST on 2 November (06:00 UTC).
BOOST_AUTO_TEST_CASE(new_york_gap) {
  BOOST_TEST(fires("30 2 * * *", "America/New_York", "2025-03-08T05:00:00Z", 3) ==
                 Times({"2025-03-08T07:30:00Z", "2025-03-09T07:00:00Z", "2025-03-10T06:30:00Z"}),
             boost::test_tools::per_element());
  // Every 20 minutes: 01:40 EST, then 03:00 EDT - 20 minutes of real time.
  BOOST_TEST(fires("*/20 * * * *", "America/New_York", "2025-03-09T06:30:00Z", 3) ==
                 Times({"2025-03-09T06:40:00Z", "2025-03-09T07:00:00Z", "2025-03-09T07:20:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(new_york_overlap) {
  // 01:30 is 05:30 UTC (EDT) and 06:30 UTC (EST); a fixed time runs at the first.
  BOOST_TEST(fires("30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z", 2) ==
                 Times({"2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z"}),
             boost::test_tools::per_element());
  // Every 20 minutes runs through both 01:xx hours.
  BOOST_TEST(fires("*/20 * * * *", "America/New_York", "2025-11-02T05:30:00Z", 6) ==
                 Times({"2025-11-02T05:40:00Z", "2025-11-02T06:00:00Z", "2025-11-02T06:20:00Z",
                        "2025-11-02T06:40:00Z", "2025-11-02T07:00:00Z", "2025-11-02T07:20:00Z"}),
             boost::test_tools::per_element());
}

// Australia/Sydney 2025 (southern hemisphere): 03:00 AEDT -> 02:00 AEST on 6 April
// (16:00 UTC on the 5th); 02:00 AEST -> 03:00 AEDT on 5 October (16:00 UTC on the 4th).
BOOST_AUTO_TEST_CASE(sydney_overlap_in_april) {
  BOOST_TEST(fires("30 2 * * *", "Australia/Sydney", "2025-04-05T00:00:00Z", 2) ==
                 Times({"2025-04-05T15:30:00Z", "2025-04-06T16:30:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("0 * * * *", "Australia/Sydney", "2025-04-05T14:30:00Z", 3) ==
                 Times({"2025-04-05T15:00:00Z", "2025-04-05T16:00:00Z", "2025-04-05T17:00:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sydney_gap_in_october) {
  BOOST_TEST(fires("30 2 * * *", "Australia/Sydney", "2025-10-03T00:00:00Z", 3) ==
                 Times({"2025-10-03T16:30:00Z", "2025-10-04T16:00:00Z", "2025-10-05T15:30:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(fires("0 * * * *", "Australia/Sydney", "2025-10-04T15:30:00Z", 2) ==
                 Times({"2025-10-04T16:00:00Z", "2025-10-04T17:00:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(midnight_skipped_by_the_clock) {
  // America/Santiago skips 00:00-01:00 on 7 September 2025 (UTC-4 -> UTC-3): @daily runs
  // at 01:00 local, the end of the gap.
  BOOST_TEST(fires("@daily", "America/Santiago", "2025-09-06T12:00:00Z", 2) ==
                 Times({"2025-09-07T04:00:00Z", "2025-09-08T03:00:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(next_after_is_strict_and_fast_enough) {
  const CronExpression every_minute = cron("* * * * *");
  const date::time_zone *berlin = date::locate_zone("Europe/Berlin");
  Instant t = utc("2025-03-29T00:00:00Z");
  // Two days of minutes across a transition: each answer is one minute later.
  for (int i = 0; i < 2 * 1440; ++i) {
    const auto next = every_minute.next_after(t, *berlin);
    BOOST_REQUIRE(next);
    BOOST_REQUIRE(*next == t + std::chrono::minutes{1});
    t = *next;
  }
}

// The rules stated once more as a minute-by-minute scan of real time, compared with
// next_after over four days around each transition.
BOOST_AUTO_TEST_CASE(next_after_agrees_with_a_minute_by_minute_scan) {
  const std::vector<std::pair<std::string, std::string>> windows = {
      {"Europe/Berlin", "2025-03-28T12:00:00Z"},    {"Europe/Berlin", "2025-10-24T12:00:00Z"},
      {"America/New_York", "2025-03-07T12:00:00Z"}, {"America/New_York", "2025-10-31T12:00:00Z"},
      {"Australia/Sydney", "2025-04-04T12:00:00Z"}, {"Australia/Sydney", "2025-10-03T12:00:00Z"},
  };
  const std::vector<std::string> expressions = {"30 2 * * *",   "*/30 2 * * *", "0 * * * *",
                                                "*/20 * * * *", "15 1-3 * * *", "0 0 * * *",
                                                "45 2,3 * * *", "10 */2 * * *"};
  for (const auto &[zone_name, start_text] : windows) {
    const date::time_zone &zone = *date::locate_zone(zone_name);
    const Instant start = utc(start_text);
    const Instant end = start + std::chrono::hours{96};
    for (const auto &text : expressions) {
      const CronExpression e = cron(text);
      std::vector<Instant> scanned;
      for (Instant t = start + std::chrono::minutes{1}; t <= end; t += std::chrono::minutes{1}) {
        const LocalTime local = zone.to_local(t);
        const LocalPlacement p = place_local(zone, local);
        bool fires = e.matches(local) &&
                     (p.kind != LocalPlacement::Kind::overlap || t == p.first || e.every_hour());
        const date::sys_info info = zone.get_info(t);
        if (!fires && !e.every_hour() && info.begin == t) {
          const date::sys_info before = zone.get_info(t - std::chrono::seconds{1});
          // Clocks jumped forward at t: wall times in the gap that match run now.
          for (auto gap = LocalTime{t.time_since_epoch() + before.offset};
               gap < LocalTime{t.time_since_epoch() + info.offset};
               gap += std::chrono::minutes{1}) {
            fires = fires || e.matches(gap);
          }
        }
        if (fires)
          scanned.push_back(t);
      }
      std::vector<Instant> stepped;
      for (auto t = e.next_after(start, zone); t && *t <= end; t = e.next_after(*t, zone)) {
        stepped.push_back(*t);
      }
      BOOST_TEST_CONTEXT(text << " in " << zone_name << " from " << start_text) {
        BOOST_TEST(scanned.size() >= 4u);
        BOOST_TEST(stepped.size() == scanned.size());
        for (size_t i = 0; i < std::min(stepped.size(), scanned.size()); ++i) {
          BOOST_TEST(format_utc(stepped[i]) == format_utc(scanned[i]));
        }
      }
    }
  }
}

// Found by tests/fuzz (schedule_spec): an error quoting bytes that are not UTF-8 was not
// JSON, so stderr's last line was not either and error_message() returned the raw body.
BOOST_AUTO_TEST_CASE(an_error_quoting_bytes_that_are_not_utf8_is_still_json) {
  auto parsed = CronExpression::parse("0 \xff\xc0\xaf 9 * *\xed\xa0\x80");
  BOOST_REQUIRE(!parsed);
  boost::system::error_code ec;
  const boost::json::value body = boost::json::parse(parsed.error().body, ec);
  BOOST_REQUIRE_MESSAGE(!ec, "not JSON: " << parsed.error().body);
  const std::string message(body.as_object().at("message").as_string());
  BOOST_TEST(message.find("0 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD 9") != std::string::npos);
  BOOST_TEST(host::error_message(parsed.error()) == message);
}
