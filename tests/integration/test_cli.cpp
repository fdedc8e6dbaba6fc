// The autohost command line as users and pipelines run it: real processes, real plugin
// files, a real store; exit codes, JSON on stdout, JSON errors on stderr.
#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>

#include "cli_world.hpp"

#include <boost/json.hpp>

#include <fstream>

using namespace autohost::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

fs::path plugin_file(const std::string &name) {
  return fs::path(required_env("TEST_PLUGIN_DIR")) / name;
}

struct Cli : CliWorld {
  std::string threads = required_env("THREADS_PLUGIN");
  std::string probe = plugin_file("probe.so").string();
};

} // namespace

BOOST_FIXTURE_TEST_CASE(plugins_lists_name_version_abi_and_path, Cli) {
  auto r = run({"--plugin", threads, "plugins"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(contains(r.out, "threads"));
  BOOST_TEST(contains(r.out, "0.1.0"));
  BOOST_TEST(contains(r.out, "1.0"));
  BOOST_TEST(contains(r.out, threads));

  auto j = run({"plugins", "--json", "--plugin", threads});
  BOOST_TEST(j.exit_code == 0);
  const auto list = json::parse(j.out).as_array();
  BOOST_REQUIRE_EQUAL(list.size(), 1u);
  BOOST_TEST(list[0].at("name").as_string() == "threads");
  BOOST_TEST(list[0].at("abi").as_string() == "1.5");
}

BOOST_FIXTURE_TEST_CASE(plugin_dir_from_flag_and_environment, Cli) {
  const fs::path dir = fs::path(threads).parent_path();
  BOOST_TEST(contains(run({"--plugin-dir", dir.string(), "plugins"}).out, "threads"));
  auto env = run({"plugins"}, {}, {{"AUTOHOST_PLUGIN_PATH", "/nowhere:" + dir.string()}});
  BOOST_TEST(contains(env.out, "threads"));
  BOOST_TEST(env.exit_code == 10); // the missing directory is reported, not ignored
  BOOST_TEST(contains(env.err, "/nowhere does not exist"));
}

BOOST_FIXTURE_TEST_CASE(each_broken_plugin_gets_a_distinct_clear_error, Cli) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/no/such/plugin.so", "does not exist"},
      {plugin_file("text_file.so").string(), "is not a shared object"},
      {plugin_file("no_entry.so").string(), "is not an autohost plugin (no autohost_plugin_entry"},
      {plugin_file("wrong_abi.so").string(), "was built for plugin ABI 2."},
  };
  for (const auto &[file, expected] : cases) {
    auto r = run({"--plugin", file, "plugins"});
    BOOST_TEST(r.exit_code == 10, file);
    BOOST_TEST(contains(r.err, file), r.err);
    BOOST_TEST(contains(r.err, expected), r.err);

    auto inv = run({"--plugin", file, "invoke", "probe.echo", "--input", "{}"});
    BOOST_TEST(inv.exit_code == 10, file);
    BOOST_TEST(contains(inv.err, expected), inv.err);
  }
}

BOOST_FIXTURE_TEST_CASE(plugin_that_fails_or_throws_in_create, Cli) {
  auto thrown = run({"--plugin", plugin_file("throws_create.so").string(), "invoke",
                     "throws_create.echo", "--input", "{}"});
  BOOST_TEST(thrown.exit_code == 10);
  BOOST_TEST(contains(message_of(thrown), "failed to start: unexpected exception: probe exploded"));

  auto failed = run({"--plugin", plugin_file("fails_create.so").string(), "invoke",
                     "fails_create.echo", "--input", "{}"});
  BOOST_TEST(failed.exit_code == 10);
  BOOST_TEST(contains(message_of(failed), "failed to start: probe config rejected"));
}

