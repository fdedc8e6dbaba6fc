// The token lifecycle end to end against the sandbox: OAuth onboarding, short-to-long
// import, the refresh job's decisions on a simulated clock, every failure class, in-action
// recovery from a rejected token (401 and 400 forms), two sweeps at once, and a simulated year.
#define BOOST_TEST_MODULE tokens
#include "sanitizer.hpp"
#include "token_world.hpp"

#include <thread>

using namespace token_test;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

std::string str(const json::value &v) { return std::string(v.as_string()); }
std::int64_t num(const json::object &o, const char *key) { return o.at(key).as_int64(); }

// An account whose token Meta issued `age_s` seconds ago.
std::string add_account(Cli &c, const std::string &account, std::int64_t age_s,
                        const std::string &user = "threadsapitestuser") {
  const std::string token =
      c.issue(R"({"username":")" + user + R"(","age_s":)" + std::to_string(age_s) + "}");
  c.import(account, token, true);
  return token;
}

} // namespace

BOOST_AUTO_TEST_SUITE(onboarding)

BOOST_AUTO_TEST_CASE(auth_url_and_exchange_code_store_a_long_lived_token) {
  Cli c;
  c.register_app();
  const std::string redirect = c.authorise("alice");
  BOOST_TEST(contains(redirect, "#_"));
  BOOST_TEST(contains(redirect, "state="));
  const auto summary = c.ok("exchange_code", json::serialize(json::object{{"code", redirect}}));
  BOOST_TEST(str(summary.at("account")) == "alice");
  BOOST_TEST(str(summary.at("app")) == "default");
  BOOST_TEST(str(summary.at("user_id")) == "17841400000000001");
  BOOST_TEST(str(summary.at("username")) == "threadsapitestuser");
  BOOST_TEST(str(summary.at("kind")) == "long");
  BOOST_TEST(num(summary, "expires_in_s") > 5'180'000);
  BOOST_TEST(!summary.contains("access_token"));
  BOOST_TEST(sandbox_stat("exchange") == 1);
  const auto record = c.record("alice");
  BOOST_TEST(token_check(str(record.at("access_token"))) == "ok");
  BOOST_TEST(str(record.at("app")) == "default");
  BOOST_TEST(c.ok("profile", "{}").at("username").as_string() == "threadsapitestuser");

  // The state was used up: the same redirect again is refused, and nothing changes.
  auto again = c.invoke("exchange_code", json::serialize(json::object{{"code", redirect}}));
  BOOST_TEST(again.exit_code == 3);
  BOOST_TEST(str(Cli::error_of(again).at("code")) == "state_mismatch");
  BOOST_TEST(c.stored_token("alice") == str(record.at("access_token")));
}

