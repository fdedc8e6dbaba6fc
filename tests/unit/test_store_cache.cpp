// The SQLite secret store's cache of sealed rows: a read never answers with a value older
// than a write that finished before it began, whether the write came from this store,
// another store on the same file, another process, or a process killed while writing; a
// writer that does not signal (the sqlite3 shell) is seen once the entry's lifetime ends.
#define BOOST_TEST_MODULE store_cache
#include <boost/test/unit_test.hpp>

#include "process.hpp"
#include "store/change_signal.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

using namespace autohost;
using namespace autohost::store;
using namespace autohost::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char *key_hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr const char *token = "threads/accounts/alice/token";

struct Place {
  TempDir dir;
  fs::path file = dir.path() / "store.db";
};

SecretStoreOptions options(const Place &place,
                           std::chrono::milliseconds lifetime = std::chrono::hours(1)) {
  SecretStoreOptions o{place.file.string(), KeySource{key_hex, place.dir / "master.key"}};
  o.cache_lifetime = lifetime;
  return o;
}

std::string value_of(std::uint64_t version) { return "token-" + std::to_string(version); }

std::optional<StoredSecret> read(SqlSecretStore &store, const std::string &key = token) {
  auto got = store.get(key);
  BOOST_REQUIRE_MESSAGE(got, (got ? "" : got.error().body));
  return std::move(got).value();
}

// What the file holds now, read by a store that keeps nothing.
std::optional<StoredSecret> stored(const Place &place) {
  auto fresh = open_ok(options(place, 0ms));
  return read(*fresh);
}

} // namespace

// The host's own writes and those of a second store on the file (as a second process has):
// the next read answers with them, and reads between writes come from the cache.
BOOST_AUTO_TEST_CASE(a_write_through_either_store_is_read_at_once) {
  Place place;
  auto reader = open_ok(options(place));
  auto writer = open_ok(options(place));
  BOOST_REQUIRE(reader->put(token, value_of(1), 0));
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(read(*reader)->value == value_of(1));
  BOOST_TEST(reader->cached_reads() == 2u);

  BOOST_REQUIRE(writer->put(token, value_of(2), 1));
  BOOST_TEST(read(*reader)->value == value_of(2));
  BOOST_REQUIRE(reader->put(token, value_of(3), 2));
  BOOST_TEST(read(*reader)->value == value_of(3));
  BOOST_REQUIRE(writer->remove(token, AH_VERSION_ANY));
  BOOST_TEST(!read(*reader).has_value());
  const PutRequest again{token, value_of(5), 0};
  BOOST_REQUIRE(writer->put_many({&again, 1}));
  BOOST_TEST(read(*reader)->value == value_of(5));
  BOOST_TEST(read(*reader)->version == 5u);
}

// The version probe (ABI 1.4 secret_version) answers from the kept row, and like get sees
// at once a write of this store, of another store, a delete and a re-create.
BOOST_AUTO_TEST_CASE(the_version_probe_sees_every_finished_write_at_once) {
  Place place;
  auto reader = open_ok(options(place));
  auto writer = open_ok(options(place));
  BOOST_TEST(reader->version(token).value() == 0u);
  BOOST_REQUIRE(writer->put(token, value_of(1), 0));
  BOOST_TEST(reader->version(token).value() == 1u); // read, and kept
  BOOST_TEST(reader->version(token).value() == 1u);
  BOOST_TEST(read(*reader)->value == value_of(1));
  BOOST_TEST(reader->cached_reads() == 2u);

  BOOST_REQUIRE(writer->put(token, value_of(2), 1));
  BOOST_TEST(reader->version(token).value() == 2u);
  BOOST_REQUIRE(reader->put(token, value_of(3), 2));
  BOOST_TEST(reader->version(token).value() == 3u);
  BOOST_REQUIRE(writer->remove(token, AH_VERSION_ANY));
  BOOST_TEST(reader->version(token).value() == 0u);
  BOOST_REQUIRE(writer->put(token, value_of(5), 0));
  BOOST_TEST(reader->version(token).value() == 5u);
  auto bad = reader->version("bad key");
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().status == AH_INVALID_INPUT);
}

// `autohost secrets set` in a process of its own, while this one holds the old row.
BOOST_AUTO_TEST_CASE(a_write_by_another_process_is_read_at_once) {
  Place place;
  auto reader = open_ok(options(place));
  BOOST_REQUIRE(reader->put(token, value_of(1), 0));
  BOOST_TEST(read(*reader)->value == value_of(1));
  BOOST_TEST(read(*reader)->value == value_of(1));
  BOOST_TEST(reader->cached_reads() == 1u);

  ProcessOptions run;
  run.env = private_autohost_env(place.dir.path(), place.dir.path() / "state");
  run.env["AUTOHOST_STORE"] = place.file.string();
  run.env["AUTOHOST_MASTER_KEY"] = key_hex;
  run.stdin_text = value_of(2);
  const auto set = run_process(required_env("AUTOHOST_BIN"), {"secrets", "set", token}, run);
  BOOST_REQUIRE_MESSAGE(set.exit_code == 0, set.err);
  BOOST_TEST(read(*reader)->value == value_of(2));
  BOOST_TEST(read(*reader)->version == 2u);
}

