// `autohost status` against the sandbox: accounts with their tokens, upcoming posts, posts
// at risk (a token that expires first, an account that needs re-authorisation, more posts
// in the next 24 h than the quota has left), a quota that cannot be checked, runs that need
// attention, and the example calendar, which must keep importing.
#define BOOST_TEST_MODULE status
#include "token_world.hpp"

#include "scheduler/schedule_store.hpp"
#include "store/sql_secret_store.hpp"

#include <chrono>
#include <ctime>
#include <map>
#include <sstream>

using namespace token_test;
namespace sched = autohost::scheduler;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

std::string str(const json::value &v) { return std::string(v.as_string()); }

std::int64_t real_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-05-04T09:00:00Z", `from_now_s` seconds from the real clock.
std::string utc_in(std::int64_t from_now_s) {
  const std::time_t t = real_now() + from_now_s;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void add_account(Cli &c, const std::string &account, std::int64_t age_s,
                 const std::string &user = "threadsapitestuser") {
  c.import(account,
           c.issue(R"({"username":")" + user + R"(","age_s":)" + std::to_string(age_s) + "}"),
           true);
}

// A post for `account` at `at` (RFC 3339), with the schedule id `id`.
void schedule_post_at(Cli &c, const std::string &id, const std::string &account,
                      const std::string &at, const std::string &input = R"({"text":"hello"})") {
  auto r = c.cli({"schedule", "add", "threads.post", "--id", id, "--at", at, "--tz", "UTC",
                  "--account", account, "--input", input});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

void schedule_post(Cli &c, const std::string &id, const std::string &account,
                   std::int64_t from_now_s, const std::string &input = R"({"text":"hello"})") {
  schedule_post_at(c, id, account, utc_in(from_now_s), input);
}

json::object status(Cli &c, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"status", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = c.cli(args);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "status failed: " + r.err);
  return json::parse(r.out).as_object();
}

// The upcoming item of schedule `id` (the first, for a recurring one).
json::object item(const json::object &report, const std::string &id) {
  for (const auto &i : report.at("upcoming").as_array()) {
    if (i.at("schedule").as_string() == id)
      return i.as_object();
  }
  BOOST_FAIL("no upcoming item for schedule " + id);
  return {};
}

// The item's risks, comma-separated ("" when none).
std::string risks(const json::object &report, const std::string &id) {
  std::string out;
  const json::object found = item(report, id);
  for (const auto &r : found.at("risks").as_array()) {
    out += (out.empty() ? "" : ",") + str(r.at("risk"));
  }
  return out;
}

json::object account(const json::object &report, const std::string &name) {
  for (const auto &a : report.at("accounts").as_array()) {
    if (a.at("account").as_string() == name)
      return a.as_object();
  }
  BOOST_FAIL("no account " + name + " in the report");
  return {};
}

} // namespace

BOOST_AUTO_TEST_CASE(healthy_accounts_have_nothing_at_risk) {
  Cli c;
  add_account(c, "alice", 0);
  schedule_post(c, "soon", "alice", 3600);
  schedule_post(c, "in-two-days", "alice", 2 * day_s);
  schedule_post(c, "next-month", "alice", 30 * day_s);

  const auto report = status(c, {"--horizon", "40d"});
  BOOST_TEST(report.at("at_risk").as_array().empty());
  BOOST_TEST(report.at("problems").as_array().empty());
  BOOST_TEST(report.at("attention").as_array().empty());
  BOOST_TEST(str(report.at("horizon")) == "5w5d"); // 40d, as format_duration writes it
  BOOST_TEST(str(item(report, "soon").at("state")) == "scheduled");
  BOOST_TEST(str(item(report, "soon").at("target")) == "threads.post");
  BOOST_TEST(str(item(report, "soon").at("account")) == "alice");
  BOOST_TEST(item(report, "soon").at("input").at("text").as_string() == "hello");
  BOOST_TEST(item(report, "next-month").at("at_risk").as_bool() == false);

  const auto alice = account(report, "alice");
  BOOST_TEST(str(alice.at("plugin")) == "threads");
  BOOST_TEST(str(alice.at("status")) == "active");
  BOOST_TEST(alice.at("expires_in_s").as_int64() > 59 * day_s);
  BOOST_TEST(alice.at("upcoming").as_int64() == 3);
  BOOST_TEST(alice.at("at_risk").as_int64() == 0);
  const auto &quota = alice.at("quota").as_object();
  BOOST_TEST(quota.at("checked").as_bool());
  BOOST_TEST(quota.at("posts_used").as_int64() == 0);
  BOOST_TEST(quota.at("posts_limit").as_int64() == 250);
  BOOST_TEST(quota.at("posts_due_24h").as_int64() == 1);

  // The default horizon (7d) leaves the post next month out.
  const auto week = status(c);
  BOOST_TEST(week.at("upcoming").as_array().size() == 2u);

  auto table = c.cli({"status"});
  BOOST_TEST(table.exit_code == 0, table.err);
  BOOST_TEST(contains(table.out, "ACCOUNTS"));
  BOOST_TEST(contains(table.out, "alice"));
  BOOST_TEST(contains(table.out, "UPCOMING (2)"));
  BOOST_TEST(contains(table.out, "AT RISK: none"));
  BOOST_TEST(contains(table.out, "NEEDS ATTENTION: none"));
}

