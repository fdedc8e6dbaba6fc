// The secret store's files and format: what is created and how, what is refused (empty,
// writable by others, garbage, foreign or damaged), first use by several processes at once,
// a writer blocked by another's file lock, and rollback of values. SQLite only: the contract
// that both backends keep is in test_store.cpp.
#define BOOST_TEST_MODULE store_files
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "result_print.hpp"
#include "store/sealing.hpp"
#include "store/sql_secret_store.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

using namespace autohost;
using namespace autohost::store;
using namespace autohost::test;
namespace fs = std::filesystem;

namespace {

constexpr const char *key_hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

SecretStoreOptions options(const fs::path &file, std::optional<std::string> env_key = key_hex) {
  return SecretStoreOptions{file, KeySource{std::move(env_key), file.parent_path() / "master.key"}};
}

unsigned mode_of(const fs::path &path) {
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

MasterKey the_key() {
  BOOST_REQUIRE(sodium_ready());
  MasterKey key;
  for (std::size_t i = 0; i < key.size(); ++i)
    key.data()[i] =
        static_cast<unsigned char>(std::stoi(std::string(key_hex + 2 * i, 2), nullptr, 16));
  return key;
}

// A store as autohost wrote it before values were bound to their version (format 1):
// values sealed with their key name only, a format 1 key check.
void write_format_1_store(const fs::path &file) {
  const MasterKey key = the_key();
  raw_sql(file, "PRAGMA journal_mode=WAL; PRAGMA application_id = 1095258964;"
                "CREATE TABLE meta (name TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;"
                "CREATE TABLE secrets (key TEXT PRIMARY KEY, version INTEGER NOT NULL, "
                "sealed BLOB, updated_ms INTEGER NOT NULL) STRICT;");
  raw_sql(file, "INSERT INTO meta VALUES ('key_check', ?), ('schema_version', '1')",
          {seal(key, "autohost secret store key check v1", "meta:key_check")});
  raw_sql(file,
          "INSERT INTO secrets VALUES ('a/token', 3, ?, 1000), ('b/token', 1, ?, 1000),"
          "('c/gone', 2, NULL, 1000)",
          {seal(key, "alpha", "a/token"), seal(key, "bravo", "b/token")});
}

} // namespace

// Item 5: only a missing file is created.
BOOST_AUTO_TEST_CASE(an_empty_store_beside_its_key_is_refused_not_recreated) {
  TempDir dir;
  const auto o = options(dir / "store.db", std::nullopt);
  BOOST_REQUIRE(open_ok(o)->put("k", "precious", 0));
  const std::string key_before = test::read_file(dir / "master.key");
  fs::resize_file(dir / "store.db", 0);
  const std::string error = open_error(o);
  BOOST_TEST(contains(error, (dir / "store.db").string() + " is empty (0 bytes)"), error);
  BOOST_TEST(contains(error, (dir / "master.key").string()), error);
  BOOST_TEST(contains(error, "the store was truncated"), error);
  BOOST_TEST(fs::file_size(dir / "store.db") == 0u);
  BOOST_TEST(test::read_file(dir / "master.key") == key_before);
}

BOOST_AUTO_TEST_CASE(an_empty_store_beside_a_wal_or_alone_is_refused) {
  TempDir dir;
  std::ofstream(dir / "store.db").close();
  std::ofstream(dir / "store.db-wal") << "frames";
  BOOST_TEST(contains(open_error(options(dir / "store.db")), "store.db-wal exist"));
  fs::remove(dir / "store.db-wal");
  const std::string alone = open_error(options(dir / "store.db"));
  BOOST_TEST(contains(alone, "is empty (0 bytes)"), alone);
  BOOST_TEST(contains(alone, "remove it to start a new store"), alone);
  BOOST_TEST(fs::file_size(dir / "store.db") == 0u);
}

// Item 7: whatever the umask, what the store creates is private.
BOOST_AUTO_TEST_CASE(directories_and_files_created_under_umask_000_are_private) {
  TempDir dir;
  const mode_t old = ::umask(0);
  auto store = SqlSecretStore::open(options(dir / "state" / "deep" / "store.db", std::nullopt));
  ::umask(old);
  BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().body));
  BOOST_TEST(mode_of(dir / "state") == 0700u);
  BOOST_TEST(mode_of(dir / "state" / "deep") == 0700u);
  BOOST_TEST(mode_of(dir / "state" / "deep" / "store.db") == 0600u);
  BOOST_TEST(mode_of(dir / "state" / "deep" / "master.key") == 0600u);
  for (const auto &entry : fs::directory_iterator(dir / "state" / "deep"))
    BOOST_TEST((mode_of(entry.path()) & 077) == 0u, entry.path());
}

