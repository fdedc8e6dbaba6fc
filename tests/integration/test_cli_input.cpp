// Hostile command-line input and hostile plugin answers: numbers that wrap or overflow,
// endless stdin, megabytes of error text. Each ends in a clear error or a bounded output.
#define BOOST_TEST_MODULE cli_input
#include <boost/test/unit_test.hpp>

#include "cli_world.hpp"

#include "scheduler/schedule_store.hpp"
#include "store/sql_secret_store.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <ctime>
#include <fstream>

using namespace autohost::test;
namespace fs = std::filesystem;
namespace json = boost::json;
namespace sched = autohost::scheduler;

namespace {

struct Cli : CliWorld {
  std::string probe = (fs::path(required_env("TEST_PLUGIN_DIR")) / "probe.so").string();
  std::string threads = required_env("THREADS_PLUGIN");

  ProcessResult probe_run(std::vector<std::string> args, std::string stdin_text = {}) {
    args.insert(args.begin(), {"--plugin", probe});
    return run(std::move(args), std::move(stdin_text));
  }

  void expect_usage(const ProcessResult &r, const std::string &needle) {
    BOOST_TEST(r.exit_code == 2, needle << ": " << r.err);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(contains(message_of(r), needle), message_of(r));
  }
};

// A file of `size` bytes of 'x' in the world's home.
fs::path big_file(const Cli &c, const std::string &name, std::size_t size) {
  const fs::path file = c.home / name;
  std::ofstream(file, std::ios::binary) << std::string(size, 'x');
  return file;
}

// `message` is whole "é"s (never half of one) up to the cut marker naming `size`.
void expect_cut_utf8(const std::string &message, std::size_t size) {
  const std::string marker = " ... [cut, " + std::to_string(size) + " bytes]";
  BOOST_TEST(message.size() <= 4096 + marker.size());
  BOOST_REQUIRE(message.size() > marker.size());
  BOOST_TEST(message.substr(message.size() - marker.size()) == marker);
  const std::string kept = message.substr(0, message.size() - marker.size());
  BOOST_TEST(kept.size() % 2 == 0);
  for (std::size_t i = 0; i + 1 < kept.size(); i += 2)
    BOOST_REQUIRE(kept.substr(i, 2) == "\u00e9");
}

std::string utc_now_text() {
  const std::time_t now = std::time(nullptr) - 2;
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(negative_or_overflowing_counts_are_usage_errors_naming_the_flag, Cli) {
  // -1 once wrapped to "any version" and skipped the compare-and-set.
  for (const std::string bad :
       {"-1", "18446744073709551615", "18446744073709551616", "1e3", "+1", " 1", ""}) {
    expect_usage(run({"secrets", "set", "app/key", "--expect-version", bad}, "value"),
                 "--expect-version '" + bad + "'");
  }
  BOOST_TEST(run({"secrets", "get", "app/key"}).exit_code == 4); // nothing was written
  BOOST_TEST(run({"secrets", "set", "app/key", "--expect-version", "0"}, "value").exit_code == 0);
  expect_usage(run({"secrets", "rm", "app/key", "--expect-version", "-1"}), "--expect-version");
  BOOST_TEST(run({"secrets", "get", "app/key"}).exit_code == 0); // still there

  expect_usage(probe_run({"run", "--once", "--workers", "-1"}), "--workers '-1'");
  expect_usage(probe_run({"run", "--once", "--workers", "4294967297"}), "from 1 to 64");
  expect_usage(probe_run({"run", "--once", "--max-attempts", "-3"}), "--max-attempts '-3'");
  expect_usage(run({"runs", "--limit", "99999999999"}), "--limit '99999999999'");
}

BOOST_FIXTURE_TEST_CASE(timeouts_are_finite_positive_and_bounded, Cli) {
  for (const std::string bad : {"nan", "inf", "-inf", "1e308", "86401", "-1", "0", "1s", ""}) {
    expect_usage(probe_run({"invoke", "probe.echo", "--timeout", bad}),
                 "--timeout '" + bad +
                     "': must be a number of seconds more than 0 and at most "
                     "86400");
    expect_usage(probe_run({"job", "probe.none", "--timeout", bad}), "--timeout '" + bad + "'");
    expect_usage(probe_run({"status", "--timeout", bad}), "--timeout '" + bad + "'");
  }
  auto ok = probe_run({"invoke", "probe.echo", "--timeout", "0.5"});
  BOOST_TEST(ok.exit_code == 0, ok.err);
  BOOST_TEST(probe_run({"invoke", "probe.echo", "--timeout", "86400"}).exit_code == 0);
}

BOOST_FIXTURE_TEST_CASE(input_larger_than_16_mib_is_refused_naming_its_source, Cli) {
  const std::size_t cap = std::size_t{16} << 20;
  const fs::path big = big_file(*this, "big.json", cap + 1);
  std::ifstream in(big, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  expect_usage(probe_run({"invoke", "probe.echo"}, text), "stdin is larger than 16777216 bytes");
  expect_usage(probe_run({"invoke", "probe.echo", "--input-file", big.string()}),
               "--input-file " + big.string() + " is larger than 16777216 bytes");
  expect_usage(
      probe_run({"schedule", "add", "probe.echo", "--every", "1h", "--input-file", "-"}, text),
      "stdin is larger");
  expect_usage(probe_run({"schedule", "import", big.string()}),
               "calendar " + big.string() + " is larger");
  expect_usage(run({"secrets", "set", "app/key"}, text), "stdin is larger");
  BOOST_TEST(run({"secrets", "get", "app/key"}).exit_code == 4);
}

BOOST_FIXTURE_TEST_CASE(huge_plugin_error_text_is_cut_wherever_it_is_shown_or_stored, Cli) {
  // 7 MB of "é" from a plugin that builds its own error body (a third-party plugin passing
  // a server's text on): cut at a character boundary, marked with the whole size.
  const std::size_t size = 7340032;
  const std::string input =
      R"({"status":"invalid_input","message":"é","repeat":)" + std::to_string(size / 2) + "}";
  auto now = probe_run({"invoke", "probe.fail", "--input", input});
  BOOST_TEST(now.exit_code == 3);
  BOOST_TEST(now.err.size() < 6000);
  expect_cut_utf8(message_of(now), size);

  auto added = probe_run(
      {"schedule", "add", "probe.fail", "--at", utc_now_text(), "--input", input, "--id", "loud"});
  BOOST_REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  auto daemon = probe_run({"run", "--once", "--job-jitter", "0"});
  BOOST_TEST(daemon.exit_code == 0, daemon.err.substr(0, 2000));
  BOOST_TEST(daemon.err.size() < 16000); // the log line of the run holds the cut message
  BOOST_TEST(contains(daemon.err, "[cut, 7340032 bytes]"));

  auto runs = probe_run({"runs", "--json"});
  BOOST_REQUIRE_MESSAGE(runs.exit_code == 0, runs.err);
  BOOST_TEST(runs.out.size() < 16000);
  const auto list = json::parse(runs.out).as_array();
  BOOST_REQUIRE_EQUAL(list.size(), 1u);
  expect_cut_utf8(std::string(list[0].at("error").at("message").as_string()), size);

  auto status = probe_run({"status", "--json"});
  BOOST_REQUIRE_MESSAGE(status.exit_code == 0, status.err);
  BOOST_TEST(status.out.size() < 32000);
  const auto attention = json::parse(status.out).at("attention").as_array();
  BOOST_REQUIRE_EQUAL(attention.size(), 1u);
  expect_cut_utf8(std::string(attention[0].at("message").as_string()), size);
}

BOOST_FIXTURE_TEST_CASE(huge_plugin_output_and_log_fields_are_cut_wherever_shown_or_stored, Cli) {
  // A successful answer and a log line holding a server's 7 MB text, passed on whole by a
  // plugin: each string is cut at a character boundary and says so; the rest is kept.
  const std::size_t size = 7340032;
  const std::string input = R"({"message":"é","repeat":)" + std::to_string(size / 2) + "}";
  auto now = probe_run({"invoke", "probe.big", "--input", input});
  BOOST_REQUIRE_MESSAGE(now.exit_code == 0, now.err.substr(0, 2000));
  BOOST_TEST(now.out.size() < 6000);
  const auto out = json::parse(now.out);
  expect_cut_utf8(std::string(out.at("text").as_string()), size);
  BOOST_TEST(out.at("size").as_string() == "big");

  auto logged = probe_run({"invoke", "probe.log", "--input", input});
  BOOST_REQUIRE_MESSAGE(logged.exit_code == 0, logged.err.substr(0, 2000));
  BOOST_TEST(logged.err.size() < 12000);
  BOOST_REQUIRE(contains(logged.err, R"("probe":true)"));
  const auto line = json::parse(logged.err.substr(0, logged.err.find('\n')));
  expect_cut_utf8(std::string(line.at("text").as_string()), size);

  auto added = probe_run(
      {"schedule", "add", "probe.big", "--at", utc_now_text(), "--input", input, "--id", "big"});
  BOOST_REQUIRE_MESSAGE(added.exit_code == 0, added.err.substr(0, 2000));
  auto daemon = probe_run({"run", "--once", "--job-jitter", "0"});
  BOOST_TEST(daemon.exit_code == 0, daemon.err.substr(0, 2000));
  auto listed = probe_run({"runs", "--json"});
  BOOST_REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  const auto list = json::parse(listed.out).as_array();
  BOOST_REQUIRE_EQUAL(list.size(), 1u);
  BOOST_TEST(list[0].at("status").as_string() == "succeeded");
  expect_cut_utf8(std::string(list[0].at("output").at("text").as_string()), size);
}

BOOST_FIXTURE_TEST_CASE(secret_inputs_are_refused_in_schedules_and_redacted_in_status, Cli) {
  const std::string secret = "app-secret-9f8e7d";
  const std::string input =
      R"({"app_id":"1234","app_secret":")" + secret + R"(","redirect_uri":"https://e.example/cb"})";
  auto add = run({"--plugin", threads, "schedule", "add", "threads.register_app", "--every", "1d",
                  "--input", input});
  BOOST_TEST(add.exit_code == 2, add.err);
  BOOST_TEST(contains(message_of(add), "input field 'app_secret' of threads.register_app is a "
                                       "secret"),
             message_of(add));
  BOOST_TEST(contains(message_of(add), "autohost invoke threads.register_app"));
  BOOST_TEST(!contains(add.err + add.out, secret));

  std::ofstream(home / "cal.json") << R"({"plugin":"threads","posts":[
      {"id":"ok","every":"1d","action":"profile"},
      {"id":"onboard","every":"1d","action":"import_token","input":{"access_token":"tok-123"}}]})";
  auto imported = run({"--plugin", threads, "schedule", "import", (home / "cal.json").string()});
  BOOST_TEST(imported.exit_code == 2, imported.err);
  BOOST_TEST(contains(message_of(imported), "entry 'onboard': input field 'access_token'"),
             message_of(imported));
  BOOST_TEST(!contains(imported.err, "tok-123"));
  auto list = run({"--plugin", threads, "schedule", "list", "--json"});
  BOOST_TEST(json::parse(list.out).as_array().empty()); // nothing was stored