BOOST_AUTO_TEST_CASE(state_is_checked_and_a_bare_code_finds_its_authorisation) {
  Cli c;
  c.register_app();
  // A redirect with a state this host never issued (a forged or foreign redirect).
  const std::string genuine = c.authorise("alice");
  std::string forged = genuine;
  forged.replace(forged.find("state=") + 6, 4, "XXXX");
  auto refused = c.invoke("exchange_code", json::serialize(json::object{{"code", forged}}));
  BOOST_TEST(refused.exit_code == 3);
  BOOST_TEST(str(Cli::error_of(refused).at("code")) == "state_mismatch");
  BOOST_TEST(contains(refused.err, "threads.auth_url"));
  BOOST_TEST(sandbox_stat("oauth") == 1); // only the browser's authorize request

  // The bare code (with its #_) and no state: the one pending authorisation is used.
  const auto code_at = genuine.find("code=") + 5;
  const std::string code = genuine.substr(code_at, genuine.find('&', code_at) - code_at) + "#_";
  const auto summary = c.ok("exchange_code", json::serialize(json::object{{"code", code}}));
  BOOST_TEST(str(summary.at("account")) == "alice");

  // The user cancels in the browser.
  const std::string denied = c.authorise("bob", "&sandbox_deny=true");
  auto cancelled = c.invoke("exchange_code", json::serialize(json::object{{"code", denied}}));
  BOOST_TEST(cancelled.exit_code == 5);
  BOOST_TEST(str(Cli::error_of(cancelled).at("code")) == "access_denied");
  BOOST_TEST(c.cli({"secrets", "get", "threads/accounts/bob"}).exit_code == 4);

  // Nothing pending any more.
  auto none = c.invoke("exchange_code", R"({"code":"AQDsomething#_"})");
  BOOST_TEST(none.exit_code == 3);
  BOOST_TEST(str(Cli::error_of(none).at("code")) == "no_pending_authorisation");
}

BOOST_AUTO_TEST_CASE(a_failed_long_lived_exchange_stores_nothing_and_says_why) {
  Cli c;
  c.register_app();
  sbx::add_fault(sandbox(), R"({"group":"exchange","mode":"graph_error","code":100,
    "message":"Invalid parameter"})");
  auto r = c.invoke("exchange_code", json::serialize(json::object{{"code", c.authorise("alice")}}));
  BOOST_TEST(r.exit_code == 3, r.err);
  BOOST_TEST(contains(r.err, "exchanging the short-lived token for a long-lived one failed"));
  BOOST_TEST(contains(r.err, "nothing was stored"));
  BOOST_TEST(c.cli({"secrets", "get", "threads/accounts/alice"}).exit_code == 4);

  sbx::add_fault(sandbox(), R"({"group":"exchange","mode":"http_503","count":5})");
  auto transient =
      c.invoke("exchange_code", json::serialize(json::object{{"code", c.authorise("alice")}}));
  BOOST_TEST(transient.exit_code == 6, transient.err);
  BOOST_TEST(contains(transient.err, "nothing was stored"));
  BOOST_TEST(c.cli({"secrets", "list", "threads/accounts/"}).out.find("alice") ==
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_app_pair_errors_say_which_credentials_to_use) {
  Cli c;
  c.register_app();
  const std::string redirect = c.authorise("alice");
  // The Facebook app id instead of the Threads one (sandbox: 1349026 "No application data").
  c.register_app("2000000000000002", sandbox_app_secret, true);
  auto wrong_id = c.invoke("exchange_code", json::serialize(json::object{{"code", redirect}}));
  BOOST_TEST(wrong_id.exit_code == 3, wrong_id.err);
  BOOST_TEST(contains(wrong_id.err, "use the Threads app id and secret, not the Facebook ones"));

  // The Facebook secret with the Threads id.
  c.register_app(sandbox_app_id, "facebook-app-secret", true);
  c.secrets.insert("facebook-app-secret");
  auto wrong_secret =
      c.invoke("exchange_code", json::serialize(json::object{{"code", c.authorise("alice")}}));
  BOOST_TEST(wrong_secret.exit_code == 3, wrong_secret.err);
  BOOST_TEST(contains(wrong_secret.err, "not the Facebook ones"));

  // 4476002, the other code Meta uses for the mix-up.
  c.register_app(sandbox_app_id, sandbox_app_secret, true);
  const std::string third = c.authorise("alice");
  sbx::add_fault(sandbox(), R"({"group":"oauth","mode":"graph_error","code":4476002,
    "message":"Invalid application"})");
  auto other = c.invoke("exchange_code", json::serialize(json::object{{"code", third}}));
  BOOST_TEST(other.exit_code == 3, other.err);
  BOOST_TEST(contains(other.err, "use the Threads app id and secret, not the Facebook ones"));
  BOOST_TEST(c.cli({"secrets", "get", "threads/accounts/alice"}).exit_code == 4);
}