BOOST_AUTO_TEST_CASE(a_store_or_directory_others_can_write_is_refused_with_the_fix) {
  TempDir dir;
  fs::create_directory(dir / "shared");
  const fs::path file = dir / "shared" / "store.db";
  BOOST_REQUIRE(open_ok(options(file))->put("k", "v", 0));

  ::chmod((dir / "shared").c_str(), 0777);
  std::string error = open_error(options(file));
  BOOST_TEST(contains(error, (dir / "shared").string() + " of secret store"), error);
  BOOST_TEST(contains(error, "chmod go-w " + (dir / "shared").string()), error);

  ::chmod((dir / "shared").c_str(), 01777); // sticky, like /tmp: others cannot replace it
  BOOST_TEST(open_ok(options(file))->get("k").value()->value == "v");

  ::chmod((dir / "shared").c_str(), 0700);
  ::chmod(file.c_str(), 0666);
  error = open_error(options(file));
  BOOST_TEST(contains(error, file.string() + " is writable by other users"), error);
  BOOST_TEST(contains(error, "chmod 600 " + file.string()), error);
  ::chmod(file.c_str(), 0600);
  BOOST_TEST(open_ok(options(file))->get("k").value()->value == "v");
}

// Item 6: many processes using a store that does not exist yet, at the same moment, each
// writing right away; the master key file is created by the race too. Repeated, since a
// race shows only sometimes.
BOOST_AUTO_TEST_CASE(first_use_by_many_processes_at_once_loses_nothing) {
  constexpr int rounds = 40;
  constexpr int processes = 6;
  for (int round = 0; round < rounds; ++round) {
    TempDir dir;
    const auto o = options(dir / "state" / "store.db", std::nullopt);
    int go[2];
    BOOST_REQUIRE_EQUAL(::pipe(go), 0);
    std::vector<pid_t> children;
    for (int p = 0; p < processes; ++p) {
      const pid_t child = ::fork();
      BOOST_REQUIRE(child >= 0);
      if (child == 0) {
        ::close(go[1]);
        char start = 0;
        if (::read(go[0], &start, 1) != 0) // all children start when the pipe closes
          ::_exit(3);
        auto opened = SqlSecretStore::open(o);
        if (!opened) {
          std::fprintf(stderr, "%s\n", opened.error().body.c_str());
          ::_exit(2);
        }
        auto put = opened.value()->put("p/" + std::to_string(p), "value", 0);
        if (!put)
          std::fprintf(stderr, "%s\n", put.error().body.c_str());
        ::_exit(put ? 0 : 1);
      }
      children.push_back(child);
    }
    ::close(go[0]);
    ::close(go[1]);
    for (pid_t child : children) {
      int status = 0;
      BOOST_REQUIRE_EQUAL(::waitpid(child, &status, 0), child);
      BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), "round " << round);
    }
    auto store = open_ok(o);
    BOOST_TEST(store->list("p/").value().size() == std::size_t{processes}, "round " << round);
  }
}