BOOST_AUTO_TEST_CASE(a_post_after_the_token_expires_is_at_risk) {
  Cli c;
  add_account(c, "alice", 0); // a fresh long-lived token: 60 days
  schedule_post(c, "before", "alice", 59 * day_s);
  schedule_post(c, "after", "alice", 61 * day_s);

  const auto report = status(c, {"--horizon", "70d"});
  BOOST_TEST(risks(report, "before").empty());
  BOOST_TEST(risks(report, "after") == "expires_before");
  const auto &at_risk = report.at("at_risk").as_array();
  BOOST_REQUIRE_EQUAL(at_risk.size(), 1u);
  BOOST_TEST(str(at_risk[0].at("schedule")) == "after");
  BOOST_TEST(contains(str(at_risk[0].at("risks").as_array()[0].at("message")), "expires at"));
  BOOST_TEST(account(report, "alice").at("at_risk").as_int64() == 1);

  auto table = c.cli({"status", "--horizon", "70d"});
  BOOST_TEST(table.exit_code == 0, table.err);
  BOOST_TEST(contains(table.out, "AT RISK (1)"));
  BOOST_TEST(contains(table.out, "expires_before"));

  // On the sandbox clock a month later, the token is as old as the post is near: the
  // host clock moves with it, and the post is still judged against the same expiry.
  c.set_clock_days(30);
  const auto later = status(c, {"--horizon", "40d"});
  BOOST_TEST(risks(later, "after") == "expires_before");
}

BOOST_AUTO_TEST_CASE(a_post_for_an_account_that_needs_reauthorisation_is_at_risk) {
  Cli c;
  control("POST", "/__sandbox/users", R"({"username":"bob"})");
  add_account(c, "alice", 0);
  add_account(c, "bob", 40 * day_s, "bob"); // due for refresh
  sbx::add_fault(sandbox(), R"({"group":"refresh","mode":"graph_error","http_status":401,
    "code":190,"error_subcode":460,"message":"Error validating access token: password changed"})");
  BOOST_REQUIRE_EQUAL(c.job().at("needs_reauth").as_int64(), 1);
  schedule_post(c, "bobs-post", "bob", 3600);
  schedule_post(c, "alices-post", "alice", 3600);
  schedule_post(c, "nobodys-post", "carol", 7200);

  const auto report = status(c);
  BOOST_TEST(risks(report, "bobs-post") == "needs_reauth");
  BOOST_TEST(risks(report, "alices-post").empty());
  // An account that does not exist is a risk too, with the plugin's words.
  BOOST_TEST(risks(report, "nobodys-post") == "account");
  BOOST_TEST(contains(json::serialize(item(report, "nobodys-post")), "carol"));
  const auto bob = account(report, "bob");
  BOOST_TEST(str(bob.at("status")) == "needs_reauth");
  BOOST_TEST(contains(str(bob.at("fix")), "threads.auth_url --account bob"));
  BOOST_TEST(bob.at("at_risk").as_int64() == 1);
  // Its quota is not asked for: the token would be refused, and its posts will not count.
  BOOST_TEST(bob.at("quota").is_null());
  BOOST_TEST(account(report, "alice").at("quota").at("checked").as_bool());

  auto table = c.cli({"status"});
  BOOST_TEST(table.exit_code == 0, table.err);
  BOOST_TEST(contains(table.out, "bob: autohost invoke threads.auth_url --account bob"));
  BOOST_TEST(contains(table.out, "needs_reauth"));
}

