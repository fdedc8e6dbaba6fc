// Which plugin files autohost agrees to run (owners, modes, pins, the named plugin only) and
// what it does to its own process before any secret is read: real files, chmod, chown and
// the real binary.
#define BOOST_TEST_MODULE plugin_trust
#include <boost/test/unit_test.hpp>

#include "cli_world.hpp"

#include <boost/json.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

using namespace autohost::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

fs::path test_plugin(const std::string &name) {
  return fs::path(required_env("TEST_PLUGIN_DIR")) / name;
}

// A private plugin directory (0700, in a temp dir) holding copies of test plugins, and a
// master key in the environment.
struct Trust : CliWorld {
  fs::path dir = home / "plugins";

  Trust() {
    fs::create_directory(dir);
    fs::permissions(dir, fs::perms::owner_all);
    add("probe.so");
  }

  fs::path add(const std::string &name, const std::string &as = "") {
    const fs::path to = dir / (as.empty() ? name : as);
    fs::copy_file(test_plugin(name), to, fs::copy_options::overwrite_existing);
    fs::permissions(to, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
    return to;
  }

  ProcessResult run(std::vector<std::string> args,
                    std::map<std::string, std::optional<std::string>> extra_env = {}) {
    extra_env.emplace("AUTOHOST_MASTER_KEY", std::string(64, 'a'));
    return CliWorld::run(std::move(args), {}, std::move(extra_env));
  }

  ProcessResult invoke_echo() {
    return run({"--plugin-dir", dir.string(), "invoke", "probe.echo", "--input", "{}"});
  }

  fs::path config(const std::string &text) {
    const fs::path file = home / "config.json";
    std::ofstream(file) << text;
    return file;
  }
};

json::object process_state(const ProcessResult &r) {
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return json::parse(r.out).as_object();
}

std::string sha256_of(const fs::path &file) {
  auto r = run_process("/usr/bin/sha256sum", {file.string()});
  BOOST_REQUIRE(r.exit_code == 0);
  return r.out.substr(0, 64);
}

} // namespace

BOOST_FIXTURE_TEST_CASE(a_private_plugin_directory_loads, Trust) {
  auto r = invoke_echo();
  BOOST_TEST(r.exit_code == 0, r.err);
}

BOOST_FIXTURE_TEST_CASE(plugin_file_writable_by_others_is_refused_until_fixed, Trust) {
  const fs::path file = dir / "probe.so";
  fs::permissions(file, fs::perms::others_write, fs::perm_options::add);
  auto r = invoke_echo();
  BOOST_TEST(r.exit_code == 10, r.err);
  BOOST_TEST(contains(r.err, "plugin file " + file.string() + " is writable by others"), r.err);
  BOOST_TEST(contains(r.err, "chmod o-w " + file.string()), r.err);
  BOOST_TEST(r.out.empty());
  fs::permissions(file, fs::perms::others_write, fs::perm_options::remove); // the named fix
  BOOST_TEST(invoke_echo().exit_code == 0);
}

BOOST_FIXTURE_TEST_CASE(files_are_refused_before_any_of_their_code_runs, Trust) {
  // The file aborts the process as soon as dlopen runs its constructor: a refusal that came
  // after loading would end in SIGABRT, not in a clear error.
  const fs::path file = add("aborts_on_load.so");
  fs::permissions(file, fs::perms::others_write, fs::perm_options::add);
  auto writable = run({"--plugin", file.string(), "plugins"});
  BOOST_TEST(writable.exit_code == 10, writable.err);
  BOOST_TEST(contains(writable.err, file.string() + " is writable by others"), writable.err);

  fs::permissions(file, fs::perms::others_write, fs::perm_options::remove);
  const std::string pin = std::string(64, 'f');
  auto mispinned =
      run({"--config", config(R"({"plugin_pins": {"aborts_on_load": ")" + pin + R"("}})").string(),
           "--plugin", file.string(), "plugins"});
  BOOST_TEST(mispinned.exit_code == 10, mispinned.err);
  BOOST_TEST(contains(mispinned.err, "does not match its pin"), mispinned.err);
}

BOOST_FIXTURE_TEST_CASE(group_write_is_refused_unless_the_group_is_the_owners_own, Trust) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("not root: cannot give a file to a shared group; skipped");
    return;
  }
  const fs::path file = dir / "probe.so";
  fs::permissions(file, fs::perms::group_write, fs::perm_options::add);
  BOOST_REQUIRE(::chown(file.c_str(), 0, 65534) == 0); // nogroup: shared, not root's own
  auto r = invoke_echo();
  BOOST_TEST(r.exit_code == 10, r.err);
  BOOST_TEST(contains(r.err, "plugin file " + file.string() + " is writable by its group"), r.err);
  BOOST_TEST(contains(r.err, "chmod g-w " + file.string()), r.err);
  // root's own group "root" has no other members: only root can write through it.
  BOOST_REQUIRE(::chown(file.c_str(), 0, 0) == 0);
  BOOST_TEST(invoke_echo().exit_code == 0);
}