BOOST_FIXTURE_TEST_CASE(plugin_that_throws_in_invoke_is_internal, Cli) {
  auto r = run({"--plugin", plugin_file("throws_invoke.so").string(), "invoke",
                "throws_invoke.echo", "--input", "{}"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(error_of(r).at("status").as_string() == "internal");
  BOOST_TEST(contains(message_of(r), "probe exploded in invoke"));
}

BOOST_FIXTURE_TEST_CASE(actions_lists_schemas, Cli) {
  auto r = run({"--plugin", threads, "actions", "threads"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(contains(r.out, "threads.info"));
  BOOST_TEST(contains(r.out, "input:"));
  auto j = run({"--plugin", threads, "actions", "--json"});
  const auto list = json::parse(j.out).as_array();
  BOOST_REQUIRE(!list.empty());
  BOOST_TEST(list[0].as_object().contains("input_schema"));
  BOOST_TEST(list[0].as_object().contains("output_schema"));
  BOOST_TEST(run({"--plugin", threads, "actions", "nosuch"}).exit_code == 4);
}

BOOST_FIXTURE_TEST_CASE(invoke_reads_input_from_flag_file_and_stdin, Cli) {
  auto flag = run({"--plugin", probe, "invoke", "probe.echo", "--input", R"({"n":1})", "--account",
                   "alice", "--idempotency-key", "run-7"});
  BOOST_TEST(flag.exit_code == 0, flag.err);
  const auto out = json::parse(flag.out).as_object();
  BOOST_TEST(out.at("input").at("n").as_int64() == 1);
  BOOST_TEST(out.at("account").as_string() == "alice");
  BOOST_TEST(out.at("idempotency_key").as_string() == "run-7");

  std::ofstream(home / "in.json") << R"({"n":2})";
  auto file =
      run({"--plugin", probe, "invoke", "probe.echo", "--input-file", (home / "in.json").string()});
  BOOST_TEST(json::parse(file.out).at("input").at("n").as_int64() == 2);

  auto in = run({"--plugin", probe, "invoke", "probe.echo"}, R"({"n":3})");
  BOOST_TEST(json::parse(in.out).at("input").at("n").as_int64() == 3);

  auto dash = run({"--plugin", probe, "invoke", "probe.echo", "--input-file", "-"}, R"({"n":4})");
  BOOST_TEST(json::parse(dash.out).at("input").at("n").as_int64() == 4);

  auto none = run({"--plugin", probe, "invoke", "probe.echo"});
  BOOST_TEST(json::parse(none.out).at("input").as_object().empty());
}

BOOST_FIXTURE_TEST_CASE(a_bad_idempotency_key_is_invalid_input_naming_it, Cli) {
  // abi.h's rule: 1-128 of [A-Za-z0-9._:@+-]; the host never passes another key.
  for (const std::string &key :
       std::vector<std::string>{"two words", "semi;colon", std::string(129, 'k')}) {
    for (const std::string command : {"invoke", "job"}) {
      auto r = run({"--plugin", probe, command, command == "invoke" ? "probe.echo" : "probe.none",
                    "--idempotency-key", key});
      BOOST_TEST(r.exit_code == 3, command << " " << key << ": " << r.err);
      BOOST_TEST(r.out.empty());
      BOOST_TEST(error_of(r).at("status").as_string() == "invalid_input");
      BOOST_TEST(contains(message_of(r), "--idempotency-key: idempotency key '" + key + "'"),
                 message_of(r));
    }
  }
  auto longest =
      run({"--plugin", probe, "invoke", "probe.echo", "--idempotency-key", std::string(128, 'k')});
  BOOST_TEST(longest.exit_code == 0, longest.err);
}

BOOST_FIXTURE_TEST_CASE(every_status_has_its_exit_code_and_json_error, Cli) {
  const std::vector<std::pair<std::string, int>> statuses = {
      {"invalid_input", 3}, {"not_found", 4}, {"auth_required", 5}, {"retry_later", 6},
      {"rate_limited", 7},  {"conflict", 8},  {"cancelled", 9},     {"internal", 1}};
  for (const auto &[status, code] : statuses) {
    auto r = run({"--plugin", probe, "invoke", "probe.fail", "--input",
                  R"({"status":")" + status + R"("})"});
    BOOST_TEST(r.exit_code == code, status);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(error_of(r).at("status").as_string() == status);
    BOOST_TEST(message_of(r) == "probe failed as asked");
  }
}

BOOST_FIXTURE_TEST_CASE(bad_input_and_bad_arguments_are_usage_errors, Cli) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"invoke", "probe.echo", "--input", R"({"a":)"}, "--input is not valid JSON"},
      {{"invoke", "probe.echo", "--input", R"({"a":1} x)"}, "extra data at byte 8"},
      {{"invoke", "probe.echo", "--input", "[1,2]"}, "--input must be a JSON object"},
      {{"invoke", "probe.echo", "--input", "{}", "--input-file", "x"}, "cannot be used together"},
      {{"invoke", "probe.echo", "--input-file", "/no/such.json"}, "/no/such.json cannot be read"},
      {{"invoke", "probe.echo", "--frobnicate"}, "frobnicate"},
      {{"invoke", "probe"}, "is not of the form PLUGIN.ACTION"},
      {{"invoke"}, "missing PLUGIN.ACTION"},
      {{"invoke", "probe.echo", "--timeout", "-1"},
       "--timeout '-1': must be a number of seconds more than 0"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"secrets", "shred", "k"}, "unknown subcommand 'shred'"},
      {{"secrets", "get"}, "needs a KEY"},
      {{"secrets", "get", "bad key"}, "may only contain"},
      {{"--log-level", "loud", "plugins"}, "must be debug, info, warn or error"},
  };
  for (const auto &[args, expected] : cases) {
    std::vector<std::string> full = {"--plugin", probe};
    full.insert(full.end(), args.begin(), args.end());
    auto r = run(full);
    BOOST_TEST(r.exit_code == 2, args.back());
    BOOST_TEST(contains(r.err, expected), r.err);
    BOOST_TEST(error_of(r).at("status").as_string() == "usage");
  }
  auto stdin_bad = run({"--plugin", probe, "invoke", "probe.echo"}, "{not json");
  BOOST_TEST(stdin_bad.exit_code == 2);
  BOOST_TEST(contains(stdin_bad.err, "stdin is not valid JSON"));
}

