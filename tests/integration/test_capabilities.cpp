// A plugin other than Threads, with its own action names, gets `autohost status` rows and
// calendar defaults through the capabilities its manifest declares: the real autohost
// binary, the bulletin test plugin, a real store.
#define BOOST_TEST_MODULE capabilities
#include <boost/test/unit_test.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <ctime>

using namespace autohost::test;
namespace json = boost::json;

namespace {

// "2026-05-04T09:00:00Z", `from_now_s` seconds from now.
std::string utc_in(std::int64_t from_now_s) {
  const std::time_t t = std::time(nullptr) + from_now_s;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Bulletin {
  TempDir home;

  ProcessResult cli(std::vector<std::string> args, std::string stdin_text = {}) {
    ProcessOptions o;
    o.stdin_text = std::move(stdin_text);
    o.env = {{"HOME", home.path().string()},
             {"AUTOHOST_STATE_DIR", (home / "state").string()},
             {"AUTOHOST_PLUGIN_PATH", required_env("BULLETIN_PLUGIN_DIR")},
             {"XDG_CONFIG_HOME", std::nullopt},
             {"XDG_STATE_HOME", std::nullopt},
             {"AUTOHOST_CONFIG", std::nullopt},
             {"AUTOHOST_STORE", std::nullopt},
             {"AUTOHOST_MASTER_KEY", std::nullopt},
             {"AUTOHOST_MASTER_KEY_FILE", std::nullopt},
             {"AUTOHOST_LOG_LEVEL", std::nullopt}};
    return run_process(required_env("AUTOHOST_BIN"), args, o);
  }
  void secret(const std::string &key, const std::string &value) {
    auto r = cli({"secrets", "set", key}, value);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  void announce(const std::string &id, const std::string &account, std::int64_t in_s) {
    auto r = cli({"schedule", "add", "bulletin.announce", "--id", id, "--at", utc_in(in_s), "--tz",
                  "UTC", "--account", account, "--input", R"({"text":"hello"})"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  json::object status() {
    auto r = cli({"status", "--json"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return json::parse(r.out).as_object();
  }
};

std::string risks_of(const json::object &report, const std::string &schedule) {
  for (const auto &i : report.at("upcoming").as_array()) {
    if (i.at("schedule").as_string() != schedule)
      continue;
    std::string out;
    for (const auto &r : i.at("risks").as_array())
      out += (out.empty() ? "" : ",") + std::string(r.at("risk").as_string());
    return out;
  }
  BOOST_FAIL("no upcoming item for " + schedule);
  return {};
}

} // namespace

BOOST_FIXTURE_TEST_CASE(status_asks_the_declared_actions_of_a_second_plugin, Bulletin) {
  secret("bulletin/accounts/ann",
         R"({"status":"active","expires_at":")" + utc_in(30 * 86400) + "\"}");
  secret("bulletin/accounts/bob",
         R"({"status":"signed_out","expires_at":")" + utc_in(86400) + "\"}");
  secret("bulletin/accounts/cy", R"({"status":"active","expires_at":")" + utc_in(3600) + "\"}");
  secret("bulletin/quota/ann", R"({"used":9,"limit":10})");
  announce("ann-1", "ann", 600);
  announce("ann-2", "ann", 1200); // beyond the one announcement left today
  announce("bob-1", "bob", 600);
  announce("cy-1", "cy", 7200); // after cy's sign-in expires

  const json::object report = status();
  std::map<std::string, json::object> accounts;
  for (const auto &a : report.at("accounts").as_array())
    accounts[std::string(a.at("account").as_string())] = a.as_object();
  BOOST_TEST_REQUIRE(accounts.size() == 3u, json::serialize(report));
  BOOST_TEST(accounts.at("ann").at("plugin").as_string() == "bulletin");
  BOOST_TEST(accounts.at("bob").at("status").as_string() == "signed_out");
  const json::object &quota = accounts.at("ann").at("quota").as_object();
  BOOST_TEST(quota.at("checked").as_bool());
  BOOST_TEST(quota.at("posts_used").as_int64() == 9);
  BOOST_TEST(quota.at("posts_limit").as_int64() == 10);
  BOOST_TEST(quota.at("posts_due_24h").as_int64() == 2);

  BOOST_TEST(risks_of(report, "ann-1") == "");
  BOOST_TEST(risks_of(report, "ann-2") == "quota");
  BOOST_TEST(risks_of(report, "bob-1") == "needs_reauth");
  BOOST_TEST(risks_of(report, "cy-1") == "expires_before");
  BOOST_TEST(report.at("at_risk").as_array().size() == 3u);
  BOOST_TEST(report.at("problems").as_array().empty(), json::serialize(report.at("problems")));
}

BOOST_FIXTURE_TEST_CASE(a_calendar_defaults_to_the_only_publishing_plugin, Bulletin) {
  const std::string calendar =
      R"({"tz": "UTC", "posts": [{"id": "news", "at": ")" + utc_in(3600) + R"(", "text": "hi"}]})";
  auto r = cli({"schedule", "import", "-"}, calendar);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  auto shown = cli({"schedule", "show", "news"});
  BOOST_REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
  BOOST_TEST(shown.out.find("bulletin.announce") != std::string::npos, shown.out);
}