BOOST_AUTO_TEST_CASE(posts_beyond_the_quota_left_for_the_next_24_hours_are_at_risk) {
  Cli c;
  add_account(c, "alice", 0);
  control("POST", "/__sandbox/config", R"({"quota":{"posts":3}})");
  const auto first = c.ok("post", R"({"text":"already out"})", {"--account", "alice"});
  // One of three used: two of the four posts due within 24 h fit.
  for (int i = 1; i <= 4; ++i)
    schedule_post(c, "p" + std::to_string(i), "alice", i * 3600);
  schedule_post(c, "tomorrow", "alice", 30 * 3600);
  // A reply counts against the reply quota, which has room.
  schedule_post(c, "reply", "alice", 5 * 3600,
                R"({"text":"thanks","reply_to_id":")" + str(first.at("id")) + R"("})");

  const auto report = status(c);
  BOOST_TEST(risks(report, "p1").empty());
  BOOST_TEST(risks(report, "p2").empty());
  BOOST_TEST(risks(report, "p3") == "quota");
  BOOST_TEST(risks(report, "p4") == "quota");
  BOOST_TEST(risks(report, "reply").empty());
  BOOST_TEST(risks(report, "tomorrow").empty());
  BOOST_TEST(report.at("at_risk").as_array().size() == 2u);
  const json::object quota = account(report, "alice").at("quota").as_object();
  BOOST_TEST(quota.at("posts_used").as_int64() == 1);
  BOOST_TEST(quota.at("posts_limit").as_int64() == 3);
  BOOST_TEST(quota.at("posts_due_24h").as_int64() == 4);
  BOOST_TEST(quota.at("replies_due_24h").as_int64() == 1);
  BOOST_TEST(contains(json::serialize(item(report, "p3")), "1 of 3 posts used"));
}

BOOST_AUTO_TEST_CASE(a_quota_that_cannot_be_read_is_said_and_the_rest_is_reported) {
  Cli c;
  add_account(c, "alice", 0);
  schedule_post(c, "soon", "alice", 3600);
  // No network: the Graph API is unreachable (a closed port); token records are local.
  std::ofstream(c.home / "config.json")
      << R"({"plugins": {"threads": {"graph_base_url": "https://127.0.0.1:9", "ca_file": ")"
      << sandbox().ca_file << R"("}}})";
  const auto started = std::chrono::steady_clock::now();
  const auto report = status(c, {"--timeout", "5"});
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(60)));
  const auto alice = account(report, "alice");
  BOOST_TEST(str(alice.at("status")) == "active");
  BOOST_TEST(alice.at("quota").at("checked").as_bool() == false);
  BOOST_TEST(!str(alice.at("quota").at("error")).empty());
  BOOST_REQUIRE_EQUAL(report.at("problems").as_array().size(), 1u);
  BOOST_TEST(contains(str(report.at("problems").as_array()[0]),
                      "publishing quota of account 'alice' could not be checked"));
  BOOST_TEST(risks(report, "soon").empty());

  auto table = c.cli({"status", "--timeout", "5"});
  BOOST_TEST(table.exit_code == 0, table.err);
  BOOST_TEST(contains(table.out, "PROBLEMS"));
  BOOST_TEST(contains(table.out, "not checked"));
}

BOOST_AUTO_TEST_CASE(runs_that_need_attention_are_shown_with_their_error) {
  Cli c;
  add_account(c, "alice", 0);
  const std::string due = utc_in(3600);
  schedule_post_at(c, "launch", "alice", due);
  {
    // What a daemon does, through the library, on the same store: the run ends needing
    // attention.
    const fs::path file = c.home / "state/store.db";
    auto secrets = autohost::store::SqlSecretStore::open(autohost::store::SecretStoreOptions{
        file, autohost::store::KeySource{std::nullopt, c.home / "state/master.key"}});
    BOOST_REQUIRE(secrets);
    sched::ScheduleStoreOptions o;
    o.location = file;
    auto store = sched::ScheduleStore::open(o);
    BOOST_REQUIRE(store);
    auto written = sched::parse_written_time(due, "test");
    BOOST_REQUIRE(written);
    const auto at = sched::resolve_written_time(written.value(), *date::locate_zone("UTC"));
    BOOST_REQUIRE(store.value()->materialise_due(at));
    auto claim = store.value()->claim_next("test-daemon", at);
    BOOST_REQUIRE(claim && claim.value());
    BOOST_REQUIRE(store.value()->complete(
        *claim.value(),
        sched::RunResult{sched::RunStatus::needs_attention, "",
                         R"({"code":"auth_required","message":"re-authorise alice"})"},
        at + std::chrono::seconds(2)));
  }
  const auto report = status(c);
  const auto &attention = report.at("attention").as_array();
  BOOST_REQUIRE_EQUAL(attention.size(), 1u);
  BOOST_TEST(str(attention[0].at("status")) == "needs_attention");
  BOOST_TEST(str(attention[0].at("run")) == "launch@" + due.substr(0, 4) + due.substr(5, 2) +
                                                due.substr(8, 5) + due.substr(14, 2) +
                                                due.substr(17, 3));
  BOOST_TEST(str(attention[0].at("code")) == "auth_required");
  BOOST_TEST(str(attention[0].at("message")) == "re-authorise alice");
  BOOST_TEST(report.at("upcoming").as_array().empty()); // the one-shot has run

  auto table = c.cli({"status"});
  BOOST_TEST(table.exit_code == 0, table.err);
  BOOST_TEST(contains(table.out, "NEEDS ATTENTION (1)"));
  BOOST_TEST(contains(table.out, "re-authorise alice"));
}

