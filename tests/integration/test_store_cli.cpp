// The secret store through the autohost command line when its disk or its files are in a
// bad way: a full disk, a truncated file, a rolled-back value, no state directory, umask 000.
#define BOOST_TEST_MODULE store_cli
#include <boost/test/unit_test.hpp>

#include "cli_world.hpp"

#include <boost/json.hpp>

#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

using namespace autohost::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct Cli : CliWorld {
  fs::path state = home / "state"; // a case may move it

  ProcessResult run(std::vector<std::string> args, std::string stdin_text = {},
                    std::map<std::string, std::optional<std::string>> extra_env = {}) {
    extra_env.emplace("AUTOHOST_STATE_DIR", state.string());
    return CliWorld::run(std::move(args), std::move(stdin_text), std::move(extra_env));
  }

  std::string reveal(const std::string &key) {
    auto r = run({"secrets", "get", key, "--reveal"});
    BOOST_TEST(r.exit_code == 0, r.err);
    if (!r.out.empty() && r.out.back() == '\n')
      r.out.pop_back();
    return r.out;
  }
};

unsigned mode_of(const fs::path &path) {
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

// A tmpfs of `bytes`, in a mount namespace of this test process alone (inherited by the
// autohost processes it starts), so nothing outlives the test. False when mounting is not
// permitted here.
bool mount_small_disk(const fs::path &dir, std::size_t bytes) {
  fs::create_directories(dir);
  if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
    return false;
  const std::string size = "size=" + std::to_string(bytes) + ",mode=0700";
  return ::mount("tmpfs", dir.c_str(), "tmpfs", 0, size.c_str()) == 0;
}

// Writes to `file` until the disk says it is full.
void fill_disk(const fs::path &file) {
  std::FILE *out = std::fopen(file.c_str(), "wb");
  BOOST_REQUIRE(out != nullptr);
  const std::string block(4096, 'f');
  while (std::fwrite(block.data(), 1, block.size(), out) == block.size() && std::fflush(out) == 0) {
  }
  std::fclose(out);
}

} // namespace

// Item 4: reading needs no free space; writing on a full disk fails clearly and loses nothing.
BOOST_FIXTURE_TEST_CASE(a_full_disk_still_reads_and_refuses_writes_without_loss, Cli) {
  const fs::path disk = home / "disk";
  if (!mount_small_disk(disk, 1024 * 1024)) {
    std::cout << "SKIP: cannot mount a small tmpfs here (" << std::strerror(errno)
              << "); the full-disk test needs root or CAP_SYS_ADMIN" << std::endl;
    std::_Exit(77);
  }
  state = disk / "state";
  BOOST_REQUIRE_EQUAL(run({"secrets", "set", "a/one"}, "THfirst").exit_code, 0);
  BOOST_REQUIRE_EQUAL(run({"secrets", "set", "a/two"}, "THsecond").exit_code, 0);
  BOOST_REQUIRE_EQUAL(run({"schedule", "list"}).exit_code, 0);
  fill_disk(disk / "filler");

  BOOST_TEST(reveal("a/one") == "THfirst");
  auto listed = run({"secrets", "list", "--json"});
  BOOST_TEST(listed.exit_code == 0, listed.err);
  BOOST_TEST(json::parse(listed.out).as_array().size() == 2u);
  auto schedules = run({"schedule", "list"});
  BOOST_TEST(schedules.exit_code == 0, schedules.err);

  for (const auto &args : std::vector<std::vector<std::string>>{
           {"secrets", "set", "a/three"}, {"secrets", "set", "a/one", "--expect-version", "1"}}) {
    auto write = run(args, "THlost");
    BOOST_TEST(write.exit_code == 11, write.err);
    const std::string message = message_of(write);
    BOOST_TEST(contains(message, (state / "store.db").string() + " is on a full disk"), message);
    BOOST_TEST(contains(message, "nothing was written"), message);
  }

  fs::remove(disk / "filler");
  BOOST_TEST(reveal("a/one") == "THfirst");
  BOOST_TEST(reveal("a/two") == "THsecond");
  BOOST_TEST(run({"secrets", "get", "a/three"}).exit_code == 4);
  BOOST_TEST(run({"secrets", "set", "a/three"}, "THnow").exit_code == 0);
  ::umount2(disk.c_str(), MNT_DETACH);
}