// Readers on one store while another store writes version after version: none reads (or
// probes) a version older than the last one whose write had returned before the read began.
BOOST_AUTO_TEST_CASE(readers_never_see_a_row_older_than_a_finished_write_of_another_store) {
  Place place;
  auto readers_store = open_ok(options(place));
  auto writer = open_ok(options(place));
  BOOST_REQUIRE(writer->put(token, value_of(1), 0));

  constexpr std::uint64_t last = 300;
  std::atomic<std::uint64_t> committed{1};
  std::atomic<bool> writing{true};
  std::atomic<bool> stale{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      for (bool more = true; more;) {
        more = writing.load();
        const std::uint64_t before = committed.load();
        if (auto probed = readers_store->version(token); !probed || probed.value() < before) {
          stale = true;
          return;
        }
        auto got = readers_store->get(token);
        if (!got || !got.value() || got.value()->version < before ||
            got.value()->value != value_of(got.value()->version)) {
          stale = true;
          return;
        }
      }
    });
  }
  for (std::uint64_t version = 2; version <= last; ++version) {
    auto put = writer->put(token, value_of(version), version - 1);
    BOOST_REQUIRE(put && put->outcome == WriteOutcome::written);
    committed = version;
  }
  writing = false;
  for (auto &reader : readers)
    reader.join();
  BOOST_TEST(!stale.load());
  BOOST_TEST(read(*readers_store)->version == last);
}

