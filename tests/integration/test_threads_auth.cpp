// Onboarding against the sandbox as Threads really answers: debug_token without an app_id,
// apps in development mode that answer only their app token, tokens imported without naming
// their app, and granted scopes - checked at onboarding and before an action sends anything.
#define BOOST_TEST_MODULE threads_auth
#include "token_world.hpp"

#include <algorithm>

using namespace token_test;

namespace {

// The sandbox knows two apps; the plugin is told about one, the other, or both.
constexpr const char *second_app_id = "1000000000000002";
constexpr const char *second_app_secret = "second-app-secret";

struct TwoApps : World {
  TwoApps()
      : World({"--app", std::string(sandbox_app_id) + ":" + sandbox_app_secret, "--app",
               std::string(second_app_id) + ":" + second_app_secret}) {}
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(TwoApps);

namespace {

std::string str(const json::value &v) { return std::string(v.as_string()); }

std::vector<std::string> strings(const json::value &v) {
  std::vector<std::string> out;
  for (const auto &s : v.as_array())
    out.emplace_back(s.as_string());
  return out;
}

bool has(const std::vector<std::string> &list, const std::string &item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void dev_mode(bool on) {
  control("POST", "/__sandbox/config",
          std::string(R"({"apps_in_dev_mode":)") + (on ? "true" : "false") + "}");
}

bool account_exists(Cli &c, const std::string &account) {
  return c.cli({"secrets", "get", "threads/accounts/" + account}).exit_code == 0;
}

// A second registered app: another Threads app of the same developer.
void register_other_app(Cli &c) {
  c.ok("register_app", json::serialize(json::object{{"app", "other"},
                                                    {"app_id", second_app_id},
                                                    {"app_secret", second_app_secret},
                                                    {"redirect_uri", "https://other.example/cb"}}));
  c.secrets.insert(second_app_secret);
}

} // namespace

BOOST_AUTO_TEST_SUITE(import_without_app)

// Threads' debug_token names no app_id, and a development-mode app answers debug_token only
// when asked with its app token: with one registered app, a short-lived token is checked
// and exchanged through it.
BOOST_AUTO_TEST_CASE(a_short_token_uses_the_only_registered_app) {
  Cli c;
  dev_mode(true);
  c.register_app();
  const std::string token = c.issue(R"({"kind":"short"})");
  const auto out = c.ok("import_token", R"({"account":"alice","access_token":")" + token + "\"}");
  BOOST_TEST(out.at("exchanged").as_bool());
  BOOST_TEST(str(out.at("app")) == "default");
  BOOST_TEST(str(out.at("kind")) == "long");
  BOOST_TEST(c.stored_token("alice") != token);
  BOOST_TEST(sandbox_stat("exchange") == 1);
}

BOOST_AUTO_TEST_CASE(several_apps_ask_which_one_and_store_nothing) {
  Cli c;
  c.register_app();
  register_other_app(c);
  const std::string token = c.issue(R"({"kind":"short"})");
  auto r = c.invoke("import_token", R"({"account":"alice","access_token":")" + token + "\"}");
  BOOST_TEST_REQUIRE(r.exit_code == 3, r.err);
  const auto e = Cli::error_of(r);
  BOOST_TEST(str(e.at("field")) == "app");
  BOOST_TEST(contains(str(e.at("message")), "default, other"), r.err);
  BOOST_TEST(!contains(r.err, "no Threads app is registered"), r.err);
  BOOST_TEST(!account_exists(c, "alice"));

  const auto out = c.ok("import_token",
                        R"({"account":"alice","app":"default","access_token":")" + token + "\"}");
  BOOST_TEST(out.at("exchanged").as_bool());
  BOOST_TEST(str(out.at("app")) == "default");
}

// In development mode with several apps, even the check needs the app's name.
BOOST_AUTO_TEST_CASE(dev_mode_with_several_apps_asks_which_one) {
  Cli c;
  dev_mode(true);
  c.register_app();
  register_other_app(c);
  const std::string token = c.issue();
  auto r = c.invoke("import_token", R"({"account":"alice","access_token":")" + token + "\"}");
  BOOST_TEST_REQUIRE(r.exit_code == 3, r.err);
  BOOST_TEST(str(Cli::error_of(r).at("field")) == "app");
  BOOST_TEST(contains(r.err, "default, other"), r.err);
  BOOST_TEST(contains(r.err, "dev mode"), r.err);
  c.ok("import_token", R"({"account":"alice","app":"default","access_token":")" + token + "\"}");
}

BOOST_AUTO_TEST_CASE(without_any_app_the_message_says_so) {
  Cli c;
  const std::string short_token = c.issue(R"({"kind":"short"})");
  auto r = c.invoke("import_token", R"({"account":"alice","access_token":")" + short_token + "\"}");
  BOOST_TEST_REQUIRE(r.exit_code == 3, r.err);
  BOOST_TEST(contains(r.err, "no Threads app is registered"), r.err);
  BOOST_TEST(!account_exists(c, "alice"));
  // A long-lived token needs no app: checked with the token itself.
  const auto out = c.import("alice", c.issue());
  BOOST_TEST(!out.at("exchanged").as_bool());
  BOOST_TEST(str(out.at("app")).empty());
}