// Item 5: a store truncated to 0 bytes is refused, not silently replaced by an empty one.
BOOST_FIXTURE_TEST_CASE(a_truncated_store_is_refused_with_exit_11, Cli) {
  BOOST_REQUIRE_EQUAL(run({"secrets", "set", "k"}, "THprecious").exit_code, 0);
  fs::resize_file(state / "store.db", 0);
  for (const auto &args :
       std::vector<std::vector<std::string>>{{"secrets", "list"}, {"secrets", "set", "k2"}}) {
    auto r = run(args, "v");
    BOOST_TEST(r.exit_code == 11, r.err);
    BOOST_TEST(contains(message_of(r), (state / "store.db").string() + " is empty (0 bytes)"));
  }
  BOOST_TEST(fs::file_size(state / "store.db") == 0u);
}

// Item 8: a value rolled back to an older ciphertext is an error naming the key, exit 11.
BOOST_FIXTURE_TEST_CASE(a_rolled_back_value_is_refused_with_exit_11, Cli) {
  BOOST_REQUIRE_EQUAL(run({"secrets", "set", "threads/app/secret"}, "THold").exit_code, 0);
  const fs::path file = state / "store.db";
  auto sql = [&](const char *text) {
    sqlite3 *db = nullptr;
    BOOST_REQUIRE_EQUAL(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    BOOST_REQUIRE_EQUAL(sqlite3_exec(db, text, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  };
  sql("CREATE TABLE saved AS SELECT sealed FROM secrets WHERE key = 'threads/app/secret'");
  BOOST_REQUIRE_EQUAL(run({"secrets", "set", "threads/app/secret"}, "THnew").exit_code, 0);
  sql("UPDATE secrets SET sealed = (SELECT sealed FROM saved) WHERE key = 'threads/app/secret'");
  auto r = run({"secrets", "get", "threads/app/secret", "--reveal"});
  BOOST_TEST(r.exit_code == 11, r.err);
  BOOST_TEST(contains(message_of(r), "'threads/app/secret' (version 2)"));
  BOOST_TEST(contains(message_of(r), "rolled back"));
  BOOST_TEST(!contains(r.out + r.err, "THold"));
}

// Item 9: no HOME and no XDG variables: ask for AUTOHOST_STATE_DIR instead of writing the
// store into whatever directory the command ran in.
BOOST_FIXTURE_TEST_CASE(no_home_and_no_state_dir_is_a_clear_error, Cli) {
  const fs::path was = fs::current_path();
  fs::current_path(home.path()); // where the old code put ./.autohost
  auto r =
      run({"secrets", "list"}, {}, {{"HOME", std::nullopt}, {"AUTOHOST_STATE_DIR", std::nullopt}});
  fs::current_path(was);
  BOOST_TEST(r.exit_code == 11, r.err);
  BOOST_TEST(contains(message_of(r), "set AUTOHOST_STATE_DIR"));
  BOOST_TEST(!fs::exists(home / ".autohost"));
  // Commands that need no store still work.
  auto plugins = run({"--plugin", required_env("THREADS_PLUGIN"), "plugins"}, {},
                     {{"HOME", std::nullopt}, {"AUTOHOST_STATE_DIR", std::nullopt}});
  BOOST_TEST(plugins.exit_code == 0, plugins.err);
}

// Item 7: under umask 000 the state directory and the parents the host creates are 0700.
BOOST_FIXTURE_TEST_CASE(state_directories_are_private_under_umask_000, Cli) {
  state = home / "made" / "by" / "autohost";
  const mode_t old = ::umask(0);
  auto r = run({"secrets", "set", "k"}, "v");
  ::umask(old);
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  for (const fs::path &dir : {home / "made", home / "made" / "by", state})
    BOOST_TEST(mode_of(dir) == 0700u, dir);
  for (const auto &entry : fs::directory_iterator(state))
    BOOST_TEST((mode_of(entry.path()) & 077) == 0u, entry.path());
}