// A process killed at a random point of its writes: the reader, which read throughout, never
// saw a version older than one the writer had finished, and afterwards reads what is stored.
BOOST_AUTO_TEST_CASE(a_writer_killed_while_writing_leaves_no_stale_row) {
  Place place;
  { open_ok(options(place))->put(token, value_of(1), 0).value(); }
  // The version the child has finished writing, shared with it.
  auto *finished = static_cast<std::atomic<std::uint64_t> *>(
      ::mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  BOOST_REQUIRE(finished != MAP_FAILED);
  new (finished) std::atomic<std::uint64_t>(1);
  constexpr auto lifetime = 500ms;

  for (int round = 0; round < 5; ++round) {
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
      auto writer = SqlSecretStore::open(options(place));
      for (int i = 0; writer && i < 100000; ++i) {
        const std::uint64_t next = finished->load() + 1;
        auto put = (*writer)->put(token, value_of(next), next - 1);
        if (!put || put->outcome != WriteOutcome::written)
          ::_exit(3);
        finished->store(next);
      }
      ::_exit(writer ? 0 : 2);
    }
    auto reader = open_ok(options(place, lifetime));
    const auto kill_at = std::chrono::steady_clock::now() + 50ms + round * 37ms;
    bool stale = false;
    while (std::chrono::steady_clock::now() < kill_at) {
      const std::uint64_t before = finished->load();
      auto got = read(*reader);
      stale = stale || !got || got->version < before;
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    BOOST_TEST_CONTEXT("round " << round) {
      BOOST_TEST(WIFSIGNALED(status));
      BOOST_TEST(!stale);
      const auto now_stored = stored(place);
      BOOST_REQUIRE(now_stored.has_value());
      // At once, unless the kill fell between a commit and its signal: then within the
      // entry's lifetime.
      const auto deadline = std::chrono::steady_clock::now() + lifetime + 1s;
      while (read(*reader)->version != now_stored->version &&
             std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
      BOOST_TEST(read(*reader)->version == now_stored->version);
      // The next child continues from what is stored (the kill may have come after a commit
      // but before the child noted it).
      finished->store(now_stored->version);
    }
  }
  ::munmap(finished, sizeof(std::atomic<std::uint64_t>));
}

// The sqlite3 shell writes without bumping the counters: its change is read once the
// entry's lifetime is over, never later.
BOOST_AUTO_TEST_CASE(a_writer_that_does_not_signal_is_seen_when_the_entry_expires) {
  Place place;
  auto reader = open_ok(options(place, 300ms));
  BOOST_REQUIRE(reader->put(token, value_of(1), 0));
  BOOST_TEST(read(*reader).has_value());
  raw_sql(place.file, "UPDATE secrets SET sealed = NULL, version = version + 1");
  std::this_thread::sleep_for(350ms);
  BOOST_TEST(!read(*reader).has_value());
}

namespace {

// With a `-changes` file that is not what autohost writes, the store works and reads the
// file every time.
void expect_no_cache(const Place &place) {
  auto store = open_ok(options(place));
  BOOST_REQUIRE(store->put(token, value_of(1), 0));
  auto other = open_ok(options(place));
  for (std::uint64_t v = 2; v < 5; ++v) {
    BOOST_REQUIRE(other->put(token, value_of(v), v - 1));
    BOOST_TEST(read(*store)->value == value_of(v));
    BOOST_TEST(read(*store)->value == value_of(v));
  }
  BOOST_TEST(store->cached_reads() == 0u);
}

fs::path changes_of(const Place &place) { return ChangeSignal::file_of(place.file); }

std::string contents(const fs::path &file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

BOOST_AUTO_TEST_CASE(a_changes_file_of_another_format_is_left_alone) {
  Place place;
  std::ofstream(changes_of(place)) << std::string(64, 'x');
  BOOST_REQUIRE_EQUAL(::chmod(changes_of(place).c_str(), 0600), 0);
  expect_no_cache(place);
  BOOST_TEST(contents(changes_of(place)) == std::string(64, 'x'));
}

BOOST_AUTO_TEST_CASE(a_changes_file_writable_by_others_is_left_alone) {
  Place place;
  std::ofstream(changes_of(place)).close();
  BOOST_REQUIRE_EQUAL(::chmod(changes_of(place).c_str(), 0666), 0);
  expect_no_cache(place);
  BOOST_TEST(contents(changes_of(place)).empty());
}

BOOST_AUTO_TEST_CASE(a_changes_file_of_another_owner_is_left_alone) {
  if (::geteuid() != 0)
    return; // only root can make a file of another user's
  Place place;
  std::ofstream(changes_of(place)).close();
  BOOST_REQUIRE_EQUAL(::chown(changes_of(place).c_str(), 4321, 4321), 0);
  expect_no_cache(place);
  BOOST_TEST(contents(changes_of(place)).empty());
}

BOOST_AUTO_TEST_CASE(a_changes_file_that_is_a_link_is_not_followed) {
  Place place;
  fs::create_symlink(place.dir.path() / "elsewhere", changes_of(place));
  expect_no_cache(place);
  BOOST_TEST(!fs::exists(place.dir.path() / "elsewhere"));
}

// An operator's `sudo autohost secrets set` on a store of the daemon's user, before the
// daemon made the file: the file is the store owner's, so the daemon can open it.
BOOST_AUTO_TEST_CASE(root_gives_a_new_changes_file_to_the_stores_owner) {
  if (::geteuid() != 0)
    return; // only root can make a file of another user's
  Place place;
  { open_ok(options(place, 0ms))->put(token, value_of(1), 0).value(); }
  BOOST_REQUIRE_EQUAL(::chown(place.file.c_str(), 4321, 4322), 0);
  fs::remove(changes_of(place));
  { open_ok(options(place, 0ms))->put(token, value_of(2), 1).value(); } // the operator's write
  auto store = open_ok(options(place));
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(changes_of(place).c_str(), &st), 0);
  BOOST_TEST(st.st_uid == 4321u);
  BOOST_TEST(st.st_gid == 4322u);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(read(*store)->value == value_of(2));
  BOOST_TEST(read(*store)->value == value_of(2));
  BOOST_TEST(store->cached_reads() == 1u);
}

// `autohost invoke` and other one-call commands keep no rows, but signal their writes: a
// daemon that kept the row reads the new value at once (not after the row's lifetime).
BOOST_AUTO_TEST_CASE(a_store_without_a_lifetime_keeps_no_rows_but_signals_its_writes) {
  Place place;
  auto daemon = open_ok(options(place));
  auto one_call = open_ok(options(place, 0ms));
  BOOST_REQUIRE(one_call->put(token, value_of(1), 0));
  BOOST_TEST(read(*one_call)->value == value_of(1));
  BOOST_TEST(read(*one_call)->value == value_of(1));
  BOOST_TEST(one_call->cached_reads() == 0u);
  BOOST_TEST(read(*daemon)->value == value_of(1));
  BOOST_TEST(daemon->version(token).value() == 1u);
  BOOST_REQUIRE(one_call->put(token, value_of(2), 1));
  BOOST_TEST(daemon->version(token).value() == 2u);
  BOOST_TEST(read(*daemon)->value == value_of(2));
  BOOST_TEST(fs::exists(changes_of(place)));
}

// A batch read (a sweep's) answers from the rows kept but keeps none of its own: they are
// rewritten next, and keeping them would push out the rows single reads come back for.
BOOST_AUTO_TEST_CASE(a_batch_read_uses_the_rows_kept_and_keeps_none) {
  Place place;
  auto store = open_ok(options(place));
  const std::string other = "threads/accounts/bob/token";
  BOOST_REQUIRE(store->put(token, value_of(1), 0));
  BOOST_REQUIRE(store->put(other, value_of(1), 0));
  BOOST_TEST(read(*store)->value == value_of(1)); // kept
  const std::vector<std::string_view> keys{token, other};
  auto got = store->get_many(keys);
  BOOST_REQUIRE(got);
  BOOST_TEST((got.value()[1] && got.value()[1].value()->value == value_of(1)));
  BOOST_TEST(store->cached_reads() == 1u); // token's row, from the cache
  BOOST_TEST(read(*store, other)->value == value_of(1));
  BOOST_TEST(store->cached_reads() == 1u); // the batch did not keep bob's
  BOOST_TEST(read(*store, other)->value == value_of(1));
  BOOST_TEST(store->cached_reads() == 2u); // the single read did
}