BOOST_FIXTURE_TEST_CASE(every_command_has_help, Cli) {
  for (const std::string command : {"plugins", "actions", "invoke", "secrets"}) {
    auto r = run({command, "--help"});
    BOOST_TEST(r.exit_code == 0, command);
    BOOST_TEST(contains(r.out, "usage: autohost " + command), r.out);
  }
  auto top = run({"--help"});
  BOOST_TEST(top.exit_code == 0);
  BOOST_TEST(contains(top.out, "commands:"));
  BOOST_TEST(contains(run({"--version"}).out, "autohost 0.1.0"));
}

BOOST_FIXTURE_TEST_CASE(bare_autohost_is_a_usage_error_with_the_help_on_stderr, Cli) {
  auto bare = run({});
  BOOST_TEST(bare.exit_code == 2);
  BOOST_TEST(bare.out.empty(), bare.out);
  BOOST_TEST(contains(bare.err, "usage: autohost [global options] COMMAND"), bare.err);
  BOOST_TEST(contains(bare.err, "commands:"), bare.err);
}

BOOST_FIXTURE_TEST_CASE(a_mistyped_command_gets_one_suggestion_only_when_close, Cli) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> close = {
      {{"stauts"}, "unknown command 'stauts'; did you mean 'status'?"},
      {{"plugin"}, "unknown command 'plugin'; did you mean 'plugins'?"},
      {{"hlep"}, "unknown command 'hlep'; did you mean 'help'?"},
      {{"help", "scedule"}, "unknown command 'scedule'; did you mean 'schedule'?"},
      {{"secrets", "gte", "k"}, "unknown subcommand 'gte'; did you mean 'get'?"},
      {{"schedule", "lsit"}, "did you mean 'list'?"},
      {{"store", "bakcup", "f"}, "did you mean 'backup'?"},
      {{"runs", "retyr"}, "did you mean 'retry'?"},
      {{"--stor=x", "plugins"}, "unknown global option '--stor'"},
      {{"--stor", "x", "plugins"}, "did you mean '--store'?"},
  };
  for (const auto &[args, expected] : close) {
    auto r = run(args);
    // An unknown run id is not found (4); every other typo is a usage error.
    BOOST_TEST(r.exit_code == (args.front() == "runs" ? 4 : 2), args.front());
    BOOST_TEST(r.out.empty());
    BOOST_TEST(contains(message_of(r), expected), r.err);
  }
  for (const std::vector<std::string> &far :
       {std::vector<std::string>{"frobnicate"}, {"rm"}, {"secrets", "shred", "k"}}) {
    auto r = run(far);
    BOOST_TEST(r.exit_code == 2, far.back());
    BOOST_TEST(!contains(r.err, "did you mean"), r.err);
  }
}