BOOST_FIXTURE_TEST_CASE(a_writable_directory_anywhere_above_the_plugin_is_refused, Trust) {
  // The plugin directory itself, and a directory above it (files could be swapped there).
  for (const fs::path &writable : {dir, home.path()}) {
    fs::permissions(writable, fs::perms::others_write | fs::perms::others_exec,
                    fs::perm_options::add);
    auto r = invoke_echo();
    BOOST_TEST(r.exit_code == 10, r.err);
    BOOST_TEST(contains(r.err, "directory " + writable.string() + " is writable by others"), r.err);
    BOOST_TEST(contains(r.err, "chmod o-w " + writable.string()), r.err);
    fs::permissions(writable, fs::perms::others_write, fs::perm_options::remove);
    BOOST_TEST(invoke_echo().exit_code == 0);
  }
  // A sticky directory (as /tmp is) lets nobody replace another user's entries.
  fs::permissions(home.path(), fs::perms::others_write | fs::perms::sticky_bit,
                  fs::perm_options::add);
  BOOST_TEST(invoke_echo().exit_code == 0);
}

BOOST_FIXTURE_TEST_CASE(a_symlink_to_a_writable_place_is_refused, Trust) {
  const fs::path open_dir = home / "open";
  fs::create_directory(open_dir);
  fs::copy_file(dir / "probe.so", open_dir / "probe.so");
  fs::permissions(open_dir, fs::perms::all);
  fs::remove(dir / "probe.so");
  fs::create_symlink(open_dir / "probe.so", dir / "probe.so");
  auto r = invoke_echo();
  BOOST_TEST(r.exit_code == 10, r.err);
  BOOST_TEST(contains(r.err, "directory " + open_dir.string() + " is writable by others"), r.err);
}

BOOST_FIXTURE_TEST_CASE(files_owned_by_another_user_are_refused, Trust) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("not root: cannot give a file to another user; skipped");
    return;
  }
  const fs::path file = dir / "probe.so";
  BOOST_REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
  auto r = invoke_echo();
  BOOST_TEST(r.exit_code == 10, r.err);
  BOOST_TEST(contains(r.err, "plugin file " + file.string() + " is owned by "), r.err);
  BOOST_TEST(contains(r.err, "not by root or root"), r.err);
  BOOST_TEST(contains(r.err, "chown root " + file.string()), r.err);
  BOOST_REQUIRE(::chown(file.c_str(), 0, 0) == 0);
  BOOST_TEST(invoke_echo().exit_code == 0);

  BOOST_REQUIRE(::chown(dir.c_str(), 65534, 65534) == 0);
  auto in_dir = invoke_echo();
  BOOST_TEST(in_dir.exit_code == 10, in_dir.err);
  BOOST_TEST(contains(in_dir.err, "directory " + dir.string() + " is owned by "), in_dir.err);
}

BOOST_FIXTURE_TEST_CASE(a_relative_plugin_path_from_the_environment_is_a_usage_error, Trust) {
  auto r = run({"plugins"}, {{"AUTOHOST_PLUGIN_PATH", dir.string() + ":plugins"}});
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(contains(r.err, "AUTOHOST_PLUGIN_PATH"), r.err);
  BOOST_TEST(contains(r.err, "'plugins' is relative"), r.err);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(run({"plugins"}, {{"AUTOHOST_PLUGIN_PATH", dir.string()}}).exit_code == 0);
}

BOOST_FIXTURE_TEST_CASE(a_command_naming_a_plugin_loads_only_that_plugin, Trust) {
  // A file that aborts as soon as it is loaded, and broken, foreign and misnamed files
  // beside the named plugin: none of them is loaded for it.
  add("aborts_on_load.so");
  add("text_file.so");
  add("wrong_abi.so");
  add("throws_create.so");
  add("probe.so", "renamed.so");
  auto r = invoke_echo();
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.empty(), r.err);
  auto actions = run({"--plugin-dir", dir.string(), "actions", "probe"});
  BOOST_TEST(actions.exit_code == 0, actions.err);
  BOOST_TEST(actions.err.empty(), actions.err);

  // `autohost plugins` loads every file, so the aborting one kills it (run_process gives the
  // signal's number); without that file, every broken file is reported.
  auto killed = run({"--plugin-dir", dir.string(), "plugins"});
  BOOST_TEST(killed.exit_code == SIGABRT);
  BOOST_TEST(killed.out.empty());
  fs::remove(dir / "aborts_on_load.so");
  auto all = run({"--plugin-dir", dir.string(), "plugins"});
  BOOST_TEST(all.exit_code == 10);
  BOOST_TEST(contains(all.out, "probe"));
  BOOST_TEST(contains(all.out, "throws_create"));
  BOOST_TEST(contains(all.err, "text_file.so is not a shared object"), all.err);
  BOOST_TEST(contains(all.err, "wrong_abi.so was built for plugin ABI 2."), all.err);
  // A file in a directory is found by its name, so it must be named after its plugin.
  BOOST_TEST(contains(all.err, "renamed.so holds the plugin 'probe' but is named renamed.so; "
                               "name it probe.so"),
             all.err);
}

