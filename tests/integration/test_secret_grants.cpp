// Per-plugin secret namespaces with the real autohost binary: the probe plugin against the
// Threads plugin's keys without a grant, with a read grant and with a read-write grant from
// the config file, its lists filtered, and the operator's `secrets` commands unaffected.
#define BOOST_TEST_MODULE secret_grants
#include <boost/test/unit_test.hpp>

#include "process.hpp"
#include "temp_dir.hpp"
#include "text_match.hpp"

#include <boost/json.hpp>

#include <fstream>

using namespace autohost::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char *token = "TOKEN-ALICE-never-shown";

using autohost::test::contains;

// A private state directory whose store holds a Threads account token and a probe secret,
// set by the operator through `autohost secrets`.
struct World {
  TempDir home;
  std::string probe = (fs::path(required_env("TEST_PLUGIN_DIR")) / "probe.so").string();

  World() {
    BOOST_REQUIRE(operator_secrets({"set", "threads/accounts/alice/token"}, token).exit_code == 0);
    BOOST_REQUIRE(operator_secrets({"set", "probe/settings"}, "p").exit_code == 0);
  }

  ProcessResult run(std::vector<std::string> args, std::string stdin_text = {}) {
    ProcessOptions o;
    o.stdin_text = std::move(stdin_text);
    o.env = private_autohost_env(home.path(), home / "state");
    return run_process(required_env("AUTOHOST_BIN"), args, o);
  }
  ProcessResult operator_secrets(std::vector<std::string> args, std::string stdin_text = {}) {
    args.insert(args.begin(), "secrets");
    return run(std::move(args), std::move(stdin_text));
  }
  // `autohost invoke probe.ACTION` with `input`, under a config file holding `grants`
  // (the value of "secret_grants"; none when empty).
  ProcessResult probe_call(const std::string &action, const json::object &input,
                           const std::string &grants = {}) {
    std::vector<std::string> args{"--plugin", probe};
    if (!grants.empty()) {
      const fs::path config = home / "config.json";
      std::ofstream(config) << R"({"secret_grants": )" << grants << "}";
      args.insert(args.end(), {"--config", config.string()});
    }
    args.insert(args.end(), {"invoke", "probe." + action, "--input", json::serialize(input)});
    return run(args);
  }
  // The value the operator reads back (`--reveal` ends it with a newline).
  std::string stored_token() {
    std::string out = operator_secrets({"get", "threads/accounts/alice/token", "--reveal"}).out;
    if (!out.empty() && out.back() == '\n')
      out.pop_back();
    return out;
  }
};

json::object last_line(const std::string &text) {
  std::string last = text;
  while (!last.empty() && last.back() == '\n')
    last.pop_back();
  last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
  return json::parse(last).as_object();
}

// A refusal: exit 3 (invalid_input), nothing on stdout, the JSON error names the key, and no
// secret value anywhere in the output.
void refused(const ProcessResult &r, const std::string &key) {
  BOOST_TEST(r.exit_code == 3, r.err);
  BOOST_TEST(r.out.empty());
  const json::object error = last_line(r.err);
  BOOST_TEST(error.at("code").as_string() == "outside_namespace");
  BOOST_TEST(contains(std::string(error.at("message").as_string()), "'" + key + "'"));
  BOOST_TEST(!contains(r.err, token));
}

std::vector<std::string> listed_keys(const ProcessResult &r) {
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::vector<std::string> keys;
  const json::value parsed = json::parse(r.out);
  for (const auto &item : parsed.as_array())
    keys.emplace_back(item.at("key").as_string());
  return keys;
}

using Keys = std::vector<std::string>;

// A batch (ABI 1.1 secret_put_many) of one write to the probe's own key and one to the Threads
// token: the outside item is refused on its own (invalid_input, version 0), the own one lands.
void batch_refuses_the_outside_item(World &w, const std::string &grants) {
  const json::array writes{
      json::object{{"key", "probe/batch"}, {"value", "b"}, {"expected_version", 0}},
      json::object{
          {"key", "threads/accounts/alice/token"}, {"value", "x"}, {"expected_version", 0}}};
  auto r = w.probe_call("secret_put_many", {{"writes", writes}}, grants);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  const json::array items = json::parse(r.out).at("items").as_array();
  BOOST_TEST_REQUIRE(items.size() == 2u, r.out);
  BOOST_TEST(items[0].at("status").as_string() == "ok", r.out);
  BOOST_TEST(items[1].at("status").as_string() == "invalid_input", r.out);
  BOOST_TEST(items[1].at("version").to_number<std::uint64_t>() == 0u, r.out);
  BOOST_TEST(w.stored_token() == token);
}

} // namespace