BOOST_AUTO_TEST_CASE(a_short_lived_token_is_exchanged_when_imported) {
  Cli c;
  const std::string short_token = c.issue(R"({"kind":"short"})");
  auto no_app =
      c.invoke("import_token", R"({"account":"alice","access_token":")" + short_token + R"("})");
  BOOST_TEST(no_app.exit_code == 3);
  BOOST_TEST(contains(no_app.err, "short-lived"));
  BOOST_TEST(contains(no_app.err, "threads.register_app"));

  c.register_app(sandbox_app_id, "facebook-app-secret");
  c.secrets.insert("facebook-app-secret");
  auto wrong_secret =
      c.invoke("import_token", R"({"account":"alice","access_token":")" + short_token + R"("})");
  BOOST_TEST(wrong_secret.exit_code == 3);
  BOOST_TEST(contains(wrong_secret.err, "not the Facebook ones"), wrong_secret.err);
  BOOST_TEST(contains(wrong_secret.err, "nothing was stored"));

  c.register_app(sandbox_app_id, sandbox_app_secret, true);
  const auto summary = c.import("alice", short_token);
  BOOST_TEST(summary.at("exchanged").as_bool());
  BOOST_TEST(str(summary.at("kind")) == "long");
  BOOST_TEST(num(summary, "expires_in_s") > 5'180'000);
  const std::string stored = c.stored_token("alice");
  BOOST_TEST(stored != short_token);
  BOOST_TEST(token_check(stored) == "ok");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(refresh_job)

// The decision at each age after issue, through the real job and both clocks.
BOOST_AUTO_TEST_CASE(decision_table_on_the_sandbox_clock) {
  struct Row {
    double age_days;
    const char *outcome; // refreshed, skipped or needs_reauth
  };
  const std::vector<Row> rows = {
      {0, "skipped"},       {1.0 / 24, "skipped"}, {23.0 / 24, "skipped"}, {25.0 / 24, "skipped"},
      {30.01, "refreshed"}, {59, "refreshed"},     {61, "needs_reauth"}};
  for (const auto &row : rows) {
    Cli c;
    const std::string token = add_account(c, "alice", 0);
    c.set_clock_days(row.age_days);
    const auto report = c.job();
    const std::string label = "age " + std::to_string(row.age_days) + " d";
    BOOST_TEST(num(report, row.outcome) == 1, label);
    BOOST_TEST(num(report, "failed") == 0, label);
    const auto record = c.record("alice");
    if (std::string(row.outcome) == "refreshed") {
      BOOST_TEST(str(record.at("access_token")) != token, label);
      BOOST_TEST(str(record.at("previous_token")) == token, label);
      BOOST_TEST(token_check(str(record.at("access_token"))) == "ok", label);
      BOOST_TEST(sandbox_stat("refresh") == 1, label);
    } else if (std::string(row.outcome) == "skipped") {
      BOOST_TEST(str(record.at("access_token")) == token, label);
      BOOST_TEST(token_check(token) == "ok", label);
      BOOST_TEST(sandbox_stat("refresh") == 0, label);
    } else {
      BOOST_TEST(str(record.at("status")) == "needs_reauth", label);
      BOOST_TEST(sandbox_stat("refresh") == 0, label); // never tried
      BOOST_TEST(token_check(token) == "expired", label);
      BOOST_TEST(contains(c.all_output, "threads.auth_url --account alice"), label);
    }
  }
  // With the widest window a token is refreshed as soon as Meta allows: 24 h is the line.
  Cli wide(R"(, "refresh_window_days": 59)");
  add_account(wide, "alice", 0);
  wide.set_clock_days(23.0 / 24);
  BOOST_TEST(num(wide.job(), "skipped") == 1);
  wide.set_clock_days(25.0 / 24);
  BOOST_TEST(num(wide.job(), "refreshed") == 1);
}

BOOST_AUTO_TEST_CASE(each_failure_class) {
  struct Case {
    const char *fault;
    const char *outcome;
  };
  const std::vector<Case> cases = {
      {R"({"group":"refresh","mode":"http_503","count":9})", "failed"},
      {R"({"group":"refresh","mode":"http_500","count":9})", "failed"},
      {R"({"group":"refresh","mode":"reset","count":9})", "failed"},
      {R"({"group":"refresh","mode":"truncated","count":9})", "failed"},
      {R"({"group":"refresh","mode":"malformed_json"})", "failed"},
      {R"({"group":"refresh","mode":"http_429","retry_after_s":0,"count":9})", "failed"},
      {R"({"group":"refresh","mode":"graph_error","code":1,"is_transient":true,"count":9})",
       "failed"},
      {R"({"group":"refresh","mode":"graph_error","code":4,"message":"Application request limit reached"})",
       "failed"},
      {R"({"group":"refresh","mode":"graph_error","http_status":401,"code":190,"error_subcode":460,
          "message":"Error validating access token: the user changed the password"})",
       "needs_reauth"},
      {R"({"group":"refresh","mode":"graph_error","http_status":401,"code":190,"error_subcode":463,
          "message":"Error validating access token: Session has expired"})",
       "needs_reauth"},
      {R"({"group":"refresh","mode":"graph_error","code":10,"http_status":403,
          "message":"Application does not have permission"})",
       "needs_reauth"},
      {R"({"group":"refresh","mode":"graph_error","code":100,"message":"Invalid parameter"})",
       "needs_reauth"},
  };
  for (const auto &k : cases) {
    Cli c;
    const std::string token = add_account(c, "alice", 31 * day_s);
    sbx::add_fault(sandbox(), k.fault);
    const auto report = c.job();
    BOOST_TEST(num(report, k.outcome) == 1, k.fault);
    const auto record = c.record("alice");
    BOOST_TEST(str(record.at("access_token")) == token, k.fault); // kept either way
    BOOST_TEST(str(record.at("refresh_claimant")).empty(), k.fault);
    if (std::string(k.outcome) == "failed") {
      BOOST_TEST(str(record.at("status")) == "active", k.fault);
      BOOST_TEST(contains(str(record.at("last_refresh_error")), "temporary"), k.fault);
      // The next run tries again, and succeeds once the fault is gone.
      control("DELETE", "/__sandbox/faults");
      BOOST_TEST(num(c.job(), "refreshed") == 1, k.fault);
    } else {
      BOOST_TEST(str(record.at("status")) == "needs_reauth", k.fault);
      BOOST_TEST(contains(c.all_output, "needs re-authorisation"), k.fault);
      // Said once; later runs count it without sending anything or warning again.
      const auto refreshes = sandbox_stat("refresh");
      const std::size_t warned = c.all_output.size();
      const auto later = c.job();
      BOOST_TEST(num(later, "needs_reauth") == 1, k.fault);
      BOOST_TEST(sandbox_stat("refresh") == refreshes, k.fault);
      BOOST_TEST(!contains(c.all_output.substr(warned), "Threads account needs re-authorisation"),
                 k.fault);
      auto action = c.invoke("profile", "{}");
      BOOST_TEST(action.exit_code == 5, k.fault);
      BOOST_TEST(contains(action.err, "threads.auth_url --account alice"), k.fault);
    }
  }
}