// The only registered app is not assumed for a token debug_token will not describe to it.
BOOST_AUTO_TEST_CASE(the_only_app_is_not_assumed_for_another_apps_token) {
  Cli c;
  register_other_app(c);
  const std::string token = c.issue(R"({"kind":"short"})");
  auto r = c.invoke("import_token", R"({"account":"alice","access_token":")" + token + "\"}");
  BOOST_TEST_REQUIRE(r.exit_code == 3, r.err);
  BOOST_TEST(contains(r.err, "does not belong to the registered app 'other'"), r.err);
  BOOST_TEST(sandbox_stat("exchange") == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(granted_scopes)

// The user unticks a permission in the authorize window: exchange_code reports it, and an
// action that needs it is refused before anything is sent, naming the scope and the fix.
BOOST_AUTO_TEST_CASE(exchange_code_lists_missing_scopes_and_actions_refuse_early) {
  Cli c;
  dev_mode(true);
  c.register_app();
  const std::string redirect = c.authorise("alice", "&sandbox_decline=threads_manage_replies");
  const auto out = c.ok("exchange_code", json::serialize(json::object{{"code", redirect}}));
  const auto missing = strings(out.at("missing_scopes"));
  BOOST_TEST_REQUIRE(missing.size() == 1u);
  BOOST_TEST(missing.front() == "threads_manage_replies");
  BOOST_TEST(!has(strings(out.at("scopes")), "threads_manage_replies"));
  BOOST_TEST(has(strings(out.at("requested_scopes")), "threads_manage_replies"));
  BOOST_TEST(contains(str(out.at("fix")), "threads.auth_url --account alice"));

  const std::int64_t manage = sandbox_stat("manage");
  auto hide = c.invoke("hide_reply", R"({"id":"17890000000000001"})");
  BOOST_TEST_REQUIRE(hide.exit_code == 5, hide.err);
  const auto e = Cli::error_of(hide);
  BOOST_TEST(str(e.at("status")) == "auth_required");
  BOOST_TEST(str(e.at("scope")) == "threads_manage_replies");
  BOOST_TEST(contains(str(e.at("message")), "threads_manage_replies"));
  BOOST_TEST(contains(str(e.at("fix")), "threads.auth_url --account alice"));
  BOOST_TEST(contains(str(e.at("fix")), "threads_manage_replies"));
  BOOST_TEST(sandbox_stat("manage") == manage); // nothing sent

  const std::int64_t reads = sandbox_stat("read");
  auto search = c.invoke("search", R"({"q":"hello"})"); // never asked for
  BOOST_TEST(search.exit_code == 5, search.err);
  BOOST_TEST(str(Cli::error_of(search).at("scope")) == "threads_keyword_search");
  auto reply = c.invoke("post", R"({"text":"hi","reply_to_id":"17890000000000001"})");
  BOOST_TEST(reply.exit_code == 5, reply.err);
  BOOST_TEST(sandbox_stat("read") == reads);
  BOOST_TEST(sandbox_stat("create") == 0);
  // What the account holds still works; publishing_limit reads the reply quota too.
  c.ok("profile", "{}");
  c.ok("insights", "{}");
  const std::int64_t before_limit = sandbox_stat("read");
  auto limit = c.invoke("publishing_limit", "{}");
  BOOST_TEST(limit.exit_code == 5, limit.err);
  BOOST_TEST(sandbox_stat("read") == before_limit);
}

BOOST_AUTO_TEST_CASE(an_imported_token_brings_its_granted_scopes) {
  Cli c;
  c.import("alice", c.issue(R"({"scopes":["threads_basic","threads_content_publish"]})"));
  const std::int64_t reads = sandbox_stat("read");
  for (const auto &[action, scope] :
       std::vector<std::pair<std::string, std::string>>{{"mentions", "threads_manage_mentions"},
                                                        {"insights", "threads_manage_insights"},
                                                        {"replies", "threads_read_replies"}}) {
    auto r = c.invoke(action, action == "replies" ? R"({"id":"17890000000000001"})" : "{}");
    BOOST_TEST(r.exit_code == 5, action + ": " + r.err);
    if (r.exit_code == 5)
      BOOST_TEST(str(Cli::error_of(r).at("scope")) == scope);
  }
  BOOST_TEST(sandbox_stat("read") == reads);
}

// A record stored before scopes were checked carries no check time: nothing is refused on
// its say-so; the server decides (and refuses with its permission error).
BOOST_AUTO_TEST_CASE(older_records_are_not_refused_on_a_guess) {
  Cli c;
  c.import("alice", c.issue(R"({"scopes":["threads_basic","threads_content_publish"]})"));
  auto record = c.record("alice");
  record.erase("scopes_checked_at_ms");
  record["scopes"] = json::array{"threads_basic", "threads_content_publish"};
  auto set = c.cli({"secrets", "set", "threads/accounts/alice"}, json::serialize(record));
  BOOST_TEST_REQUIRE(set.exit_code == 0, set.err);

  c.ok("profile", "{}");
  const std::int64_t reads = sandbox_stat("read");
  auto r = c.invoke("mentions", "{}");
  BOOST_TEST(r.exit_code == 5, r.err);
  BOOST_TEST(str(Cli::error_of(r).at("code")) == "permission_denied");
  BOOST_TEST(sandbox_stat("read") == reads + 1); // the server was asked
}

BOOST_AUTO_TEST_SUITE_END()