BOOST_FIXTURE_TEST_CASE(a_pinned_plugin_loads_only_with_its_digest, Trust) {
  const fs::path file = dir / "probe.so";
  const std::string digest = sha256_of(file);
  auto pinned =
      run({"--config", config(R"({"plugin_pins": {"probe": ")" + digest + R"("}})").string(),
           "--plugin-dir", dir.string(), "invoke", "probe.echo"});
  BOOST_TEST(pinned.exit_code == 0, pinned.err);

  const std::string other = std::string(64, '0');
  auto mispinned =
      run({"--config", config(R"({"plugin_pins": {"probe": ")" + other + R"("}})").string(),
           "--plugin-dir", dir.string(), "invoke", "probe.echo"});
  BOOST_TEST(mispinned.exit_code == 10, mispinned.err);
  BOOST_TEST(contains(mispinned.err, "plugin " + file.string() + " does not match its pin"),
             mispinned.err);
  BOOST_TEST(contains(mispinned.err, "expected SHA-256 " + other + ", the file has " + digest),
             mispinned.err);

  // The pinned name cannot be slipped in under another file name either.
  auto renamed =
      run({"--config", config(R"({"plugin_pins": {"probe": ")" + other + R"("}})").string(),
           "--plugin", add("probe.so", "other.so").string(), "invoke", "probe.echo"});
  BOOST_TEST(renamed.exit_code == 10, renamed.err);
  BOOST_TEST(contains(renamed.err, "name it probe.so so that its pin is checked"), renamed.err);

  auto bad = run({"--config", config(R"({"plugin_pins": {"probe": "abc"}})").string(), "plugins"});
  BOOST_TEST(bad.exit_code == 2, bad.err);
  BOOST_TEST(contains(bad.err, "'plugin_pins.probe' must be a SHA-256 as 64 hex digits"), bad.err);
}

BOOST_FIXTURE_TEST_CASE(the_host_is_not_dumpable_and_has_no_core_limit_unless_asked, Trust) {
  auto guarded = process_state(run({"--plugin-dir", dir.string(), "invoke", "probe.process"}));
  BOOST_TEST(guarded.at("dumpable").as_int64() == 0);
  BOOST_TEST(guarded.at("core_limit").to_number<std::uint64_t>() == 0u);
  BOOST_TEST(guarded.at("core_hard_limit").to_number<std::uint64_t>() == 0u);

  rlimit mine{};
  BOOST_REQUIRE(::getrlimit(RLIMIT_CORE, &mine) == 0);
  for (const auto &allowed :
       {run({"--allow-core-dumps", "--plugin-dir", dir.string(), "invoke", "probe.process"}),
        run({"--plugin-dir", dir.string(), "invoke", "probe.process"},
            {{"AUTOHOST_ALLOW_CORE_DUMPS", "1"}})}) {
    const auto state = process_state(allowed);
    BOOST_TEST(state.at("dumpable").as_int64() == 1);
    BOOST_TEST(state.at("core_limit").to_number<std::uint64_t>() ==
               static_cast<std::uint64_t>(mine.rlim_cur));
  }
  auto bad = run({"--plugin-dir", dir.string(), "invoke", "probe.process"},
                 {{"AUTOHOST_ALLOW_CORE_DUMPS", "yes"}});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(contains(bad.err, "AUTOHOST_ALLOW_CORE_DUMPS must be 1 or 0"), bad.err);
}

// A plugin runs in the host's process: the master key given in the environment must not be
// there for it (nor for a child process) to read, yet the store still opens with it.
BOOST_FIXTURE_TEST_CASE(the_master_key_leaves_the_environment_once_read, Trust) {
  const auto state = process_state(run({"--plugin-dir", dir.string(), "invoke", "probe.process"}));
  BOOST_TEST(state.at("master_key_in_env").as_bool() == false);
  BOOST_TEST(state.at("proc_environ_bytes").to_number<std::uint64_t>() > 0u); // HOME, PATH...
  BOOST_TEST(state.at("master_key_in_proc_environ").as_bool() == false);

  auto put = run({"--plugin-dir", dir.string(), "invoke", "probe.secret_put", "--input",
                  R"({"key":"probe/kept","value":"v1"})"});
  BOOST_TEST_REQUIRE(put.exit_code == 0, put.err);
  auto got = run({"--plugin-dir", dir.string(), "invoke", "probe.secret_get", "--input",
                  R"({"key":"probe/kept"})"});
  BOOST_TEST_REQUIRE(got.exit_code == 0, got.err);
  BOOST_TEST(json::parse(got.out).at("value").as_string() == "v1");
  // Sealed with the key from the environment: another key cannot open the store.
  auto other = run({"--plugin-dir", dir.string(), "invoke", "probe.secret_get", "--input",
                    R"({"key":"probe/kept"})"},
                   {{"AUTOHOST_MASTER_KEY", std::string(64, 'b')}});
  BOOST_TEST(other.exit_code == 11, other.err);
}