BOOST_AUTO_TEST_CASE(two_sweeps_at_once_refresh_each_account_exactly_once) {
  Cli c(R"(, "refresh_concurrency": 4)");
  control("POST", "/__sandbox/config", R"({"revoke_on_refresh":true})");
  constexpr int accounts = 24;
  for (int i = 0; i < accounts; ++i)
    add_account(c, "acct" + std::to_string(i), 31 * day_s);
  ProcessResult a, b;
  const auto env = c.env();
  auto run = [&](ProcessResult &out) {
    ProcessOptions o;
    o.env = env;
    out = run_process(required_env("AUTOHOST_BIN"), {"job", "threads.refresh_tokens"}, o);
  };
  std::thread first(run, std::ref(a));
  std::thread second(run, std::ref(b));
  first.join();
  second.join();
  c.all_output += a.out + a.err + b.out + b.err;
  BOOST_REQUIRE_MESSAGE(a.exit_code == 0, a.err);
  BOOST_REQUIRE_MESSAGE(b.exit_code == 0, b.err);
  const auto ra = json::parse(a.out).as_object();
  const auto rb = json::parse(b.out).as_object();
  BOOST_TEST(num(ra, "refreshed") + num(rb, "refreshed") == accounts);
  BOOST_TEST(num(ra, "failed") + num(rb, "failed") == 0);
  BOOST_TEST(num(ra, "needs_reauth") + num(rb, "needs_reauth") == 0);
  // Single-flight: with revoke-on-refresh a second refresh of one token would have killed it.
  BOOST_TEST(sandbox_stat("refresh") == accounts);
  for (int i = 0; i < accounts; ++i) {
    const auto record = c.record("acct" + std::to_string(i));
    BOOST_TEST(str(record.at("status")) == "active");
    BOOST_TEST(token_check(str(record.at("access_token"))) == "ok");
  }
}

