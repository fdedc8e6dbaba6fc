// The secret store's contract: compare-and-set, tombstones, batches, encryption at rest, key
// handling and several processes writing at once. Every case runs on SQLite (suite unit) and
// on PostgreSQL (suite pg: the same binary with AUTOHOST_TEST_BACKEND=postgres, each case in
// a fresh database of one throw-away cluster). What only an SQLite file has (its mode,
// garbage or damaged pages, another process's file lock) is in test_store_files.cpp.
#define BOOST_TEST_MODULE store
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "result_print.hpp"
#include "store/pg/connection.hpp"
#include "store/sealing.hpp"
#include "store/sql_secret_store.hpp"
#include "store_location.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>

using namespace autohost;
using namespace autohost::store;
using namespace autohost::test;
namespace fs = std::filesystem;

namespace {

constexpr const char *key_a = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr const char *key_b = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

// A test's directory (the key file lives there) and its store: a file in it on SQLite, a
// fresh database on PostgreSQL.
struct Place {
  TempDir dir;
  std::string location = fresh_store_location(dir.path());
  fs::path operator/(const fs::path &name) const { return dir / name; }
};

SecretStoreOptions options(const Place &place, std::optional<std::string> env_key = key_a) {
  return SecretStoreOptions{place.location, KeySource{std::move(env_key), place / "master.key"}};
}

std::unique_ptr<pg::Connection> pg_connect(const Place &place) {
  auto connection = pg::Connection::open(pg::ConnectOptions{place.location});
  BOOST_REQUIRE_MESSAGE(connection, (connection ? "" : connection.error().message));
  return std::move(connection).value();
}

// Runs SQL on the store behind its back, as whoever can reach the file or the database.
void raw_sql(const Place &place, const std::string &sql) {
  if (!testing_postgres())
    return test::raw_sql(place / "store.db", sql);
  auto done = pg_connect(place)->exec(sql);
  BOOST_REQUIRE_MESSAGE(done, (done ? "" : done.error().message));
}

// The sealed bytes (nonce || ciphertext) of `key` as the backend keeps them.
std::string raw_sealed(const Place &place, const std::string &key) {
  if (!testing_postgres())
    return test::raw_sealed(place / "store.db", key);
  auto rows = pg_connect(place)->execute("SELECT sealed FROM secrets WHERE key = $1",
                                         {std::string_view(key)});
  BOOST_REQUIRE(rows && rows->size() == 1);
  return rows->bytea(0, 0).value();
}

// Everything the store holds at rest, as bytes: its files, and on PostgreSQL every stored
// key and sealed value as the server returns them.
std::string at_rest(const Place &place) {
  std::string all;
  for (const auto &entry : fs::directory_iterator(place.dir.path()))
    all += test::read_file(entry.path());
  if (testing_postgres()) {
    auto rows = pg_connect(place)->exec("SELECT key, sealed FROM secrets");
    BOOST_REQUIRE(rows);
    for (int r = 0; r < rows->size(); ++r)
      all += std::string(rows->text(r, 0)) + rows->bytea(r, 1).value();
  }
  return all;
}

// Whether opening left the store as it was before: no file, or no table in the database.
bool nothing_created(const Place &place) {
  if (!testing_postgres())
    return !fs::exists(place / "store.db") || fs::file_size(place / "store.db") == 0u;
  auto rows = pg_connect(place)->exec("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
  BOOST_REQUIRE(rows);
  return rows->int64(0, 0).value() == 0;
}

// XChaCha20-Poly1305-IETF puts a 24-byte nonce before the ciphertext.
constexpr std::size_t nonce_bytes = 24;

} // namespace

BOOST_AUTO_TEST_CASE(compare_and_set_follows_versions) {
  Place dir;
  auto store = open_ok(options(dir));
  auto first = store->put("a/token", "v1", 0);
  BOOST_REQUIRE(first);
  BOOST_TEST((first->outcome == WriteOutcome::written));
  BOOST_TEST(first->version == 1u);

  auto again = store->put("a/token", "other", 0); // 0 = must not exist
  BOOST_REQUIRE(again);
  BOOST_TEST((again->outcome == WriteOutcome::conflict));
  BOOST_TEST(again->version == 1u);

  BOOST_TEST(store->put("a/token", "v2", 1)->version == 2u);
  auto stale = store->put("a/token", "lost", 1);
  BOOST_TEST((stale->outcome == WriteOutcome::conflict));
  BOOST_TEST(stale->version == 2u);
  BOOST_TEST(store->put("a/token", "v3", AH_VERSION_ANY)->version == 3u);

  auto got = store->get("a/token");
  BOOST_REQUIRE(got && got.value());
  BOOST_TEST(got.value()->value == "v3");
  BOOST_TEST(got.value()->version == 3u);
  BOOST_TEST(!store->get("missing").value().has_value());
}

// Two processes hold the store open; one refreshes a token while the other still holds the
// version it read. The late writer is refused, and the newer token is what the store keeps.
BOOST_AUTO_TEST_CASE(a_stale_write_from_another_process_never_replaces_a_newer_value) {
  Place dir;
  auto first = open_ok(options(dir));
  auto second = open_ok(options(dir));
  const std::string key = "threads/accounts/alice/token";
  BOOST_REQUIRE(first->put(key, "THold", 0));
  const std::uint64_t read_by_first = first->get(key).value()->version;
  BOOST_REQUIRE(second->put(key, "THnewer", second->get(key).value()->version));
  auto stale = first->put(key, "THstale", read_by_first);
  BOOST_REQUIRE(stale);
  BOOST_TEST((stale->outcome == WriteOutcome::conflict));
  BOOST_TEST(open_ok(options(dir))->get(key).value()->value == "THnewer");
}

BOOST_AUTO_TEST_CASE(versions_survive_delete_so_stale_writers_lose) {
  Place dir;
  auto store = open_ok(options(dir));
  BOOST_TEST(store->put("k", "1", 0)->version == 1u);
  BOOST_TEST((store->remove("k", 7)->outcome == WriteOutcome::conflict));
  BOOST_TEST((store->remove("k", 1)->outcome == WriteOutcome::written));
  BOOST_TEST(!store->get("k").value().has_value());
  auto gone = store->remove("k", AH_VERSION_ANY);
  BOOST_REQUIRE(!gone);
  BOOST_TEST(gone.error().status == AH_NOT_FOUND);
  // The deleted value's version is no live version to replace.
  auto onto_deleted = store->put("k", "ghost", 2);
  BOOST_REQUIRE(onto_deleted);
  BOOST_TEST((onto_deleted->outcome == WriteOutcome::conflict));
  BOOST_TEST(onto_deleted->version == 0u);
  BOOST_TEST(!store->get("k").value().has_value());

  auto recreated = store->put("k", "2", 0);
  BOOST_TEST((recreated->outcome == WriteOutcome::written));
  BOOST_TEST(recreated->version == 3u); // 1 written, 2 deleted, 3 written again
  BOOST_TEST((store->put("k", "stale", 1)->outcome == WriteOutcome::conflict));
}

BOOST_AUTO_TEST_CASE(list_is_sorted_by_prefix_and_hides_deleted) {
  Place dir;
  auto store = open_ok(options(dir));
  for (const char *k : {"threads/b", "threads/a", "other/x", "threads/c"}) {
    BOOST_REQUIRE(store->put(k, "v", 0));
  }
  BOOST_REQUIRE(store->remove("threads/c", AH_VERSION_ANY));
  auto listed = store->list("threads/");
  BOOST_REQUIRE(listed);
  BOOST_REQUIRE_EQUAL(listed->size(), 2u);
  BOOST_TEST(listed.value()[0].key == "threads/a");
  BOOST_TEST(listed.value()[1].key == "threads/b");
  BOOST_TEST(store->list("").value().size() == 3u);
}

BOOST_AUTO_TEST_CASE(bad_key_names_are_refused_with_the_rule) {
  Place dir;
  auto store = open_ok(options(dir));
  for (const char *bad : {"", "/abs", "has space", "semi;colon"}) {
    auto r = store->put(bad, "v", 0);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().status == AH_INVALID_INPUT);
  }
  BOOST_TEST(
      contains(host::error_message(store->put("has space", "v", 0).error()), "may only contain"));
  BOOST_TEST(!store->put(std::string(257, 'k'), "v", 0));
}