  // A schedule stored before the manifest marked the field (or by another tool) is shown
  // with the value redacted.
  BOOST_REQUIRE_EQUAL(run({"secrets", "list"}).exit_code, 0); // creates the store and key
  sched::ScheduleStoreOptions o;
  o.location = home / "state/store.db";
  auto store = sched::ScheduleStore::open(o);
  BOOST_REQUIRE(store);
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto spec = sched::ScheduleSpec::every("1d", std::nullopt, "UTC", now, "test");
  BOOST_REQUIRE(spec);
  sched::ScheduleDraft draft(spec.value());
  draft.id = "old";
  draft.plugin = "threads";
  draft.target = "register_app";
  draft.input_json = input;
  BOOST_REQUIRE(store.value()->add(draft, now));
  store.value().reset();
  auto status = run({"--plugin", threads, "status", "--json"});
  BOOST_REQUIRE_MESSAGE(status.exit_code == 0, status.err);
  BOOST_TEST(!contains(status.out, secret));
  const auto upcoming = json::parse(status.out).at("upcoming").as_array();
  BOOST_REQUIRE(!upcoming.empty());
  BOOST_TEST(upcoming[0].at("input").at("app_secret").as_string() == "[redacted]");
  BOOST_TEST(upcoming[0].at("input").at("app_id").as_string() == "1234");

