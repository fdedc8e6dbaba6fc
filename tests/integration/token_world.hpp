// What the token suites share: one sandbox per suite, and a fixture that runs the real
// autohost CLI with a private HOME, store and config, with the host clock moved together
// with the sandbox clock (AUTOHOST_TEST_CLOCK_OFFSET_S), and that checks no token or app
// secret ever appears in what the CLI printed.
#pragma once

#include "process.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"
#include "text_match.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace token_test {

using namespace autohost::test;
namespace fs = std::filesystem;
namespace json = boost::json;
namespace sbx = sandbox_test;

inline constexpr const char *sandbox_app_id = "1000000000000001";
inline constexpr const char *sandbox_app_secret = "sandbox-app-secret";
inline constexpr const char *redirect_uri = "https://app.example/threads/callback";
inline constexpr std::int64_t day_s = 86400;

using autohost::test::contains;

// One sandbox for a whole suite; each fixture resets it.
struct World {
  World() { instance = this; }
  // A sandbox started with `sandbox_args` (e.g. several --app).
  explicit World(const std::vector<std::string> &sandbox_args) : sandbox(sandbox_args) {
    instance = this;
  }
  ~World() { instance = nullptr; }
  sbx::SandboxProcess sandbox;
  static inline World *instance = nullptr;
};

inline sbx::SandboxProcess &sandbox() { return World::instance->sandbox; }

inline json::value control(const std::string &method, const std::string &path,
                           const std::string &body = "") {
  auto r = sbx::control(sandbox(), method, path, body);
  BOOST_REQUIRE_MESSAGE(r.status == 200, path + ": " + r.body);
  return r.json();
}

inline std::int64_t sandbox_stat(const std::string &group) {
  return control("GET", "/__sandbox/stats").at("requests").at(group).as_int64();
}

// Whether the sandbox accepts `token` right now; "ok", "expired", "revoked" or "unknown".
inline std::string token_check(const std::string &token) {
  auto r = sbx::get(sandbox(), "/__sandbox/tokens/check?access_token=" + token);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  return std::string(r.json().at("reason").as_string());
}

struct Cli {
  TempDir home;
  std::set<std::string> secrets{sandbox_app_secret}; // never to appear in any output
  std::string all_output;
  double clock_offset_s = 0;
  // Set or unset on top of env() for every process (e.g. AUTOHOST_STORE for a shared store).
  std::map<std::string, std::optional<std::string>> extra_env;

  explicit Cli(const std::string &extra_plugin_config = "") {
    control("POST", "/__sandbox/reset");
    write_config(extra_plugin_config);
  }
  Cli(const Cli &) = delete;
  Cli &operator=(const Cli &) = delete;

  ~Cli() {
    for (const auto &s : secrets) {
      BOOST_TEST(!contains(all_output, s), "a token or secret appeared in the output");
    }
  }