BOOST_AUTO_TEST_CASE(values_are_never_stored_in_plaintext) {
  Place dir;
  const std::string secret = "THplaintext-canary-0123456789-must-not-hit-disk";
  {
    auto store = open_ok(options(dir));
    BOOST_REQUIRE(store->put("threads/accounts/alice/token", secret, 0));
    BOOST_TEST(!contains(at_rest(dir), secret));
  }
  BOOST_TEST(!contains(at_rest(dir), secret));
  auto store = open_ok(options(dir));
  BOOST_TEST(store->get("threads/accounts/alice/token").value()->value == secret);
}

// With a nonce used twice under one key, the XOR of two stored ciphertexts is the XOR of
// the plaintexts: whoever reads the file and knows one value reads the other.
BOOST_AUTO_TEST_CASE(knowing_one_stored_value_does_not_reveal_another_from_the_file) {
  Place dir;
  const std::string known = "THknown-to-the-attacker-000000000000000000000000";
  const std::string secret = "THsecret-of-another-account-11111111111111111111";
  BOOST_REQUIRE_EQUAL(known.size(), secret.size());
  {
    auto store = open_ok(options(dir));
    BOOST_REQUIRE(store->put("threads/accounts/mallory/token", known, 0));
    BOOST_REQUIRE(store->put("threads/accounts/alice/token", secret, 0));
  }
  const std::string a = raw_sealed(dir, "threads/accounts/mallory/token");
  const std::string b = raw_sealed(dir, "threads/accounts/alice/token");
  BOOST_REQUIRE(a.size() >= nonce_bytes + known.size());
  BOOST_REQUIRE(b.size() >= nonce_bytes + secret.size());
  BOOST_TEST(a.substr(0, nonce_bytes) != b.substr(0, nonce_bytes), "a nonce was used twice");
  std::string recovered(secret.size(), '\0');
  for (std::size_t i = 0; i < secret.size(); ++i)
    recovered[i] = static_cast<char>(a[nonce_bytes + i] ^ b[nonce_bytes + i] ^ known[i]);
  BOOST_TEST(recovered != secret, "the secret was recovered from the file");
}