// An unknown flag before the command used to shift the arguments: `autohost --bogus plugins`
// ran `plugins` with "plugins" as its first argument.
BOOST_FIXTURE_TEST_CASE(an_unknown_flag_before_the_command_is_named, Cli) {
  auto r = run({"--bogus", "plugins"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(contains(message_of(r), "unknown global option '--bogus' before the command"), r.err);
  BOOST_TEST(!contains(r.err, "did you mean"), r.err);
  BOOST_TEST(!contains(r.err, "positional"), r.err);
}

BOOST_FIXTURE_TEST_CASE(unknown_plugin_is_not_found, Cli) {
  auto r = run({"--plugin", probe, "invoke", "nosuch.echo", "--input", "{}"});
  BOOST_TEST(r.exit_code == 4);
  BOOST_TEST(contains(message_of(r), "no plugin named 'nosuch'"));
}

BOOST_FIXTURE_TEST_CASE(secrets_never_show_their_value_unless_revealed, Cli) {
  const std::string value = "THsecret-value-do-not-print-1234567890";
  auto set = run({"secrets", "set", "threads/accounts/alice/token"}, value + "\n");
  BOOST_TEST(set.exit_code == 0, set.err);
  BOOST_TEST(json::parse(set.out).at("version").as_int64() == 1);

  auto get = run({"secrets", "get", "threads/accounts/alice/token"});
  BOOST_TEST(get.exit_code == 0);
  BOOST_TEST(!contains(get.out + get.err, value));
  BOOST_TEST(json::parse(get.out).at("bytes").as_int64() == static_cast<int64_t>(value.size()));

  auto reveal = run({"secrets", "get", "threads/accounts/alice/token", "--reveal"});
  BOOST_TEST(reveal.out == value + "\n"); // exactly the value: the shell's newline was dropped

  auto list = run({"secrets", "list", "threads/"});
  BOOST_TEST(contains(list.out, "threads/accounts/alice/token"));
  BOOST_TEST(!contains(list.out, value));

  auto conflict =
      run({"secrets", "set", "threads/accounts/alice/token", "--expect-version", "0"}, "other");
  BOOST_TEST(conflict.exit_code == 8);
  BOOST_TEST(contains(message_of(conflict), "is at version 1, not the expected 0"));
  BOOST_TEST(run({"secrets", "get", "threads/accounts/alice/token", "--reveal"}).out ==
             value + "\n");

  auto empty = run({"secrets", "set", "k"}, "");
  BOOST_TEST(empty.exit_code == 2);

  BOOST_TEST(
      run({"secrets", "rm", "threads/accounts/alice/token", "--expect-version", "5"}).exit_code ==
      8);
  BOOST_TEST(run({"secrets", "rm", "threads/accounts/alice/token"}).exit_code == 0);
  auto gone = run({"secrets", "get", "threads/accounts/alice/token"});
  BOOST_TEST(gone.exit_code == 4);
  BOOST_TEST(contains(message_of(gone), "does not exist"));

  for (const auto &entry : fs::recursive_directory_iterator(home.path())) {
    if (entry.is_regular_file())
      BOOST_TEST(!contains(read_file(entry.path()), value), entry.path());
  }
}

BOOST_FIXTURE_TEST_CASE(store_problems_exit_11_and_keep_the_data, Cli) {
  const std::string key_a(64, 'a');
  BOOST_TEST(run({"secrets", "set", "k"}, "v", {{"AUTOHOST_MASTER_KEY", key_a}}).exit_code == 0);
  auto wrong = run({"secrets", "get", "k"}, {}, {{"AUTOHOST_MASTER_KEY", std::string(64, 'b')}});
  BOOST_TEST(wrong.exit_code == 11);
  BOOST_TEST(contains(message_of(wrong), "does not match the master key"));
  auto plugin_wrong = run({"--plugin", threads, "invoke", "threads.info"}, {},
                          {{"AUTOHOST_MASTER_KEY", std::string(64, 'b')}});
  BOOST_TEST(plugin_wrong.exit_code == 11);
  BOOST_TEST(run({"secrets", "get", "k", "--reveal"}, {}, {{"AUTOHOST_MASTER_KEY", key_a}}).out ==
             "v\n");

  std::ofstream(home / "junk.db") << std::string(5000, 'j');
  auto junk = run({"--store", (home / "junk.db").string(), "secrets", "list"}, {},
                  {{"AUTOHOST_MASTER_KEY", key_a}});
  BOOST_TEST(junk.exit_code == 11);
  BOOST_TEST(contains(message_of(junk), "junk.db is corrupt or not an SQLite database"));
  BOOST_TEST(read_file(home / "junk.db") == std::string(5000, 'j'));
}

BOOST_FIXTURE_TEST_CASE(config_file_sets_plugin_config_and_is_checked, Cli) {
  std::ofstream(home / "config.json")
      << R"({"plugins": {"threads": {"graph_base_url": "https://127.0.0.1:9443"}}})";
  auto r = run(
      {"--config", (home / "config.json").string(), "--plugin", threads, "invoke", "threads.info"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(json::parse(r.out).at("config").at("graph_base_url").as_string() ==
             "https://127.0.0.1:9443");

  std::ofstream(home / "dirs.json")
      << R"({"plugin_dirs": [")" + fs::path(threads).parent_path().string() + R"("]})";
  auto dirs = run({"--config", (home / "dirs.json").string(), "plugins"});
  BOOST_TEST(dirs.exit_code == 0, dirs.err);
  BOOST_TEST(contains(dirs.out, threads));

  std::ofstream(home / "bad.json") << R"({"plugin_dirz": []})";
  auto bad = run({"--config", (home / "bad.json").string(), "plugins"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(contains(bad.err, "bad.json"));
  BOOST_TEST(contains(bad.err, "unknown setting 'plugin_dirz'"));

  std::ofstream(home / "badplugin.json")
      << R"({"plugins": {"threads": {"graph_base_url": "http://plain"}}})";
  auto rejected = run({"--config", (home / "badplugin.json").string(), "--plugin", threads,
                       "invoke", "threads.info"});
  BOOST_TEST(rejected.exit_code == 10);
  BOOST_TEST(contains(message_of(rejected), "'graph_base_url' must be an https:// URL"));
}

BOOST_FIXTURE_TEST_CASE(sigint_and_timeout_cancel_a_running_action, Cli) {
  // SIGINT once the action runs (not at a fixed time: a slow start would be killed by the
  // signal's default action before the handler is in place).
  const std::string started = (home / "started").string();
  auto interrupted = run({"--plugin", probe, "invoke", "probe.wait_for_cancel", "--input",
                          json::serialize(json::object{{"started_file", started}})},
                         {}, {}, [&] { return std::filesystem::exists(started); });
  BOOST_TEST(interrupted.exit_code == 9, interrupted.err);
  BOOST_TEST(error_of(interrupted).at("status").as_string() == "cancelled");

  auto timed_out = run({"--plugin", probe, "invoke", "probe.wait_for_cancel", "--timeout", "0.2"});
  BOOST_TEST(timed_out.exit_code == 9);
}

BOOST_FIXTURE_TEST_CASE(plugin_logs_are_json_lines_on_stderr_at_the_chosen_level, Cli) {
  auto quiet = run({"--plugin", probe, "--log-level", "error", "invoke", "probe.log", "--input",
                    R"({"message":"hello"})"});
  BOOST_TEST(quiet.err.empty());
  auto loud = run({"--plugin", probe, "invoke", "probe.log", "--input", R"({"message":"hello"})"},
                  {}, {{"AUTOHOST_LOG_LEVEL", "info"}});
  const auto line = json::parse(loud.err).as_object();
  BOOST_TEST(line.at("msg").as_string() == "hello");
  BOOST_TEST(line.at("source").as_string() == "probe");
  BOOST_TEST(line.at("level").as_string() == "warn");
}