  void write_config(const std::string &extra) {
    std::ofstream(home / "config.json")
        << R"({"log_level": "info", "plugins": {"threads": {"graph_base_url": ")"
        << sandbox().base_url << R"(", "oauth_base_url": ")" << sandbox().base_url
        << R"(", "ca_file": ")" << sandbox().ca_file << R"(")" << extra << "}}}";
  }

  std::map<std::string, std::optional<std::string>> env() const {
    std::ostringstream offset;
    offset.precision(17);
    offset << clock_offset_s;
    // Sanitizer builds: GCC 12's LeakSanitizer tracer crashes at exit in some of these
    // processes while scanning a bogus dynamic-TLS range ("Tracer caught signal 11",
    // "DTLS 6 at 0x2b8-..."), depending on memory layout alone. Leaks are still checked;
    // only dynamic-TLS roots are not scanned.
    const char *lsan = std::getenv("LSAN_OPTIONS");
    const std::string lsan_options =
        (lsan != nullptr && *lsan != 0 ? std::string(lsan) + ":" : std::string()) +
        "intercept_tls_get_addr=0";
    std::map<std::string, std::optional<std::string>> all = {
        {"HOME", home.path().string()},
        {"LSAN_OPTIONS", lsan_options},
        {"AUTOHOST_STATE_DIR", (home / "state").string()},
        {"AUTOHOST_CONFIG", (home / "config.json").string()},
        {"AUTOHOST_PLUGIN_PATH", fs::path(required_env("THREADS_PLUGIN")).parent_path().string()},
        {"AUTOHOST_TEST_CLOCK_OFFSET_S", offset.str()},
        {"AUTOHOST_MASTER_KEY", std::nullopt},
        {"AUTOHOST_LOG_LEVEL", std::nullopt},
        {"HTTPS_PROXY", std::nullopt},
        {"https_proxy", std::nullopt}};
    for (const auto &[name, value] : extra_env)
      all[name] = value;
    return all;
  }

  // Sandbox and host clocks to `seconds` after the sandbox's real time.
  void set_clock(double seconds) {
    clock_offset_s = seconds;
    control("POST", "/__sandbox/clock", json::serialize(json::object{{"offset_s", seconds}}));
  }
  void set_clock_days(double days) { set_clock(days * day_s); }

  ProcessResult cli(const std::vector<std::string> &args, std::string stdin_text = {}) {
    ProcessOptions o;
    o.stdin_text = std::move(stdin_text);
    o.env = env();
    auto r = run_process(required_env("AUTOHOST_BIN"), args, o);
    all_output += r.out + r.err;
    return r;
  }

  ProcessResult invoke(const std::string &action, const std::string &input,
                       std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"invoke", "threads." + action, "--input", input};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli(args);
  }
  json::object ok(const std::string &action, const std::string &input,
                  std::vector<std::string> extra = {}) {
    auto r = invoke(action, input, std::move(extra));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, action + " failed: " + r.err);
    return json::parse(r.out).as_object();
  }
  // The refresh job's report.
  json::object job() {
    auto r = cli({"job", "threads.refresh_tokens"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "refresh_tokens failed: " + r.err);
    return json::parse(r.out).as_object();
  }
  static json::object error_of(const ProcessResult &r) {
    std::string last = r.err;
    while (!last.empty() && last.back() == '\n')
      last.pop_back();
    const auto nl = last.rfind('\n');
    return json::parse(nl == std::string::npos ? last : last.substr(nl + 1)).as_object();
  }

  // The stored record, read through the CLI without adding it to the checked output.
  json::object record(const std::string &account) {
    ProcessOptions o;
    o.env = env();
    auto r = run_process(required_env("AUTOHOST_BIN"),
                         {"secrets", "get", "threads/accounts/" + account, "--reveal"}, o);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto rec = json::parse(r.out).as_object();
    secrets.insert(std::string(rec.at("access_token").as_string()));
    if (!rec.at("previous_token").as_string().empty()) {
      secrets.insert(std::string(rec.at("previous_token").as_string()));
    }
    return rec;
  }
  std::string stored_token(const std::string &account) {
    return std::string(record(account).at("access_token").as_string());
  }

  // A sandbox token (POST /__sandbox/tokens with `body`), remembered as a secret.
  std::string issue(const std::string &body = "{}") {
    std::string token = sbx::issue_token(sandbox(), body);
    secrets.insert(token);
    return token;
  }
  json::object import(const std::string &account, const std::string &token, bool replace = false) {
    return ok("import_token", R"({"account":")" + account + R"(","access_token":")" + token +
                                  R"(","replace":)" + (replace ? "true" : "false") + "}");
  }
  void register_app(const std::string &app_id = sandbox_app_id,
                    const std::string &secret = sandbox_app_secret, bool replace = false) {
    ok("register_app", R"({"app_id":")" + app_id + R"(","app_secret":")" + secret +
                           R"(","redirect_uri":")" + redirect_uri + R"(","replace":)" +
                           (replace ? "true" : "false") + "}");
  }
  // auth_url for `account`, then the browser step against the sandbox: the URL the
  // browser is redirected to (with code, state and the #_).
  std::string authorise(const std::string &account, const std::string &extra_query = "") {
    const auto started = ok("auth_url", R"({"account":")" + account + R"("})");
    const std::string url = std::string(started.at("url").as_string()) + extra_query;
    auto r = sbx::curl(sandbox(), {url});
    BOOST_REQUIRE_MESSAGE(r.status == 302,
                          "authorize answered " + std::to_string(r.status) + ": " + r.body);
    return r.headers.at("location");
  }
};

} // namespace token_test