// Rewriting a value (a token refresh writes the same record again and again) seals it
// with a new nonce each time, and sealing one value twice gives two different ciphertexts.
BOOST_AUTO_TEST_CASE(every_write_of_a_value_gets_a_fresh_nonce) {
  Place dir;
  auto store = open_ok(options(dir));
  const std::string value = "THthe-same-token-written-again";
  std::set<std::string> nonces, sealed;
  std::uint64_t version = 0;
  for (int i = 0; i < 5; ++i) {
    auto put = store->put("threads/accounts/alice/token", value, version);
    BOOST_REQUIRE((put && put->outcome == WriteOutcome::written));
    version = put->version;
    const std::string raw = raw_sealed(dir, "threads/accounts/alice/token");
    nonces.insert(raw.substr(0, nonce_bytes));
    sealed.insert(raw);
  }
  BOOST_TEST(nonces.size() == 5u, "nonces repeat across writes of one value");
  BOOST_TEST(sealed.size() == 5u, "a ciphertext repeats across writes of one value");
  BOOST_TEST(store->get("threads/accounts/alice/token").value()->value == value);

  BOOST_REQUIRE(sodium_ready());
  MasterKey key;
  std::fill_n(key.data(), key.size(), 7);
  const std::string once = seal(key, value, "k"), twice = seal(key, value, "k");
  BOOST_TEST(once.substr(0, nonce_bytes) != twice.substr(0, nonce_bytes));
  BOOST_TEST(once != twice);
  BOOST_TEST(open_sealed(key, once, "k").value_or("") == value);
  BOOST_TEST(open_sealed(key, twice, "k").value_or("") == value);
}

