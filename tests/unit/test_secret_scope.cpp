// Per-plugin secret namespaces as a plugin meets them through the ABI: its own keys, keys
// outside refused for every secret call (without grants), grants read-write and read-only,
// lists filtered to what it may see, and the config's grant syntax.
#define BOOST_TEST_MODULE secret_scope
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "log.hpp"
#include "result_print.hpp"
#include "secret_scope.hpp"
#include "services.hpp"
#include "store/sql_secret_store.hpp"
#include "temp_dir.hpp"
#include "text_match.hpp"

#include <autohost/host.hpp>

#include <boost/json.hpp>

#include <cstdio>

using namespace autohost;
using autohost::test::required_env;
using autohost::test::TempDir;
namespace json = boost::json;

namespace {

using autohost::test::contains;

// The probe plugin on a real store whose other namespaces hold secrets, started as `name`
// with `grants`.
struct World {
  TempDir dir;
  std::unique_ptr<store::SqlSecretStore> store;
  std::FILE *log_file = std::tmpfile();
  host::Logger logger{log_file, AH_LOG_INFO};
  std::unique_ptr<host::ServiceTable> services;
  std::optional<Instance> probe;

  World() {
    auto s = store::SqlSecretStore::open(
        {dir / "store.db", store::KeySource{std::string(64, 'c'), dir / "master.key"}});
    BOOST_REQUIRE(s);
    store = std::move(s).value();
    BOOST_REQUIRE(store->put("threads/accounts/alice", "TOKEN-alice", 0));
    BOOST_REQUIRE(store->put("threads/apps/main", "APP-SECRET", 0));
    BOOST_REQUIRE(store->put("probe/own", "mine", 0));
    BOOST_REQUIRE(store->put("prober/other", "not probe's", 0));
    start("probe", {});
  }
  ~World() {
    probe.reset();
    std::fclose(log_file);
  }
  void start(const std::string &name, std::vector<host::SecretGrant> grants) {
    probe.reset();
    services = std::make_unique<host::ServiceTable>(
        name, store.get(), logger, [] { return std::int64_t{42}; }, grants);
    auto l = Library::open(std::filesystem::path(required_env("TEST_PLUGIN_DIR")) / "probe.so");
    BOOST_REQUIRE(l);
    auto i = Instance::create(l.value(), services->table());
    BOOST_REQUIRE(i);
    probe.emplace(std::move(i).value());
  }
  Result<std::string> call(std::string_view action, const json::object &input) {
    return probe->invoke(action, json::serialize(input));
  }
  std::string log_text() {
    std::fflush(log_file);
    std::rewind(log_file);
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, log_file)) > 0;)
      text.append(buf, n);
    return text;
  }
};

// An outside_namespace refusal naming the key: invalid_input, as abi.h says.
void refused(const Result<std::string> &r, const std::string &key) {
  BOOST_REQUIRE_MESSAGE(!r, "not refused: the call succeeded"); // no value in the output
  BOOST_TEST(r.error().status == AH_INVALID_INPUT);
  BOOST_TEST(host::error_code(r.error()) == "outside_namespace");
  BOOST_TEST(contains(host::error_message(r.error()), "'" + key + "'"));
  BOOST_TEST(!contains(r.error().body, "TOKEN-alice"));
}

std::vector<std::string> keys_of(const Result<std::string> &listed) {
  BOOST_REQUIRE(listed);
  std::vector<std::string> keys;
  const json::value parsed = json::parse(listed.value());
  for (const auto &item : parsed.as_array())
    keys.emplace_back(item.at("key").as_string());
  return keys;
}

using Keys = std::vector<std::string>;

} // namespace

BOOST_FIXTURE_TEST_CASE(a_plugin_uses_its_own_namespace, World) {
  BOOST_TEST(call("secret_get", {{"key", "probe/own"}}).value() ==
             R"({"found":true,"value":"mine","version":1})");
  BOOST_TEST(call("secret_put", {{"key", "probe/new"}, {"value", "v"}}).value() ==
             R"({"version":1})");
  BOOST_TEST(call("secret_delete", {{"key", "probe/new"}}));
}