BOOST_AUTO_TEST_CASE(pending_runs_are_upcoming_and_judged_too) {
  Cli c;
  add_account(c, "alice", 0);
  schedule_post(c, "late", "alice", 60);
  {
    const fs::path file = c.home / "state/store.db";
    auto secrets = autohost::store::SqlSecretStore::open(autohost::store::SecretStoreOptions{
        file, autohost::store::KeySource{std::nullopt, c.home / "state/master.key"}});
    BOOST_REQUIRE(secrets);
    sched::ScheduleStoreOptions o;
    o.location = file;
    auto store = sched::ScheduleStore::open(o);
    BOOST_REQUIRE(store);
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    BOOST_REQUIRE(store.value()->materialise_due(now + std::chrono::seconds(61)));
  }
  const auto report = status(c);
  const auto late = item(report, "late");
  BOOST_TEST(str(late.at("state")) == "pending");
  BOOST_TEST(contains(str(late.at("run")), "late@"));
  BOOST_TEST(account(report, "alice").at("quota").at("posts_due_24h").as_int64() == 1);
}

// A daily post would otherwise be seven rows a week, burying the one-shots: the table shows
// a recurring schedule once, at its next fire time, with how it repeats and how many more
// fall within the horizon; --json still lists every fire time under "upcoming" and sums
// each recurring schedule up under "recurring".
BOOST_AUTO_TEST_CASE(a_recurring_schedule_is_one_row_saying_how_many_more) {
  Cli c;
  add_account(c, "alice", 0);
  for (const auto &[id, when] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"daily", {"--cron", "0 9 * * *", "--tz", "Europe/Paris"}},
           {"twice-a-day", {"--every", "12h"}}}) {
    std::vector<std::string> args = {"schedule", "add",     "threads.post",
                                     "--id",     id,        "--account",
                                     "alice",    "--input", R"({"text":"post )" + id + R"("})"};
    args.insert(args.end(), when.begin(), when.end());
    auto r = c.cli(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  schedule_post(c, "launch", "alice", 2 * day_s, R"({"text":"launch day"})");

  const auto report = status(c);
  std::map<std::string, std::vector<std::string>> fires; // by schedule, in order
  for (const auto &i : report.at("upcoming").as_array())
    fires[str(i.at("schedule"))].push_back(str(i.at("at")));
  BOOST_TEST(fires["daily"].size() >= 7u);
  BOOST_TEST(fires["twice-a-day"].size() == 14u);
  BOOST_TEST(fires["launch"].size() == 1u);

  const auto &recurring = report.at("recurring").as_array();
  BOOST_REQUIRE_EQUAL(recurring.size(), 2u); // not the one-shot
  std::map<std::string, json::object> entry;
  for (const auto &r : recurring)
    entry[str(r.at("schedule"))] = r.as_object();
  BOOST_REQUIRE_EQUAL(entry.count("daily"), 1u);
  BOOST_REQUIRE_EQUAL(entry.count("twice-a-day"), 1u);
  BOOST_TEST(str(entry["daily"].at("repeats")) == "cron 0 9 * * *");
  BOOST_TEST(str(entry["daily"].at("time_zone")) == "Europe/Paris");
  BOOST_TEST(str(entry["twice-a-day"].at("repeats")) == "every 12h");
  for (const char *id : {"daily", "twice-a-day"}) {
    const auto &e = entry[id];
    BOOST_TEST(e.at("count").as_int64() == static_cast<std::int64_t>(fires[id].size()), id);
    BOOST_TEST(str(e.at("next")) == fires[id].front(), id);
    BOOST_TEST(str(e.at("last")) == fires[id].back(), id);
    BOOST_TEST(str(e.at("target")) == "threads.post");
    BOOST_TEST(str(e.at("account")) == "alice");
    BOOST_TEST(e.at("at_risk").as_int64() == 0);
  }
  BOOST_TEST(contains(str(entry["daily"].at("next_local")), "T09:00:00+0"));

  auto table = c.cli({"status"});
  BOOST_REQUIRE_MESSAGE(table.exit_code == 0, table.err);
  const auto total = fires["daily"].size() + fires["twice-a-day"].size() + 1;
  BOOST_TEST(contains(table.out, "UPCOMING (" + std::to_string(total) + ")"), table.out);
  std::map<std::string, int> rows; // lines naming each post
  std::istringstream lines(table.out);
  for (std::string line; std::getline(lines, line);) {
    for (const char *text : {"post daily", "post twice-a-day", "launch day"})
      rows[text] += contains(line, text) ? 1 : 0;
  }
  BOOST_TEST(rows["post daily"] == 1, table.out);
  BOOST_TEST(rows["post twice-a-day"] == 1, table.out);
  BOOST_TEST(rows["launch day"] == 1, table.out);
  BOOST_TEST(contains(table.out, "cron 0 9 * * * Europe/Paris, " +
                                     std::to_string(fires["daily"].size() - 1) +
                                     " more in the window"),
             table.out);
  BOOST_TEST(contains(table.out, "every 12h, 13 more in the window"), table.out);
}

BOOST_AUTO_TEST_CASE(an_unreadable_store_is_an_error) {
  Cli c;
  fs::create_directories(c.home / "state");
  std::ofstream(c.home / "state/store.db") << "this is not an SQLite database, not at all";
  auto r = c.cli({"status"});
  BOOST_TEST(r.exit_code == 11);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(contains(r.err, "store.db"));
  auto bad = c.cli({"status", "--horizon", "soon"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(contains(bad.err, "--horizon"));
}

BOOST_AUTO_TEST_CASE(the_example_calendar_imports_and_imports_again_unchanged) {
  Cli c;
  const std::string file = required_env("EXAMPLE_CALENDAR");
  auto dry = c.cli({"schedule", "import", file, "--dry-run"});
  BOOST_REQUIRE_MESSAGE(dry.exit_code == 0, dry.err);
  const auto entries = json::parse(dry.out).at("entries").as_array();
  BOOST_TEST(entries.size() >= 5u);

  auto first = c.cli({"schedule", "import", file});
  BOOST_REQUIRE_MESSAGE(first.exit_code == 0, first.err);
  const auto made = json::parse(first.out).as_object();
  // One-shots whose time has passed (the file has fixed dates) are reported, not imported.
  BOOST_TEST(made.at("created").as_array().size() + made.at("past").as_array().size() ==
             entries.size());
  BOOST_TEST(made.at("refused").as_array().empty());

  auto again = c.cli({"schedule", "import", file});
  BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.err);
  const auto same = json::parse(again.out).as_object();
  BOOST_TEST(same.at("created").as_array().empty());
  BOOST_TEST(same.at("updated").as_array().empty());
  BOOST_TEST(same.at("unchanged").as_array().size() == made.at("created").as_array().size());

  // And status reads what it made (no account exists: the posts are at risk, said why).
  auto table = c.cli({"status", "--horizon", "3650d"});
  BOOST_TEST(table.exit_code == 0, table.err);
}

BOOST_AUTO_TEST_CASE(every_post_in_the_example_calendar_is_accepted_by_the_sandbox) {
  Cli c;
  add_account(c, "alice", 0);
  control("POST", "/__sandbox/container_delays", R"({"TEXT":0,"IMAGE":0,"CAROUSEL":0})");
  const auto first = c.ok("post", R"({"text":"the post replies answer"})");
  std::ifstream in(required_env("EXAMPLE_CALENDAR"));
  std::stringstream text;
  text << in.rdbuf();
  const auto calendar = json::parse(text.str()).as_object();
  int posted = 0;
  for (const auto &e : calendar.at("posts").as_array()) {
    const auto &entry = e.as_object();
    if (entry.contains("action") || entry.contains("job"))
      continue; // not a post
    json::object input = entry.contains("input") ? entry.at("input").as_object()
                                                 : json::object{{"text", entry.at("text")}};
    // The file's reply names a post of the reader's; here it answers one that exists.
    if (input.contains("reply_to_id"))
      input["reply_to_id"] = first.at("id");
    auto r = c.invoke("post", json::serialize(input));
    BOOST_TEST(r.exit_code == 0, "posting " << json::serialize(entry) << ": " << r.err);
    ++posted;
  }
  BOOST_TEST(posted >= 5);
  BOOST_TEST(control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64() ==
             posted + 1);
}