BOOST_AUTO_TEST_CASE(wrong_master_key_is_refused_and_data_kept) {
  Place dir;
  BOOST_REQUIRE(open_ok(options(dir))->put("k", "precious", 0));
  const std::string error = open_error(options(dir, key_b));
  BOOST_TEST(contains(error, "does not match the master key"));
  BOOST_TEST(contains(error, "AUTOHOST_MASTER_KEY"));
  BOOST_TEST(!contains(error, key_b));
  BOOST_TEST(open_ok(options(dir))->get("k").value()->value == "precious");
}

BOOST_AUTO_TEST_CASE(malformed_env_key_is_refused_without_echoing_it) {
  Place dir;
  const std::string error = open_error(options(dir, std::string("not-a-key-sekrit")));
  BOOST_TEST(contains(error, "AUTOHOST_MASTER_KEY must be 32 bytes"));
  BOOST_TEST(!contains(error, "sekrit"));
  BOOST_TEST(nothing_created(dir));
}

BOOST_AUTO_TEST_CASE(base64_env_key_is_accepted) {
  Place dir;
  auto store = open_ok(options(dir, std::string("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")));
  BOOST_TEST(store->put("k", "v", 0));
}

BOOST_AUTO_TEST_CASE(key_file_is_created_private_and_reused) {
  Place dir;
  BOOST_REQUIRE(open_ok(options(dir, std::nullopt))->put("k", "v", 0));
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat((dir / "master.key").c_str(), &st), 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(open_ok(options(dir, std::nullopt))->get("k").value()->value == "v");

  ::chmod((dir / "master.key").c_str(), 0644);
  const std::string error = open_error(options(dir, std::nullopt));
  BOOST_TEST(contains(error, "accessible by other users"));
  BOOST_TEST(contains(error, "chmod 600"));
}

BOOST_AUTO_TEST_CASE(missing_key_file_for_existing_store_is_an_error_not_a_new_key) {
  Place dir;
  BOOST_REQUIRE(open_ok(options(dir, std::nullopt))->put("k", "v", 0));
  fs::rename(dir / "master.key", dir / "moved.key");
  const std::string error = open_error(options(dir, std::nullopt));
  BOOST_TEST(contains(error, "is missing and the store already exists"));
  BOOST_TEST(!fs::exists(dir / "master.key"));
  fs::rename(dir / "moved.key", dir / "master.key");
  BOOST_TEST(open_ok(options(dir, std::nullopt))->get("k").value()->value == "v");
}

BOOST_AUTO_TEST_CASE(sealed_values_cannot_be_moved_between_keys) {
  Place dir;
  {
    auto store = open_ok(options(dir));
    BOOST_REQUIRE(store->put("alice/token", "alice-secret", 0));
    BOOST_REQUIRE(store->put("mallory/token", "mallory-secret", 0));
  }
  raw_sql(dir, "UPDATE secrets SET sealed = (SELECT sealed FROM secrets WHERE key = "
               "'alice/token') WHERE key = 'mallory/token'");
  auto store = open_ok(options(dir));
  auto got = store->get("mallory/token");
  BOOST_REQUIRE(!got);
  BOOST_TEST(contains(host::error_message(got.error()), "cannot be decrypted"));
  BOOST_TEST(!contains(got.error().body, "alice-secret"));
  BOOST_TEST(store->get("alice/token").value()->value == "alice-secret");
}