// Item 8: a value is bound to its version, so replaying an older ciphertext over a newer
// row is detected instead of returning the old value as the newer version.
BOOST_AUTO_TEST_CASE(an_older_value_copied_over_a_newer_one_fails_to_open) {
  TempDir dir;
  const fs::path file = dir / "store.db";
  auto store = open_ok(options(file));
  BOOST_REQUIRE(store->put("threads/accounts/alice/token", "THold", 0));
  const std::string old_sealed = raw_sealed(file, "threads/accounts/alice/token");
  BOOST_REQUIRE(store->put("threads/accounts/alice/token", "THnew", 1));
  raw_sql(file, "UPDATE secrets SET sealed = ? WHERE key = 'threads/accounts/alice/token'",
          {old_sealed});
  auto got = store->get("threads/accounts/alice/token");
  BOOST_REQUIRE(!got);
  const std::string error = host::error_message(got.error());
  BOOST_TEST(host::error_code(got.error()) == "store_tampered");
  BOOST_TEST(contains(error, "'threads/accounts/alice/token' (version 2)"), error);
  BOOST_TEST(contains(error, "rolled back"), error);
  BOOST_TEST(!contains(got.error().body, "THold"));
}

// Item 8, existing stores: a format 1 file is re-sealed as format 2 on first open, keeping
// every value, version and tombstone; afterwards a format 1 ciphertext no longer opens.
BOOST_AUTO_TEST_CASE(a_format_1_store_is_upgraded_without_losing_anything) {
  TempDir dir;
  const fs::path file = dir / "store.db";
  write_format_1_store(file);
  const std::string old_alpha = raw_sealed(file, "a/token");
  {
    auto store = open_ok(options(file));
    BOOST_TEST(store->get("a/token").value()->value == "alpha");
    BOOST_TEST(store->get("a/token").value()->version == 3u);
    BOOST_TEST(store->get("b/token").value()->value == "bravo");
    BOOST_TEST(!store->get("c/gone").value().has_value());
    BOOST_TEST(store->put("c/gone", "back", 0)->version == 3u); // the counter survived
  }
  BOOST_TEST(raw_sealed(file, "a/token") != old_alpha);
  // Downgrade: put the format 1 ciphertext back, then also claim the store is format 1.
  raw_sql(file, "UPDATE secrets SET sealed = ? WHERE key = 'a/token'", {old_alpha});
  auto store = open_ok(options(file));
  auto got = store->get("a/token");
  BOOST_REQUIRE(!got);
  BOOST_TEST(host::error_code(got.error()) == "store_tampered");
  store.reset();
  raw_sql(file, "UPDATE meta SET value = '1' WHERE name = 'schema_version'");
  const std::string error = open_error(options(file));
  BOOST_TEST(contains(error, "was tampered with"), error);
}

BOOST_AUTO_TEST_CASE(an_upgrade_that_meets_an_altered_value_changes_nothing) {
  TempDir dir;
  const fs::path file = dir / "store.db";
  write_format_1_store(file);
  raw_sql(file, "UPDATE secrets SET sealed = (SELECT sealed FROM secrets WHERE key = 'a/token') "
                "WHERE key = 'b/token'");
  const std::string before = raw_sealed(file, "a/token");
  const std::string error = open_error(options(file));
  BOOST_TEST(contains(error, "'b/token' that cannot be decrypted"), error);
  BOOST_TEST(raw_sealed(file, "a/token") == before);
}

// Moved from the store contract suite: these read, damage or lock the SQLite file itself,
// so they have no PostgreSQL counterpart (the contract suite runs on both backends).
BOOST_AUTO_TEST_CASE(store_file_is_private) {
  TempDir dir;
  open_ok(options(dir / "store.db"));
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat((dir / "store.db").c_str(), &st), 0);
  BOOST_TEST((st.st_mode & 077) == 0u);
}

BOOST_AUTO_TEST_CASE(garbage_file_is_reported_and_left_untouched) {
  TempDir dir;
  const std::string garbage(8192, '\x5a');
  std::ofstream(dir / "store.db", std::ios::binary) << garbage;
  const std::string error = open_error(options(dir / "store.db"));
  BOOST_TEST(contains(error, (dir / "store.db").string()));
  BOOST_TEST(contains(error, "not an SQLite database"));
  BOOST_TEST(test::read_file(dir / "store.db") == garbage);
}