BOOST_AUTO_TEST_CASE(jobs_are_listed_and_run_from_the_cli) {
  Cli c;
  auto listed = c.cli({"jobs"});
  BOOST_TEST(listed.exit_code == 0);
  BOOST_TEST(contains(listed.out, "threads.refresh_tokens"));
  BOOST_TEST(contains(listed.out, "0 */6 * * *"));
  auto as_json = c.cli({"jobs", "--json"});
  const auto jobs = json::parse(as_json.out).as_array();
  BOOST_REQUIRE_EQUAL(jobs.size(), 1u);
  BOOST_TEST(str(jobs[0].at("plugin")) == "threads");
  BOOST_TEST(str(jobs[0].at("default_schedule")) == "0 */6 * * *");
  BOOST_TEST(c.cli({"job", "threads.nonesuch"}).exit_code == 4);
  BOOST_TEST(c.cli({"job", "nodot"}).exit_code == 2);
  BOOST_TEST(c.cli({"jobs", "nonesuch"}).exit_code == 4);
  const auto empty = c.job();
  BOOST_TEST(num(empty, "accounts") == 0);
  c.clock_offset_s = 0;
  ProcessOptions o;
  o.env = c.env();
  o.env["AUTOHOST_TEST_CLOCK_OFFSET_S"] = "soon";
  auto bad = run_process(required_env("AUTOHOST_BIN"), {"job", "threads.refresh_tokens"}, o);
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(contains(bad.err, "AUTOHOST_TEST_CLOCK_OFFSET_S"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(actions)

BOOST_AUTO_TEST_CASE(refresh_token_and_token_status) {
  Cli c;
  const std::string token = add_account(c, "alice", 0);
  auto young = c.invoke("refresh_token", "{}");
  BOOST_TEST(young.exit_code == 6);
  BOOST_TEST(str(Cli::error_of(young).at("code")) == "too_young_to_refresh");
  BOOST_TEST(Cli::error_of(young).at("retry_after_s").as_int64() > 80'000);

  auto status = c.ok("token_status", R"({"scheduled":[0, "2999-01-01T00:00:00Z"]})");
  // Numbers print plainly: 30, not 3E1 (which parses as a double).
  BOOST_TEST(status.at("refresh_window_days").is_int64());
  BOOST_TEST(status.at("refresh_window_days").to_number<double>() == 30);
  const auto &alice = status.at("accounts").as_array()[0].as_object();
  BOOST_TEST(str(alice.at("status")) == "active");
  BOOST_TEST(str(alice.at("next")) == "wait");
  BOOST_TEST(str(alice.at("reason")) == "too_young");
  BOOST_TEST(alice.at("expires_in_s").as_int64() > 5'180'000);
  BOOST_TEST(alice.at("at_risk").as_int64() == 1); // the far-future item, after expiry
  BOOST_TEST(str(alice.at("scheduled").as_array()[1].at("risk")) == "expires_before");
  // A time past year 9999 is refused, naming the item (it overflowed the milliseconds).
  for (const char *input : {R"({"scheduled":[17900001790000000]})", R"({"scheduled":[1, -5]})",
                            R"({"scheduled":[1e300]})"}) {
    auto far = c.invoke("token_status", input);
    BOOST_TEST(far.exit_code == 3, input);
    BOOST_TEST(contains(far.err, "scheduled["), far.err);
  }

  c.set_clock_days(2);
  const auto refreshed = c.ok("refresh_token", "{}", {"--account", "alice"});
  BOOST_TEST(str(refreshed.at("outcome")) == "refreshed");
  BOOST_TEST(c.stored_token("alice") != token);
  BOOST_TEST(token_check(c.stored_token("alice")) == "ok");

  c.set_clock_days(70);
  auto dead = c.invoke("refresh_token", "{}");
  BOOST_TEST(dead.exit_code == 5);
  BOOST_TEST(contains(dead.err, "threads.auth_url --account alice"));
  const auto after = c.ok("token_status", "{}");
  BOOST_TEST(str(after.at("accounts").as_array()[0].at("status")) == "needs_reauth");
  BOOST_TEST(str(after.at("accounts").as_array()[0].at("next")) == "reauthorise");
  const auto risk = c.ok("token_status", R"({"scheduled":["2030-01-01T00:00:00Z"]})");
  BOOST_TEST(str(risk.at("accounts").as_array()[0].at("scheduled").as_array()[0].at("risk")) ==
             "needs_reauth");
}

BOOST_AUTO_TEST_CASE(a_rejected_token_is_refreshed_once_and_the_read_retried) {
  Cli c;
  const std::string token = add_account(c, "alice", 2 * day_s);
  sbx::add_fault(sandbox(), R"({"group":"read","mode":"graph_error","http_status":401,"code":190,
    "error_subcode":463,"message":"Error validating access token: Session has expired"})");
  BOOST_TEST(c.ok("profile", "{}").at("username").as_string() == "threadsapitestuser");
  BOOST_TEST(sandbox_stat("refresh") == 1);
  const auto record = c.record("alice");
  BOOST_TEST(str(record.at("access_token")) != token);
  // The new token worked, so the old one is gone.
  BOOST_TEST(str(record.at("previous_token")).empty());

  // A post: the container creation is retried after the refresh...
  c.set_clock_days(4);
  sbx::add_fault(sandbox(), R"({"group":"create","mode":"graph_error","http_status":401,"code":190,
    "message":"Error validating access token"})");
  BOOST_TEST(!c.ok("post", R"({"text":"after a refresh"})").at("id").as_string().empty());
  BOOST_TEST(sandbox_stat("refresh") == 2);
  BOOST_TEST(control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64() == 1);

  // ...but a publish request that was answered is never sent again.
  c.set_clock_days(6);
  sbx::add_fault(sandbox(), R"({"group":"publish","mode":"graph_error","http_status":401,"code":190,
    "message":"Error validating access token"})");
  auto refused = c.invoke("post", R"({"text":"refused at publish"})", {"--idempotency-key", "k1"});
  BOOST_TEST(refused.exit_code == 5, refused.err);
  BOOST_TEST(contains(refused.err, "threads.auth_url --account alice"));
  BOOST_TEST(sandbox_stat("refresh") == 2);
  BOOST_TEST(control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64() == 1);
  // The same key later publishes it once.
  BOOST_TEST(!c.ok("post", R"({"text":"refused at publish"})", {"--idempotency-key", "k1"})
                  .at("id")
                  .as_string()
                  .empty());
  BOOST_TEST(control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64() == 2);
}

// Meta also sends the expired-token error (190) with HTTP 400, not only 401: it must be
// recognised as a rejected token, refreshed once, and the request retried.
BOOST_AUTO_TEST_CASE(a_token_rejected_with_400_and_code_190_is_refreshed_and_the_call_retried) {
  Cli c;
  const std::string token = add_account(c, "alice", 2 * day_s);
  sbx::add_fault(sandbox(), R"({"group":"read","mode":"expired_token","http_status":400})");
  BOOST_TEST(c.ok("profile", "{}").at("username").as_string() == "threadsapitestuser");
  BOOST_TEST(sandbox_stat("refresh") == 1);
  BOOST_TEST(str(c.record("alice").at("access_token")) != token);

  c.set_clock_days(4);
  sbx::add_fault(sandbox(), R"({"group":"create","mode":"expired_token","http_status":400})");
  BOOST_TEST(!c.ok("post", R"({"text":"after a 400 190"})").at("id").as_string().empty());
  BOOST_TEST(sandbox_stat("refresh") == 2);
  BOOST_TEST(control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64() == 1);
  BOOST_TEST(token_check(str(c.record("alice").at("access_token"))) == "ok");
}

BOOST_AUTO_TEST_SUITE_END()

// Done when: an onboarded account stays valid across a simulated year with the job on
// its schedule. Runs every 6 h are simulated at every 3rd day (11 runs missed in a row
// each time, far fewer than the window tolerates), which keeps the suite fast; every 6th
// day under AddressSanitizer, where each run's process (loading the instrumented plugin)
// costs most of a second.
constexpr int year_step_days = address_sanitizer ? 6 : 3;
BOOST_AUTO_TEST_CASE(an_onboarded_account_stays_valid_for_a_simulated_year) {
  Cli c;
  c.register_app();
  c.ok("exchange_code", json::serialize(json::object{{"code", c.authorise("alice")}}));
  int refreshed = 0;
  for (int day = year_step_days; day <= 366; day += year_step_days) {
    c.set_clock_days(day);
    const auto report = c.job();
    BOOST_REQUIRE_MESSAGE(num(report, "needs_reauth") == 0 && num(report, "failed") == 0,
                          "day " + std::to_string(day) + ": " + json::serialize(report));
    refreshed += static_cast<int>(num(report, "refreshed"));
  }
  BOOST_TEST(refreshed >= 11); // about once a month
  BOOST_TEST(refreshed <= 14);
  BOOST_TEST(token_check(c.stored_token("alice")) == "ok");
  BOOST_TEST(c.ok("profile", "{}").at("username").as_string() == "threadsapitestuser");
}