// A batch read answers each key as get does: values and versions, an absent and a deleted
// key, and a bad key and a value that does not open each failing alone; and it sees a
// write another store on the same data made after it last read.
BOOST_AUTO_TEST_CASE(a_batch_read_answers_each_key_as_get_does) {
  Place dir;
  {
    auto store = open_ok(options(dir));
    BOOST_REQUIRE(store->put("a", "alpha", 0));
    BOOST_REQUIRE(store->put("b", "beta", 0));
    BOOST_REQUIRE(store->put("b", "beta2", 1));
    BOOST_REQUIRE(store->put("gone", "x", 0));
    BOOST_REQUIRE(store->remove("gone", AH_VERSION_ANY));
    BOOST_REQUIRE(store->put("moved", "m", 0));
  }
  raw_sql(dir, "UPDATE secrets SET sealed = (SELECT sealed FROM secrets WHERE key = 'a') "
               "WHERE key = 'moved'");
  auto store = open_ok(options(dir));
  const std::vector<std::string_view> keys{"b", "never", "a", "gone", "bad key", "moved", "a"};
  auto got = store->get_many(keys);
  BOOST_REQUIRE(got);
  const auto &r = got.value();
  BOOST_REQUIRE_EQUAL(r.size(), keys.size());
  auto holds = [&](std::size_t i, std::string_view value, std::uint64_t version) {
    return r[i] && r[i].value() && r[i].value()->value == value && r[i].value()->version == version;
  };
  BOOST_TEST(holds(0, "beta2", 2));
  BOOST_TEST((r[1] && !r[1].value()));
  BOOST_TEST(holds(2, "alpha", 1));
  BOOST_TEST((r[3] && !r[3].value()));
  BOOST_REQUIRE(!r[4]);
  BOOST_TEST(r[4].error().status == AH_INVALID_INPUT);
  BOOST_TEST(contains(host::error_message(r[4].error()), "bad key"));
  BOOST_REQUIRE(!r[5]);
  BOOST_TEST(contains(host::error_message(r[5].error()), "cannot be decrypted"));
  BOOST_TEST(!contains(r[5].error().body, "alpha"));
  BOOST_TEST(holds(6, "alpha", 1));
  BOOST_TEST(store->get_many({}).value().empty());

  auto other = open_ok(options(dir));
  BOOST_REQUIRE(other->put("a", "alpha2", 1));
  const std::vector<std::string_view> again{"a", "b"};
  auto after = store->get_many(again);
  BOOST_REQUIRE(after);
  BOOST_TEST((after.value()[0] && after.value()[0].value()->value == "alpha2" &&
              after.value()[0].value()->version == 2u));
  BOOST_TEST((after.value()[1] && after.value()[1].value()->value == "beta2"));
}