BOOST_AUTO_TEST_CASE(foreign_sqlite_file_is_not_taken_over) {
  TempDir dir;
  raw_sql(dir / "store.db", "CREATE TABLE notes(x); INSERT INTO notes VALUES (1);");
  const std::string before = test::read_file(dir / "store.db");
  BOOST_TEST(contains(open_error(options(dir / "store.db")), "not an autohost store"));
  BOOST_TEST(test::read_file(dir / "store.db") == before);
}

BOOST_AUTO_TEST_CASE(damaged_pages_give_a_corruption_error) {
  TempDir dir;
  {
    auto store = open_ok(options(dir / "store.db"));
    for (int i = 0; i < 300; ++i) {
      BOOST_REQUIRE(store->put("key/" + std::to_string(i), std::string(200, 'v'), 0));
    }
  }
  std::string bytes = test::read_file(dir / "store.db");
  BOOST_REQUIRE(bytes.size() > 16384);
  for (size_t i = 4096; i < bytes.size(); i += 1)
    bytes[i] = static_cast<char>(i * 7);
  std::ofstream(dir / "store.db", std::ios::binary | std::ios::trunc) << bytes;
  auto store = SqlSecretStore::open(options(dir / "store.db"));
  std::string error;
  if (!store) {
    error = host::error_message(store.error());
  } else {
    auto listed = store.value()->list("");
    BOOST_REQUIRE(!listed);
    error = host::error_message(listed.error());
  }
  BOOST_TEST(contains(error, "corrupt"), error);
}

BOOST_AUTO_TEST_CASE(a_batch_blocked_by_another_writer_is_store_busy_and_writes_nothing) {
  TempDir dir;
  auto o = options(dir / "store.db");
  o.busy_timeout_ms = 0;
  auto store = open_ok(o);
  BOOST_REQUIRE(store->put("c/a", "old", 0));
  // Another connection holds the write lock.
  sqlite3 *other = nullptr;
  BOOST_REQUIRE_EQUAL(sqlite3_open((dir / "store.db").c_str(), &other), SQLITE_OK);
  BOOST_REQUIRE_EQUAL(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const std::vector<PutRequest> puts = {{"c/a", "new", 1}, {"c/b", "b", 0}};
  auto batch = store->put_many(puts);
  BOOST_REQUIRE(!batch);
  BOOST_TEST(batch.error().status == AH_RETRY_LATER);
  BOOST_TEST(contains(batch.error().body, "store_busy"));
  BOOST_TEST(contains(host::error_message(batch.error()), "writing a batch of 2 secrets"));
  BOOST_REQUIRE_EQUAL(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  BOOST_TEST(store->get("c/a").value()->value == "old");
  BOOST_TEST(store->get("c/a").value()->version == 1u);
  BOOST_TEST(!store->get("c/b").value().has_value());
  // The connection is usable again, and the same batch now goes through.
  auto again = store->put_many(puts);
  BOOST_REQUIRE(again);
  BOOST_TEST(again.value()[0]->version == 2u);
  BOOST_TEST(again.value()[1]->version == 1u);
}

// Reads run on connections of their own, outside the writer's lock: a read body that tried
// to write would change the file without it, so those connections refuse writes.
BOOST_AUTO_TEST_CASE(a_read_transaction_cannot_write) {
  TempDir dir;
  auto store = open_ok(options(dir / "store.db"));
  BOOST_REQUIRE(store->put("c/a", "kept", 0));
  auto wrote = store->backend().read("trying to write", [](sql::Session &s) -> Result<Done> {
    s.exec("DELETE FROM secrets");
    return Done{};
  });
  BOOST_REQUIRE(!wrote);
  BOOST_TEST(contains(host::error_message(wrote.error()), "while trying to write"));
  BOOST_TEST(store->get("c/a").value()->value == "kept");
}
