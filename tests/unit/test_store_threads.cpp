// Several threads of one host on one secret store: reads run while a write transaction is
// open, and no read is torn or older than a commit that finished before it began. Every case
// runs on SQLite (suite unit) and on PostgreSQL (suite pg, AUTOHOST_TEST_BACKEND=postgres).
#define BOOST_TEST_MODULE store_threads
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "result_print.hpp"
#include "store/sql_secret_store.hpp"
#include "store_location.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

using namespace autohost;
using namespace autohost::store;
using namespace autohost::test;
namespace fs = std::filesystem;

namespace {

constexpr const char *key_hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr const char *token = "threads/accounts/alice/token";

struct Place {
  TempDir dir;
  std::string location = fresh_store_location(dir.path());
};

SecretStoreOptions options(const Place &place) {
  return SecretStoreOptions{place.location, KeySource{key_hex, place.dir / "master.key"}};
}

// The value written as `version`: long enough to span pages of a row, and every byte says
// which version it belongs to, so a value put together from two writes shows.
std::string value_of(std::uint64_t version) {
  return std::string(3000, static_cast<char>('a' + version % 26)) + "#" + std::to_string(version);
}

// The first thing that went wrong in any thread (Boost.Test's checks are for the main one).
class FirstProblem {
public:
  void report(std::string what) {
    std::lock_guard lock(mutex_);
    if (what_.empty())
      what_ = std::move(what);
  }
  std::string get() {
    std::lock_guard lock(mutex_);
    return what_;
  }

private:
  std::mutex mutex_;
  std::string what_;
};

} // namespace

// A daemon's workers read their account records while another thread holds a write
// transaction (a claim, a sweep's batch): the read neither waits for that transaction nor
// sees what it has not committed.
BOOST_AUTO_TEST_CASE(a_read_finishes_while_a_write_transaction_is_open) {
  Place place;
  auto store = open_ok(options(place));
  BOOST_REQUIRE(store->put(token, value_of(1), 0));

  std::optional<bool> finished_inside;
  std::future<Result<std::optional<StoredSecret>>> read;
  auto wrote = store->backend().write("holding the writer", [&](sql::Session &s) -> Result<Done> {
    sql::Statement(s, "UPDATE secrets SET version = 99 WHERE key = ?1").bind(1, token).step();
    read = std::async(std::launch::async, [&] { return store->get(token); });
    // Generous: only a read that queues behind this transaction takes this long.
    finished_inside = read.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
    return Done{};
  });
  BOOST_REQUIRE_MESSAGE(wrote, (wrote ? "" : wrote.error().body));
  BOOST_TEST(finished_inside.value_or(false), "the read waited for the write transaction");
  auto got = read.get();
  BOOST_REQUIRE_MESSAGE(got, (got ? "" : got.error().body));
  BOOST_REQUIRE(got.value().has_value());
  BOOST_TEST(got.value()->version == 1u); // not the uncommitted 99
  BOOST_TEST(got.value()->value == value_of(1));
}

BOOST_AUTO_TEST_CASE(readers_never_see_a_torn_value_or_one_older_than_a_finished_commit) {
  Place place;
  auto store = open_ok(options(place));
  BOOST_REQUIRE(store->put(token, value_of(1), 0));

  constexpr std::uint64_t last = 200;
  std::atomic<std::uint64_t> committed{1};
  std::atomic<bool> writing{true};
  std::atomic<int> reads{0};
  FirstProblem problem;

  std::vector<std::thread> readers;
  for (int r = 0; r < 8; ++r) {
    readers.emplace_back([&] {
      std::uint64_t seen = 0;
      // Until the writer is done, and at least once after its last commit.
      for (bool more = true; more;) {
        more = writing.load();
        const std::uint64_t before = committed.load();
        auto got = store->get(token);
        ++reads;
        if (!got || !got.value()) {
          problem.report(got ? "the token vanished" : "a read failed: " + got.error().body);
          return;
        }
        const StoredSecret &secret = **got;
        if (secret.value != value_of(secret.version))
          problem.report("version " + std::to_string(secret.version) + " read a torn value");
        if (secret.version < before)
          problem.report("read version " + std::to_string(secret.version) + " after version " +
                         std::to_string(before) + " had committed");
        if (secret.version < seen)
          problem.report("a reader went back from version " + std::to_string(seen) + " to " +
                         std::to_string(secret.version));
        seen = secret.version;
      }
    });
  }
  for (std::uint64_t version = 2; version <= last; ++version) {
    auto put = store->put(token, value_of(version), version - 1);
    if (!put || put->outcome != WriteOutcome::written) {
      problem.report("the write of version " + std::to_string(version) + " failed");
      break;
    }
    committed.store(version);
  }
  writing.store(false);
  for (auto &reader : readers)
    reader.join();

  BOOST_TEST(problem.get() == "");
  BOOST_TEST(reads.load() >= 8);
  auto final_value = store->get(token);
  BOOST_REQUIRE(final_value && final_value.value());
  BOOST_TEST(final_value.value()->version == last);
}

namespace {

// Descriptors of this process open on `file` (each SQLite connection holds one).
int descriptors_on(const fs::path &file) {
  int count = 0;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator("/proc/self/fd", ec)) {
    std::error_code link_ec;
    if (fs::equivalent(fs::read_symlink(entry.path(), link_ec), file, link_ec) && !link_ec)
      ++count;
  }
  return count;
}

} // namespace

// `autohost invoke` makes one call: with no read connections its reads run on the writer's
// connection, so the file is opened once; a host's default opens a reader beside it.
BOOST_AUTO_TEST_CASE(a_store_without_read_connections_opens_its_file_once) {
  if (testing_postgres())
    return; // a PostgreSQL store has a pool of its own
  for (const std::size_t readers : {std::size_t{0}, std::size_t{16}}) {
    BOOST_TEST_CONTEXT("read_connections " << readers) {
      Place place;
      auto opts = options(place);
      opts.read_connections = readers;
      auto store = open_ok(opts);
      BOOST_REQUIRE(store->put(token, value_of(1), 0));
      for (int i = 0; i < 3; ++i) {
        auto got = store->get(token);
        BOOST_REQUIRE_MESSAGE(got, (got ? "" : got.error().body));
        BOOST_REQUIRE(got.value().has_value());
        BOOST_TEST(got.value()->value == value_of(1));
      }
      BOOST_TEST(descriptors_on(place.location) == (readers == 0 ? 1 : 2));
    }
  }
}
