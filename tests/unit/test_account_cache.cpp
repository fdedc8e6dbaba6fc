// Account records kept between calls (auth::AccountCache through Accounts): reused only while
// the host reports the same version, read again after any write, never kept by a host
// without the version probe, still checked for usability on every load, and shared rather than
// copied with a call that only reads it.
#define BOOST_TEST_MODULE account_cache
#include <boost/test/unit_test.hpp>

#include "fake_host.hpp"

#include "auth/accounts.hpp"

#include <atomic>
#include <thread>
#include <vector>

using namespace threads::auth;
using autohost::test::FakeHost;

namespace {

constexpr std::int64_t day_ms = 86'400'000;

struct Fixture {
  FakeHost host;
  AccountCache cache;

  Fixture() { save("THone"); }
  // Another process (or another instance) writes the record.
  void save(const std::string &token) {
    TokenRecord r;
    r.user_id = "17841400000000001";
    r.access_token = token;
    r.issued_at_ms = host.now_ms;
    r.expires_at_ms = host.now_ms + 60 * day_ms;
    const auto &stored = host.secrets["threads/accounts/alice"];
    BOOST_REQUIRE(Accounts(host.services()).save("alice", r, stored.version).has_value());
  }
  // One call's read, as an action makes it.
  autohost::Result<StoredAccount> load(Usability usability = Usability::usable) {
    return Accounts(host.services(), &cache).load("alice", usability);
  }
  // The same for a call that only reads the record (an action's acting account).
  autohost::Result<SharedAccount> load_shared(Usability usability = Usability::usable) {
    return Accounts(host.services(), &cache).load_shared("alice", usability);
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(an_unchanged_record_is_read_once, Fixture) {
  for (int i = 0; i < 5; ++i) {
    auto account = load();
    BOOST_REQUIRE(account.has_value());
    BOOST_TEST(account->record.access_token == "THone");
    BOOST_TEST(account->version == 1u);
  }
  BOOST_TEST(host.gets == 1);
  BOOST_TEST(host.versions == 4); // the first load had nothing to check
}

BOOST_FIXTURE_TEST_CASE(a_record_written_elsewhere_is_read_at_the_next_load, Fixture) {
  BOOST_REQUIRE(load().has_value());
  save("THtwo");
  auto account = load();
  BOOST_REQUIRE(account.has_value());
  BOOST_TEST(account->record.access_token == "THtwo");
  BOOST_TEST(account->version == 2u);
  BOOST_TEST(host.gets == 2);
  BOOST_TEST(load()->record.access_token == "THtwo"); // and kept again
  BOOST_TEST(host.gets == 2);
}

BOOST_FIXTURE_TEST_CASE(a_deleted_record_is_not_found, Fixture) {
  BOOST_REQUIRE(load().has_value());
  BOOST_REQUIRE(autohost::HostServices(host.table())
                    .secret_delete("threads/accounts/alice", AH_VERSION_ANY)
                    .has_value());
  auto account = load();
  BOOST_REQUIRE(!account.has_value());
  BOOST_TEST(account.error().status == AH_NOT_FOUND);
  BOOST_TEST(account.error().body.find("no Threads account named 'alice'") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_host_without_the_version_probe_is_read_every_time, Fixture) {
  host.use_abi_1_3();
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(load()->record.access_token == "THone");
  BOOST_TEST(host.gets == 3);
  BOOST_TEST(host.versions == 0);
}

BOOST_FIXTURE_TEST_CASE(a_kept_record_is_still_checked_for_expiry, Fixture) {
  BOOST_REQUIRE(load().has_value());
  host.now_ms += 61 * day_ms; // the same record, now past its expiry
  auto account = load();
  BOOST_REQUIRE(!account.has_value());
  BOOST_TEST(account.error().status == AH_AUTH_REQUIRED);
  BOOST_TEST(host.gets == 1);
  BOOST_TEST(load(Usability::any).has_value()); // the record itself is still there
}

BOOST_FIXTURE_TEST_CASE(a_failed_version_check_reads_the_record, Fixture) {
  BOOST_REQUIRE(load().has_value());
  // A host whose probe fails (a store error): the record is read instead, and its error is
  // the one the call reports.
  auto *table = const_cast<ah_host_services *>(host.table());
  table->secret_version = [](void *, ah_str, uint64_t *version, ah_sink *error) {
    *version = 0;
    autohost::write_to(error, R"({"code":"store","message":"the store is busy"})");
    return AH_RETRY_LATER;
  };
  auto account = load();
  BOOST_REQUIRE(account.has_value());
  BOOST_TEST(account->record.access_token == "THone");
  BOOST_TEST(host.gets == 2);
}

BOOST_AUTO_TEST_CASE(kept_records_stay_whole_while_threads_replace_and_drop_them) {
  // A record found by one thread stays whole (token matching version) while others replace
  // and forget it, and past the capacity, where the whole cache is dropped at once.
  AccountCache cache;
  std::atomic<bool> wrong = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      TokenRecord r;
      for (int i = 0; i < 5000; ++i) {
        const std::string name = "a" + std::to_string((i * 7 + t) % 300);
        if (auto kept = cache.find(name)) {
          if (kept->record.access_token != "TH" + std::to_string(kept->version))
            wrong = true;
        }
        r.access_token = "TH" + std::to_string(i);
        cache.keep(name, r, static_cast<std::uint64_t>(i));
        if (i % 13 == 0)
          cache.forget(name);
      }
    });
  }
  for (auto &t : threads)
    t.join();
  BOOST_TEST(!wrong.load());
}

BOOST_FIXTURE_TEST_CASE(a_shared_record_stays_as_read_while_the_store_moves_on, Fixture) {
  auto first = load_shared();
  BOOST_REQUIRE(first.has_value());
  auto again = load_shared();
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->record.get() == first->record.get()); // the kept record, not a copy
  BOOST_TEST(host.gets == 1);
  save("THtwo");
  auto after = load_shared();
  BOOST_REQUIRE(after.has_value());
  BOOST_TEST(after->record->access_token == "THtwo");
  BOOST_TEST(after->version == 2u);
  BOOST_TEST(host.gets == 2);
  // A call holding the record it read keeps it whole, and load() reads what load_shared does.
  BOOST_TEST(first->record->access_token == "THone");
  BOOST_TEST(first->version == 1u);
  BOOST_TEST(load()->record.access_token == "THtwo");
}

BOOST_FIXTURE_TEST_CASE(a_shared_load_is_checked_and_needs_no_probe, Fixture) {
  host.use_abi_1_3();
  auto account = load_shared();
  BOOST_REQUIRE(account.has_value());
  BOOST_TEST(account->record->access_token == "THone");
  BOOST_TEST(account->stored().record.access_token == "THone"); // a copy to change
  host.now_ms += 61 * day_ms;
  auto expired = load_shared();
  BOOST_REQUIRE(!expired.has_value());
  BOOST_TEST(expired.error().status == AH_AUTH_REQUIRED);
  BOOST_TEST(load_shared(Usability::any).has_value());
  BOOST_TEST(host.gets == 3);
  BOOST_TEST(host.versions == 0);
}