  // Its run keeps the same input; every command that prints a stored input redacts it.
  store = sched::ScheduleStore::open(o);
  BOOST_REQUIRE(store);
  auto due = store.value()->materialise_due(now + std::chrono::hours(25));
  BOOST_REQUIRE(due);
  BOOST_REQUIRE_EQUAL(due.value().pending.size() + due.value().missed.size(), 1u);
  const std::string run_id =
      due.value().pending.empty() ? due.value().missed[0] : due.value().pending[0];
  store.value().reset();
  const auto expect_redacted = [&](const json::value &input, const std::string &what) {
    BOOST_TEST(input.at("app_secret").as_string() == "[redacted]", what);
    BOOST_TEST(input.at("app_id").as_string() == "1234", what);
  };
  for (const std::vector<std::string> &args :
       {std::vector<std::string>{"schedule", "list", "--json"},
        {"schedule", "show", "old"},
        {"runs", "--json"},
        {"runs", run_id},
        {"schedule", "pause", "old"}}) {
    std::vector<std::string> full{"--plugin", threads};
    full.insert(full.end(), args.begin(), args.end());
    const auto shown = run(full);
    const std::string what = args[0] + " " + args[1];
    BOOST_REQUIRE_MESSAGE(shown.exit_code == 0, what << ": " << shown.err);
    BOOST_TEST(!contains(shown.out + shown.err, secret), what << ": " << shown.out);
    const json::value v = json::parse(shown.out);
    if (args[0] == "runs" && args[1] == "--json") {
      BOOST_REQUIRE_EQUAL(v.as_array().size(), 1u);
      expect_redacted(v.as_array()[0].at("input"), what);
    } else if (args[1] == "list") {
      BOOST_REQUIRE_EQUAL(v.as_array().size(), 1u);
      expect_redacted(v.as_array()[0].at("input"), what);
    } else {
      expect_redacted(v.at("input"), what);
    }
    if (args[1] == "show") {
      BOOST_REQUIRE_EQUAL(v.at("recent_runs").as_array().size(), 1u);
      expect_redacted(v.at("recent_runs").as_array()[0].at("input"), what);
    }
  }
}