BOOST_FIXTURE_TEST_CASE(keys_of_other_namespaces_are_refused_for_every_call, World) {
  const auto message_hint = R"("secret_grants": {"probe": ["threads:read"]})";
  auto get = call("secret_get", {{"key", "threads/accounts/alice"}});
  refused(get, "threads/accounts/alice");
  BOOST_TEST(contains(host::error_message(get.error()), message_hint));
  // Whether the key exists or not: the answer tells nothing about other namespaces.
  refused(call("secret_get", {{"key", "threads/accounts/nobody"}}), "threads/accounts/nobody");
  // A namespace is a whole first segment: "prober/" is not "probe/".
  refused(call("secret_get", {{"key", "prober/other"}}), "prober/other");
  refused(call("secret_put", {{"key", "threads/apps/main"}, {"value", "hijacked"}}),
          "threads/apps/main");
  refused(call("secret_put", {{"key", "probe"}, {"value", "no slash"}}), "probe");
  refused(call("secret_delete", {{"key", "threads/accounts/alice"}}), "threads/accounts/alice");
  BOOST_TEST(store->get("threads/apps/main").value()->value == "APP-SECRET");
  BOOST_TEST(store->get("threads/accounts/alice").value()->version == 1u);
  BOOST_TEST(!store->get("probe").value().has_value());
  // The operator sees the attempt; the log names the key, never a value.
  const std::string log = log_text();
  BOOST_TEST(contains(log, R"("msg":"secret access outside the plugin's namespace refused")"));
  BOOST_TEST(contains(log, R"("key":"threads/apps/main","access":"write")"), log);
  BOOST_TEST(!contains(log, "hijacked"));
}

BOOST_FIXTURE_TEST_CASE(a_malformed_key_is_still_invalid_key, World) {
  auto r = call("secret_get", {{"key", "bad key"}});
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().status == AH_INVALID_INPUT);
  BOOST_TEST(host::error_code(r.error()) == "invalid_key");
}

BOOST_FIXTURE_TEST_CASE(a_batch_refuses_only_the_items_outside, World) {
  auto r =
      call("secret_put_many",
           {{"writes",
             json::array{
                 json::object{{"key", "probe/a"}, {"value", "a1"}, {"expected_version", 0}},
                 json::object{
                     {"key", "threads/apps/main"}, {"value", "hijacked"}, {"expected_version", 1}},
                 json::object{{"key", "probe/b"}, {"value", "b1"}, {"expected_version", 0}}}}});
  BOOST_REQUIRE(r);
  BOOST_TEST(r.value() == R"({"status":"ok","error":"","items":[)"
                          R"({"status":"ok","version":1},{"status":"invalid_input","version":0},)"
                          R"({"status":"ok","version":1}]})");
  BOOST_TEST(store->get("threads/apps/main").value()->value == "APP-SECRET");
  BOOST_TEST(store->get("probe/b").value()->value == "b1");
}

BOOST_FIXTURE_TEST_CASE(a_list_shows_only_what_the_plugin_may_read, World) {
  BOOST_TEST(keys_of(call("secret_list", {{"prefix", ""}})) == Keys{"probe/own"});
  BOOST_TEST(keys_of(call("secret_list", {{"prefix", "pro"}})) == Keys{"probe/own"});
  BOOST_TEST(keys_of(call("secret_list", {{"prefix", "threads/"}})).empty());
  BOOST_TEST(keys_of(call("secret_list", {{"prefix", "probe/o"}})) == Keys{"probe/own"});
}

BOOST_FIXTURE_TEST_CASE(a_grant_opens_another_namespace_for_reading_and_writing, World) {
  start("probe", {{"threads", true}});
  BOOST_TEST(call("secret_get", {{"key", "threads/accounts/alice"}}).value() ==
             R"({"found":true,"value":"TOKEN-alice","version":1})");
  BOOST_TEST(call("secret_put", {{"key", "threads/apps/main"}, {"value", "v2"}}));
  BOOST_TEST(store->get("threads/apps/main").value()->value == "v2");
  BOOST_TEST(keys_of(call("secret_list", {{"prefix", ""}})) ==
             (Keys{"probe/own", "threads/accounts/alice", "threads/apps/main"}));
  BOOST_TEST(keys_of(call("secret_list", {{"prefix", "threads/acc"}})) ==
             Keys{"threads/accounts/alice"});
  refused(call("secret_get", {{"key", "prober/other"}}), "prober/other");
}

BOOST_FIXTURE_TEST_CASE(a_read_grant_reads_but_never_writes, World) {
  start("probe", {{"threads/apps", false}, {"threads", false}});
  BOOST_TEST(call("secret_get", {{"key", "threads/apps/main"}}));
  auto put = call("secret_put", {{"key", "threads/apps/main"}, {"value", "hijacked"}});
  refused(put, "threads/apps/main");
  BOOST_TEST(contains(host::error_message(put.error()), R"(["threads"])"));
  refused(call("secret_delete", {{"key", "threads/accounts/alice"}}), "threads/accounts/alice");
  // Nested grants list each key once.
  BOOST_TEST(keys_of(call("secret_list", {{"prefix", "threads/"}})) ==
             (Keys{"threads/accounts/alice", "threads/apps/main"}));
  BOOST_TEST(store->get("threads/apps/main").value()->value == "APP-SECRET");
}

BOOST_FIXTURE_TEST_CASE(a_name_that_cannot_be_a_namespace_gets_no_secrets, World) {
  // "threads/apps" would otherwise own keys under "threads/apps/", inside threads'.
  start("threads/apps", {});
  auto got = call("secret_get", {{"key", "threads/apps/main"}});
  refused(got, "threads/apps/main");
  BOOST_TEST(contains(host::error_message(got.error()), "cannot be a secret namespace"));
  BOOST_TEST(keys_of(call("secret_list", {{"prefix", ""}})).empty());
}

BOOST_AUTO_TEST_CASE(grants_are_written_as_namespace_or_namespace_read) {
  auto rw = host::parse_secret_grant("threads");
  BOOST_REQUIRE(rw);
  BOOST_TEST(rw.value().space == "threads");
  BOOST_TEST(rw.value().write);
  auto ro = host::parse_secret_grant("threads/accounts/bob@example.com:read");
  BOOST_REQUIRE(ro);
  BOOST_TEST(ro.value().space == "threads/accounts/bob@example.com");
  BOOST_TEST(!ro.value().write);
  for (const char *bad : {"", ":read", "threads/", "/threads", "threads//apps", "thr.eads",
                          "threads:write", "a b", "threads/x:y"}) {
    auto r = host::parse_secret_grant(bad);
    BOOST_TEST(!r, bad);
    if (!r)
      BOOST_TEST(contains(host::error_message(r.error()), std::string("'") + bad + "'"), bad);
  }
}