BOOST_FIXTURE_TEST_CASE(without_a_grant_another_plugins_secrets_are_refused, World) {
  auto get = probe_call("secret_get", {{"key", "threads/accounts/alice/token"}});
  refused(get, "threads/accounts/alice/token");
  // The error says how the operator would allow it.
  BOOST_TEST(contains(get.err, R"(\"secret_grants\": {\"probe\": [\"threads:read\"]})"), get.err);
  // The refusal is logged for the operator too (warn is the default level).
  BOOST_TEST(contains(get.err, "secret access outside the plugin's namespace refused"));
  refused(probe_call("secret_put", {{"key", "threads/accounts/alice/token"}, {"value", "x"}}),
          "threads/accounts/alice/token");
  refused(probe_call("secret_delete", {{"key", "threads/accounts/alice/token"}}),
          "threads/accounts/alice/token");
  BOOST_TEST(stored_token() == token);
  batch_refuses_the_outside_item(*this, "");
  BOOST_TEST(probe_call("secret_get", {{"key", "probe/settings"}}).exit_code == 0);
}

BOOST_FIXTURE_TEST_CASE(a_list_shows_the_plugin_only_its_own_keys, World) {
  BOOST_TEST(listed_keys(probe_call("secret_list", {{"prefix", ""}})) == Keys{"probe/settings"});
  BOOST_TEST(listed_keys(probe_call("secret_list", {{"prefix", "threads/"}})).empty());
  // The operator still sees everything.
  auto all = operator_secrets({"list"});
  BOOST_TEST(all.exit_code == 0, all.err);
  BOOST_TEST(contains(all.out, "threads/accounts/alice/token"));
  BOOST_TEST(contains(all.out, "probe/settings"));
}

BOOST_FIXTURE_TEST_CASE(a_read_grant_reads_but_does_not_write, World) {
  const std::string grants = R"({"probe": ["threads:read"]})";
  auto get = probe_call("secret_get", {{"key", "threads/accounts/alice/token"}}, grants);
  BOOST_TEST(get.exit_code == 0, get.err);
  BOOST_TEST(json::parse(get.out).at("value").as_string() == token);
  BOOST_TEST(listed_keys(probe_call("secret_list", {{"prefix", ""}}, grants)) ==
             (Keys{"probe/settings", "threads/accounts/alice/token"}));
  refused(
      probe_call("secret_put", {{"key", "threads/accounts/alice/token"}, {"value", "x"}}, grants),
      "threads/accounts/alice/token");
  refused(probe_call("secret_delete", {{"key", "threads/accounts/alice/token"}}, grants),
          "threads/accounts/alice/token");
  batch_refuses_the_outside_item(*this, grants);
  BOOST_TEST(stored_token() == token);
}

BOOST_FIXTURE_TEST_CASE(a_read_write_grant_lets_the_plugin_write_there, World) {
  const std::string grants = R"({"probe": ["threads"]})";
  auto put =
      probe_call("secret_put", {{"key", "threads/accounts/alice/token"}, {"value", "new"}}, grants);
  BOOST_TEST(put.exit_code == 0, put.err);
  BOOST_TEST(stored_token() == "new");
  // A grant to one plugin is not a grant to another namespace.
  refused(probe_call("secret_get", {{"key", "bulletin/x"}}, grants), "bulletin/x");
}

BOOST_FIXTURE_TEST_CASE(a_bad_grant_in_the_config_is_a_usage_error_naming_it, World) {
  for (const auto &[grants, named] : std::vector<std::pair<std::string, std::string>>{
           {R"({"probe": ["threads/"]})", "secret_grants.probe: 'threads/'"},
           {R"({"probe": "threads"})", "'secret_grants' must map plugin names"},
           {R"({"pro/be": ["threads"]})", "secret_grants.pro/be: not a plugin name"},
           {R"(["threads"])", "'secret_grants' must map plugin names"}}) {
    auto r = probe_call("echo", {}, grants);
    BOOST_TEST(r.exit_code == 2, grants + ": " + r.err);
    BOOST_TEST(contains(std::string(last_line(r.err).at("message").as_string()), named),
               grants + ": " + r.err);
  }
}