BOOST_AUTO_TEST_CASE(two_processes_writing_at_once_lose_nothing) {
  Place dir;
  open_ok(options(dir)); // create first so both children open an existing store
  constexpr int values_per_process = 1000;
  constexpr int increments_per_process = 200;
  pid_t children[2];
  for (int p = 0; p < 2; ++p) {
    children[p] = ::fork();
    BOOST_REQUIRE(children[p] >= 0);
    if (children[p] == 0) {
      int failures = 0;
      {
        auto opened = SqlSecretStore::open(options(dir));
        if (!opened)
          ::_exit(2);
        auto &store = *opened.value();
        for (int i = 0; i < values_per_process; ++i) {
          const std::string key = "p" + std::to_string(p) + "/" + std::to_string(i);
          if (!store.put(key, "value-" + std::to_string(i), 0))
            ++failures;
          if (i < increments_per_process) {
            // A shared counter: read, add one, compare-and-set; retry when the other wins.
            for (;;) {
              auto cur = store.get("shared/counter");
              if (!cur) {
                ++failures;
                break;
              }
              const std::uint64_t version = cur.value() ? cur.value()->version : 0;
              const int n = cur.value() ? std::stoi(cur.value()->value) : 0;
              auto put = store.put("shared/counter", std::to_string(n + 1), version);
              if (!put) {
                ++failures;
                break;
              }
              if (put->outcome == WriteOutcome::written)
                break;
            }
          }
        }
      }
      ::_exit(failures == 0 ? 0 : 1);
    }
  }
  for (pid_t child : children) {
    int status = 0;
    BOOST_REQUIRE_EQUAL(::waitpid(child, &status, 0), child);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  auto store = open_ok(options(dir));
  BOOST_TEST(store->list("p0/").value().size() == size_t{values_per_process});
  BOOST_TEST(store->list("p1/").value().size() == size_t{values_per_process});
  BOOST_TEST(store->get("p1/999").value()->value == "value-999");
  BOOST_TEST(store->get("shared/counter").value()->value ==
             std::to_string(2 * increments_per_process));
}

// put_many: each item is its own compare-and-set, all in one transaction.
BOOST_AUTO_TEST_CASE(a_batch_gives_each_item_its_own_compare_and_set_result) {
  Place dir;
  auto store = open_ok(options(dir));
  BOOST_REQUIRE(store->put("b/taken", "first", 0));
  BOOST_REQUIRE(store->put("b/taken", "second", 1));
  BOOST_REQUIRE(store->put("b/gone", "x", 0));
  BOOST_REQUIRE(store->remove("b/gone", 1)); // counter at 2, no live value
  const std::vector<PutRequest> puts = {
      {"b/new", "n1", 0},             // written, version 1
      {"b/taken", "loser", 1},        // conflict: at version 2
      {"bad key", "v", 0},            // invalid key
      {"b/taken", "winner", 2},       // written, version 3
      {"b/gone", "back", 0},          // written after the delete: version 3, never reused
      {"b/new", "n2", 1},             // sees the first item's write: version 2
      {"b/any", "a", AH_VERSION_ANY}, // unconditional
  };
  auto batch = store->put_many(puts);
  BOOST_REQUIRE_MESSAGE(batch, (batch ? "" : batch.error().body));
  const auto &r = batch.value();
  BOOST_REQUIRE_EQUAL(r.size(), puts.size());
  BOOST_TEST((r[0]->outcome == WriteOutcome::written));
  BOOST_TEST(r[0]->version == 1u);
  BOOST_TEST((r[1]->outcome == WriteOutcome::conflict));
  BOOST_TEST(r[1]->version == 2u);
  BOOST_REQUIRE(!r[2]);
  BOOST_TEST(r[2].error().status == AH_INVALID_INPUT);
  BOOST_TEST(contains(host::error_message(r[2].error()), "'bad key'"));
  BOOST_TEST((r[3]->outcome == WriteOutcome::written));
  BOOST_TEST(r[3]->version == 3u);
  BOOST_TEST(r[4]->version == 3u);
  BOOST_TEST(r[5]->version == 2u);
  BOOST_TEST((r[6]->outcome == WriteOutcome::written));

  // The same answers on a fresh connection: the batch was committed.
  store.reset();
  auto reopened = open_ok(options(dir));
  BOOST_TEST(reopened->get("b/new").value()->value == "n2");
  BOOST_TEST(reopened->get("b/taken").value()->value == "winner");
  BOOST_TEST(reopened->get("b/taken").value()->version == 3u);
  BOOST_TEST(reopened->get("b/gone").value()->value == "back");
  BOOST_TEST(reopened->get("b/any").value()->value == "a");
  BOOST_TEST(reopened->put_many({}).value().empty());
}

BOOST_AUTO_TEST_CASE(a_batch_that_fails_midway_is_rolled_back_whole) {
  Place dir;
  auto store = open_ok(options(dir));
  BOOST_REQUIRE(store->put("d/a", "old", 0));
  // A real database failure on the third item, after two items were written in the transaction.
  raw_sql(dir, testing_postgres()
                   ? "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                     "IF NEW.key = 'd/boom' THEN RAISE EXCEPTION 'refused'; END IF; "
                     "RETURN NEW; END $$; CREATE TRIGGER refuse BEFORE INSERT ON secrets "
                     "FOR EACH ROW EXECUTE FUNCTION refuse();"
                   : "CREATE TRIGGER refuse BEFORE INSERT ON secrets WHEN NEW.key = 'd/boom' "
                     "BEGIN SELECT RAISE(ABORT, 'refused'); END;");
  const std::vector<PutRequest> puts = {
      {"d/a", "sekrit-new", 1}, {"d/b", "b", 0}, {"d/boom", "x", 0}};
  auto batch = store->put_many(puts);
  BOOST_REQUIRE(!batch);
  BOOST_TEST(batch.error().status == AH_INTERNAL);
  BOOST_TEST(contains(host::error_message(batch.error()), "'d/boom'"));
  BOOST_TEST(!contains(batch.error().body, "sekrit")); // no value in the error
  store.reset();
  auto reopened = open_ok(options(dir));
  BOOST_TEST(reopened->get("d/a").value()->value == "old");
  BOOST_TEST(reopened->get("d/a").value()->version == 1u);
  BOOST_TEST(!reopened->get("d/b").value().has_value());
}
