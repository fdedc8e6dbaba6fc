// Crash-safe rotation: compare-and-set claims and writes, adopting another process's token,
// failure classes, the one warning, and refresh_now.
#define BOOST_TEST_MODULE rotation
#include <boost/test/unit_test.hpp>

#include "fake_host.hpp"

#include "auth/refresh_now.hpp"
#include "auth/rotation.hpp"

#include <boost/json.hpp>

using namespace threads::auth;
using autohost::test::FakeHost;
namespace json = boost::json;
namespace graph = threads::graph;

namespace {

struct Fixture {
  FakeHost host;
  Accounts accounts{host.services()};
  Rotation rotation{host.services(), RefreshRules{}, "r-me"};

  Fixture() {
    TokenRecord r;
    r.user_id = "17841400000000001";
    r.access_token = "THold";
    r.issued_at_ms = host.now_ms - 40 * day_ms;
    r.expires_at_ms = r.issued_at_ms + 60 * day_ms;
    BOOST_REQUIRE(accounts.save("alice", r, 0).has_value());
  }
  StoredAccount load() { return accounts.load("alice", Usability::any).value(); }
  // Another process writes the record between our read and our write.
  void elsewhere(const std::function<void(TokenRecord &)> &change) {
    host.before_put = [this, change](const std::string &) {
      StoredAccount other = load();
      change(other.record);
      BOOST_REQUIRE(accounts.save("alice", other.record, other.version).has_value());
    };
  }
  int warnings() const {
    int n = 0;
    for (const auto &[level, text] : host.logs)
      n += level == AH_LOG_WARN ? 1 : 0;
    return n;
  }
};

TokenAnswer answer(std::string token) { return TokenAnswer{std::move(token), 5184000, ""}; }

graph::Failure server_error(int http, long long code, std::optional<long long> sub = {},
                            bool transient = false) {
  graph::GraphError e;
  e.http_status = http;
  e.code = code;
  e.subcode = sub;
  e.is_transient = transient;
  e.message = "server said no";
  auto v = graph::classify(e, graph::Operation::token);
  return graph::Failure{autohost::Error{v.status, graph::error_body(e, v)},
                        threads::http::Delivery::maybe_sent, e};
}

} // namespace

BOOST_FIXTURE_TEST_CASE(claim_then_store_keeps_the_old_token_as_previous, Fixture) {
  StoredAccount a = load();
  auto claimed = rotation.claim(a, Urgency::sweep);
  BOOST_REQUIRE(claimed.has_value());
  BOOST_TEST(to_string(claimed->outcome) == "claimed");
  BOOST_TEST(load().record.refresh_claimant == "r-me");
  auto stored = rotation.store_refreshed(a, "THold", answer("THnew"));
  BOOST_REQUIRE(stored.has_value());
  BOOST_TEST(to_string(stored->outcome) == "refreshed");
  const TokenRecord r = load().record;
  BOOST_TEST(r.access_token == "THnew");
  BOOST_TEST(r.previous_token == "THold");
  BOOST_TEST(r.issued_at_ms == host.now_ms);
  BOOST_TEST(r.expires_at_ms == host.now_ms + 5'184'000'000);
  BOOST_TEST(r.refresh_claimant.empty());
  BOOST_TEST(r.last_refresh_error.empty());
  // The new token worked once: the old one goes.
  StoredAccount now = load();
  BOOST_REQUIRE(rotation.forget_previous_token(now).has_value());
  BOOST_TEST(load().record.previous_token.empty());
}

BOOST_FIXTURE_TEST_CASE(a_claim_loses_to_a_fresh_claim, Fixture) {
  StoredAccount a = load();
  elsewhere([&](TokenRecord &r) {
    r.refresh_claimant = "r-other";
    r.refresh_claim_ms = host.now_ms;
  });
  auto busy = rotation.claim(a, Urgency::sweep);
  BOOST_TEST(to_string(busy->outcome) == "skipped");
  BOOST_TEST(busy->reason == "in_progress");
}

BOOST_FIXTURE_TEST_CASE(a_claim_adopts_a_token_stored_meanwhile, Fixture) {
  StoredAccount b = load();
  elsewhere([](TokenRecord &r) {
    r.access_token = "THtheirs";
    r.refresh_claimant.clear();
    r.refresh_claim_ms = 0;
  });
  auto adopted = rotation.claim(b, Urgency::sweep);
  BOOST_TEST(to_string(adopted->outcome) == "adopted");
  BOOST_TEST(b.record.access_token == "THtheirs");
}

BOOST_FIXTURE_TEST_CASE(an_unrelated_concurrent_write_is_merged_not_lost, Fixture) {
  StoredAccount a = load();
  BOOST_REQUIRE(rotation.claim(a, Urgency::sweep).has_value());
  elsewhere([](TokenRecord &r) { r.username = "renamed"; });
  auto stored = rotation.store_refreshed(a, "THold", answer("THnew"));
  BOOST_TEST(to_string(stored->outcome) == "refreshed");
  const TokenRecord r = load().record;
  BOOST_TEST(r.access_token == "THnew");
  BOOST_TEST(r.username == "renamed");
}

BOOST_FIXTURE_TEST_CASE(the_winner_of_two_refreshes_keeps_its_token, Fixture) {
  StoredAccount a = load();
  BOOST_REQUIRE(rotation.claim(a, Urgency::sweep).has_value());
  elsewhere([](TokenRecord &r) { r.access_token = "THwinner"; });
  auto stored = rotation.store_refreshed(a, "THold", answer("THloser"));
  BOOST_TEST(to_string(stored->outcome) == "adopted");
  BOOST_TEST(load().record.access_token == "THwinner");
  BOOST_TEST(a.record.access_token == "THwinner");
}

BOOST_FIXTURE_TEST_CASE(a_dead_refresh_marks_needs_reauth_and_warns_once, Fixture) {
  StoredAccount a = load();
  BOOST_REQUIRE(rotation.claim(a, Urgency::sweep).has_value());
  auto f = server_error(401, 190, 460);
  BOOST_TEST((classify_refresh_failure(f) == RefreshFailure::dead));
  auto stored = rotation.store_failure(a, "THold", RefreshFailure::dead, error_message(f.error));
  BOOST_TEST(to_string(stored->outcome) == "needs_reauth");
  const TokenRecord r = load().record;
  BOOST_TEST((r.status == AccountStatus::needs_reauth));
  BOOST_TEST(r.access_token == "THold"); // kept, for the record; nothing is dropped
  BOOST_TEST(r.refresh_claimant.empty());
  BOOST_TEST(warnings() == 1);
  BOOST_TEST(host.logs.back().second.find("threads.auth_url --account alice") != std::string::npos);
  auto again = rotation.store_failure(a, "THold", RefreshFailure::dead, "again");
  BOOST_TEST(to_string(again->outcome) == "needs_reauth");
  BOOST_TEST(warnings() == 1);
}

BOOST_FIXTURE_TEST_CASE(a_dead_answer_after_another_refresh_is_not_fatal, Fixture) {
  // With revoke-on-refresh, the loser's request meets a revoked token (190/460).
  StoredAccount a = load();
  elsewhere([](TokenRecord &r) { r.access_token = "THwinner"; });
  auto stored = rotation.store_failure(a, "THold", RefreshFailure::dead, "revoked");
  BOOST_TEST(to_string(stored->outcome) == "adopted");
  BOOST_TEST((load().record.status == AccountStatus::active));
  BOOST_TEST(warnings() == 0);
}

BOOST_FIXTURE_TEST_CASE(a_transient_failure_keeps_the_token_and_releases_the_claim, Fixture) {
  StoredAccount a = load();
  BOOST_REQUIRE(rotation.claim(a, Urgency::sweep).has_value());
  auto stored = rotation.store_failure(a, "THold", RefreshFailure::transient, "HTTP 503");
  BOOST_TEST(to_string(stored->outcome) == "failed");
  const TokenRecord r = load().record;
  BOOST_TEST((r.status == AccountStatus::active));
  BOOST_TEST(r.access_token == "THold");
  BOOST_TEST(r.last_refresh_error == "temporary: HTTP 503");
  BOOST_TEST(r.refresh_claimant.empty());
  // Due again at once for the next run.
  BOOST_TEST((decide_refresh(r, host.now_ms, RefreshRules{}).action == RefreshAction::refresh));
}

BOOST_FIXTURE_TEST_CASE(failures_are_classified, Fixture) {
  BOOST_TEST(
      (classify_refresh_failure(server_error(500, 1, {}, true)) == RefreshFailure::transient));
  BOOST_TEST((classify_refresh_failure(server_error(429, 4)) == RefreshFailure::transient));
  BOOST_TEST((classify_refresh_failure(server_error(400, 17)) == RefreshFailure::transient));
  BOOST_TEST(
      (classify_refresh_failure(server_error(400, 99, {}, true)) == RefreshFailure::transient));
  BOOST_TEST((classify_refresh_failure(server_error(503, 2)) == RefreshFailure::transient));
  BOOST_TEST((classify_refresh_failure(server_error(401, 190, 463)) == RefreshFailure::dead));
  BOOST_TEST((classify_refresh_failure(server_error(400, 190)) == RefreshFailure::dead));
  BOOST_TEST((classify_refresh_failure(server_error(403, 10)) == RefreshFailure::dead));
  BOOST_TEST((classify_refresh_failure(server_error(400, 100)) == RefreshFailure::dead));
  graph::Failure network{autohost::Error::make(AH_RETRY_LATER, "reset"),
                         threads::http::Delivery::maybe_sent, std::nullopt};
  BOOST_TEST((classify_refresh_failure(network) == RefreshFailure::transient));
}

BOOST_FIXTURE_TEST_CASE(an_expired_account_is_marked_once, Fixture) {
  host.now_ms += 21 * day_ms;
  StoredAccount a = load();
  auto marked = rotation.mark_expired(a);
  BOOST_TEST(to_string(marked->outcome) == "needs_reauth");
  BOOST_TEST(marked->reason.find("expired at") != std::string::npos);
  BOOST_TEST(warnings() == 1);
  StoredAccount b = load();
  BOOST_TEST(to_string(rotation.mark_expired(b)->outcome) == "needs_reauth");
  BOOST_TEST(warnings() == 1);
}

BOOST_FIXTURE_TEST_CASE(token_answers_are_read_losslessly, Fixture) {
  auto a = parse_token_answer(
      json::parse(R"({"access_token":"THx","user_id":17841400000000001,"expires_in":5183944})"),
      "test");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->user_id == "17841400000000001");
  BOOST_TEST(a->expires_in_s == 5183944);
  // An expiry that is no sensible count of seconds is unstated, not an overflow.
  for (const char *expires : {"1e300", "-5", "9223372036854775807", "\"soon\"", "\"86400\""}) {
    auto odd = parse_token_answer(
        json::parse(std::string(R"({"access_token":"THx","expires_in":)") + expires + "}"), "test");
    BOOST_REQUIRE(odd.has_value());
    BOOST_TEST(odd->expires_in_s == (std::string_view(expires) == "\"86400\"" ? 86400 : 0),
               expires);
  }
  auto none = parse_token_answer(json::parse(R"({"token_type":"bearer"})"), "the refresh");
  BOOST_REQUIRE(!none.has_value());
  BOOST_TEST(none.error().body.find("the refresh") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(refresh_now_refreshes_refuses_young_tokens_and_marks_dead_ones, Fixture) {
  StoredAccount a = load();
  int sent = 0;
  auto ok = refresh_now(
      rotation, a,
      [&](const std::string &token) -> graph::GraphResult<json::value> {
        ++sent;
        BOOST_TEST(token == "THold");
        return json::parse(R"({"access_token":"THfresh","expires_in":5184000})");
      },
      [](double) { return true; });
  BOOST_REQUIRE(ok.has_value());
  BOOST_TEST(to_string(ok->outcome) == "refreshed");
  BOOST_TEST(sent == 1);
  BOOST_TEST(load().record.access_token == "THfresh");

  // Just refreshed: too young for Meta.
  StoredAccount b = load();
  auto young = refresh_now(
      rotation, b,
      [&](const std::string &) -> graph::GraphResult<json::value> {
        ++sent;
        return json::value();
      },
      [](double) { return true; });
  BOOST_REQUIRE(!young.has_value());
  BOOST_TEST(young.error().status == AH_RETRY_LATER);
  BOOST_TEST(young.error().body.find("retry_after_s") != std::string::npos);
  BOOST_TEST(sent == 1);

  host.now_ms += 2 * day_ms;
  StoredAccount c = load();
  auto dead = refresh_now(
      rotation, c,
      [&](const std::string &) -> graph::GraphResult<json::value> {
        return server_error(401, 190, 460);
      },
      [](double) { return true; });
  BOOST_REQUIRE(!dead.has_value());
  BOOST_TEST(dead.error().status == AH_AUTH_REQUIRED);
  BOOST_TEST(dead.error().body.find("threads.auth_url --account alice") != std::string::npos);
  BOOST_TEST((load().record.status == AccountStatus::needs_reauth));
}

BOOST_FIXTURE_TEST_CASE(refresh_now_waits_for_another_refresher_and_adopts, Fixture) {
  StoredAccount claimed = load();
  claimed.record.refresh_claimant = "r-other";
  claimed.record.refresh_claim_ms = host.now_ms;
  BOOST_REQUIRE(accounts.save("alice", claimed.record, claimed.version).has_value());
  StoredAccount b = load();
  int waits = 0;
  auto adopted = refresh_now(
      rotation, b,
      [&](const std::string &) -> graph::GraphResult<json::value> {
        BOOST_FAIL("must not send a second refresh");
        return json::value();
      },
      [&](double) {
        if (++waits == 2) { // the other process finishes
          StoredAccount other = load();
          other.record.access_token = "THtheirs";
          other.record.refresh_claimant.clear();
          other.record.refresh_claim_ms = 0;
          BOOST_REQUIRE(accounts.save("alice", other.record, other.version).has_value());
        }
        return true;
      });
  BOOST_REQUIRE(adopted.has_value());
  BOOST_TEST(to_string(adopted->outcome) == "adopted");
  BOOST_TEST(b.record.access_token == "THtheirs");
}

// Two processes read the record at the same moment and the other one claims first: its
// claim lands between our read and our write. Exactly one refresh may go to Meta, and
// both must end with the one new token.
BOOST_FIXTURE_TEST_CASE(two_refreshers_that_read_at_once_send_one_refresh, Fixture) {
  StoredAccount mine = load();
  const Rotation other{host.services(), RefreshRules{}, "r-other"};
  StoredAccount theirs = load();
  BOOST_REQUIRE(to_string(other.claim(theirs, Urgency::now)->outcome) == "claimed");
  int sent = 1; // the other process's refresh request, in flight
  auto result = refresh_now(
      rotation, mine,
      [&](const std::string &) -> graph::GraphResult<json::value> {
        ++sent;
        return json::value(json::object{{"access_token", "THmine"}, {"expires_in", 5184000}});
      },
      [&](double) {
        // While this process waits, the other one's answer arrives and is stored.
        if (theirs.record.access_token == "THold")
          BOOST_REQUIRE(other.store_refreshed(theirs, "THold", answer("THtheirs")).has_value());
        return true;
      });
  BOOST_REQUIRE(result.has_value());
  BOOST_TEST(sent == 1, "refresh requests sent for one account: " << sent);
  BOOST_TEST(load().record.access_token == "THtheirs");
  BOOST_TEST(mine.record.access_token == "THtheirs");
}

// --- the batched forms (claim_many, store_answers) ------------------------------------------

namespace {

// Bob and Carol join Alice, each due with their own token; all three loaded.
std::vector<StoredAccount> three_accounts(Fixture &f) {
  for (const char *name : {"bob", "carol"}) {
    TokenRecord r = f.load().record;
    r.access_token = std::string("TH") + name;
    BOOST_REQUIRE(f.accounts.save(name, r, 0).has_value());
  }
  std::vector<StoredAccount> out;
  for (const char *name : {"alice", "bob", "carol"})
    out.push_back(f.accounts.load(name, Usability::any).value());
  return out;
}

std::vector<StoredAccount *> pointers(std::vector<StoredAccount> &accounts) {
  std::vector<StoredAccount *> out;
  for (auto &a : accounts)
    out.push_back(&a);
  return out;
}

RefreshAnswer refreshed(StoredAccount &a, std::string token) {
  RefreshAnswer r;
  r.account = &a;
  r.refreshed_from = a.record.access_token;
  r.token = answer(std::move(token));
  return r;
}

RefreshAnswer failed(StoredAccount &a, RefreshFailure kind, std::string message) {
  RefreshAnswer r;
  r.account = &a;
  r.refreshed_from = a.record.access_token;
  r.failure = kind;
  r.message = std::move(message);
  return r;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(a_batch_claims_and_stores_every_account_in_one_write_each, Fixture) {
  auto accts = three_accounts(*this);
  const int writes_before = host.writes;
  auto claims = rotation.claim_many(pointers(accts), Urgency::sweep);
  BOOST_TEST(host.batches == 1);
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_REQUIRE(claims[i].has_value());
    BOOST_TEST(to_string(claims[i]->outcome) == "claimed");
    BOOST_TEST(accounts.load(accts[i].name, Usability::any)->record.refresh_claimant == "r-me");
  }
  auto stored =
      rotation.store_answers({refreshed(accts[0], "THnew-a"), refreshed(accts[1], "THnew-b"),
                              failed(accts[2], RefreshFailure::dead, "token revoked")});
  BOOST_TEST(host.batches == 2);
  BOOST_TEST(host.writes - writes_before == 6);
  BOOST_TEST(to_string(stored[0]->outcome) == "refreshed");
  BOOST_TEST(to_string(stored[1]->outcome) == "refreshed");
  BOOST_TEST(to_string(stored[2]->outcome) == "needs_reauth");
  const TokenRecord a = load().record;
  BOOST_TEST(a.access_token == "THnew-a");
  BOOST_TEST(a.previous_token == "THold");
  BOOST_TEST(a.refresh_claimant.empty());
  BOOST_TEST(accts[1].record.access_token == "THnew-b"); // the caller's copy follows the store
  BOOST_TEST(accts[1].version == accounts.load("bob", Usability::any)->version);
  BOOST_TEST(
      (accounts.load("carol", Usability::any)->record.status == AccountStatus::needs_reauth));
  BOOST_TEST(warnings() == 1); // the one warning, for carol
}

BOOST_FIXTURE_TEST_CASE(a_batched_claim_that_conflicts_is_decided_again_alone, Fixture) {
  auto accts = three_accounts(*this);
  // Another process claims alice just before the batch lands: she is not ours to refresh.
  elsewhere([&](TokenRecord &r) {
    r.refresh_claimant = "r-other";
    r.refresh_claim_ms = host.now_ms;
  });
  auto claims = rotation.claim_many(pointers(accts), Urgency::sweep);
  BOOST_TEST(to_string(claims[0]->outcome) == "skipped");
  BOOST_TEST(claims[0]->reason == "in_progress");
  BOOST_TEST(load().record.refresh_claimant == "r-other");
  BOOST_TEST(to_string(claims[1]->outcome) == "claimed");
  BOOST_TEST(to_string(claims[2]->outcome) == "claimed");
}

BOOST_FIXTURE_TEST_CASE(a_batched_claim_adopts_a_token_stored_meanwhile, Fixture) {
  auto accts = three_accounts(*this);
  elsewhere([](TokenRecord &r) { r.access_token = "THtheirs"; });
  auto claims = rotation.claim_many(pointers(accts), Urgency::sweep);
  BOOST_TEST(to_string(claims[0]->outcome) == "adopted");
  BOOST_TEST(accts[0].record.access_token == "THtheirs");
  BOOST_TEST(to_string(claims[1]->outcome) == "claimed");
}

BOOST_FIXTURE_TEST_CASE(batched_token_writes_that_conflict_behave_as_single_ones, Fixture) {
  auto accts = three_accounts(*this);
  BOOST_REQUIRE(rotation.claim_many(pointers(accts), Urgency::sweep)[0].has_value());
  // Alice: another process won the refresh. Its token stays; ours is dropped.
  elsewhere([](TokenRecord &r) { r.access_token = "THwinner"; });
  auto first =
      rotation.store_answers({refreshed(accts[0], "THloser"), refreshed(accts[1], "THb2")});
  BOOST_TEST(to_string(first[0]->outcome) == "adopted");
  BOOST_TEST(load().record.access_token == "THwinner");
  BOOST_TEST(to_string(first[1]->outcome) == "refreshed");
  // Carol: an unrelated write meanwhile is merged, not lost.
  host.before_put = [this](const std::string &) {
    StoredAccount other = accounts.load("carol", Usability::any).value();
    other.record.username = "renamed";
    BOOST_REQUIRE(accounts.save("carol", other.record, other.version).has_value());
  };
  auto second = rotation.store_answers({refreshed(accts[2], "THc2")});
  BOOST_TEST(to_string(second[0]->outcome) == "refreshed");
  const TokenRecord c = accounts.load("carol", Usability::any)->record;
  BOOST_TEST(c.access_token == "THc2");
  BOOST_TEST(c.username == "renamed");
}

BOOST_FIXTURE_TEST_CASE(a_failed_batch_fails_every_account_and_writes_nothing, Fixture) {
  auto accts = three_accounts(*this);
  const int writes_before = host.writes;
  host.fail_batch = true;
  auto claims = rotation.claim_many(pointers(accts), Urgency::sweep);
  for (const auto &c : claims) {
    BOOST_REQUIRE(!c.has_value());
    BOOST_TEST(c.error().status == AH_RETRY_LATER);
  }
  BOOST_TEST(host.writes == writes_before);
  BOOST_TEST(load().record.refresh_claimant.empty());
  // The caller's records are the stored ones again, whole.
  for (const StoredAccount &a : accts) {
    const StoredAccount stored = accounts.load(a.name, Usability::any).value();
    BOOST_TEST(a.record.access_token == stored.record.access_token);
    BOOST_TEST(a.record.user_id == "17841400000000001");
    BOOST_TEST(a.record.refresh_claimant.empty());
    BOOST_TEST(a.version == stored.version);
  }
}

BOOST_FIXTURE_TEST_CASE(accounts_a_batch_declines_keep_their_records_whole, Fixture) {
  auto accts = three_accounts(*this);
  // Bob's token is young: the sweep has nothing to do for him, and writes nothing.
  StoredAccount young = accounts.load("bob", Usability::any).value();
  young.record.issued_at_ms = host.now_ms;
  young.record.expires_at_ms = host.now_ms + 60 * day_ms;
  BOOST_REQUIRE(accounts.save("bob", young.record, young.version).has_value());
  accts[1] = accounts.load("bob", Usability::any).value();
  auto claims = rotation.claim_many(pointers(accts), Urgency::sweep);
  BOOST_TEST(to_string(claims[0]->outcome) == "claimed");
  BOOST_TEST(to_string(claims[1]->outcome) == "skipped");
  BOOST_TEST(accts[1].record.access_token == "THbob");
  BOOST_TEST(accts[1].record.user_id == "17841400000000001");
  BOOST_TEST(accts[1].record.expires_at_ms == host.now_ms + 60 * day_ms);
  BOOST_TEST(accts[0].record.refresh_claimant == "r-me"); // the claimed one follows the store
  // An answer for a token the account no longer holds is declined too, and leaves it whole.
  RefreshAnswer late = failed(accts[1], RefreshFailure::transient, "HTTP 503");
  late.refreshed_from = "THgone";
  auto stored = rotation.store_answers({late});
  BOOST_TEST(to_string(stored[0]->outcome) == "adopted");
  BOOST_TEST(accts[1].record.access_token == "THbob");
  BOOST_TEST(accts[1].record.last_refresh_error.empty());
}

BOOST_FIXTURE_TEST_CASE(a_host_with_the_abi_1_0_table_gets_one_write_per_account, Fixture) {
  auto accts = three_accounts(*this);
  host.use_abi_1_0();
  BOOST_TEST(!host.services().has_secret_put_many());
  const int writes_before = host.writes;
  auto claims = rotation.claim_many(pointers(accts), Urgency::sweep);
  for (const auto &c : claims)
    BOOST_TEST(to_string(c->outcome) == "claimed");
  // The conflict handling is the same without the batch.
  elsewhere([](TokenRecord &r) { r.access_token = "THwinner"; });
  auto stored = rotation.store_answers({refreshed(accts[0], "THloser"), refreshed(accts[1], "THb2"),
                                        failed(accts[2], RefreshFailure::transient, "HTTP 503")});
  BOOST_TEST(to_string(stored[0]->outcome) == "adopted");
  BOOST_TEST(to_string(stored[1]->outcome) == "refreshed");
  BOOST_TEST(to_string(stored[2]->outcome) == "failed");
  BOOST_TEST(host.batches == 0);
  BOOST_TEST(host.writes - writes_before == 3 + 1 + 2); // 3 claims, the rival's, 2 of ours
  BOOST_TEST(accounts.load("bob", Usability::any)->record.access_token == "THb2");
}

// load_many (the sweep's reads): each name gets load()'s answer, in one batch read on an ABI
// 1.5 host and one read each on an older one; a bad name never reaches the host, a missing
// or damaged record fails alone, and a batch the store cannot read fails every name.
BOOST_FIXTURE_TEST_CASE(a_batch_load_answers_each_account_as_load_does, Fixture) {
  const auto accts = three_accounts(*this);
  host.secrets["threads/accounts/dora"] = FakeHost::Entry{"{not json", 1, true};
  const std::vector<std::string> names{"carol", "nobody", "alice", "bad name", "dora", "bob"};
  for (const bool old_host : {false, true}) {
    if (old_host)
      host.use_abi_1_4();
    const int gets = host.gets, batches = host.read_batches;
    auto got = accounts.load_many(names);
    BOOST_REQUIRE_EQUAL(got.size(), names.size());
    BOOST_TEST(host.read_batches - batches == (old_host ? 0 : 1));
    BOOST_TEST(host.gets - gets == 5); // not the bad name
    for (const std::size_t i : {0u, 2u, 5u}) {
      BOOST_REQUIRE(got[i].has_value());
      const StoredAccount &a = accts[i == 0 ? 2 : i == 2 ? 0 : 1];
      BOOST_TEST(got[i]->name == a.name);
      BOOST_TEST(got[i]->record.access_token == a.record.access_token);
      BOOST_TEST(got[i]->version == a.version);
    }
    BOOST_REQUIRE(!got[1].has_value());
    BOOST_TEST(got[1].error().status == AH_NOT_FOUND);
    BOOST_TEST(got[1].error().body.find("nobody") != std::string::npos);
    BOOST_REQUIRE(!got[3].has_value());
    BOOST_TEST(got[3].error().status == AH_INVALID_INPUT);
    BOOST_REQUIRE(!got[4].has_value());
    BOOST_TEST(got[4].error().body.find("dora") != std::string::npos);
  }
}

BOOST_FIXTURE_TEST_CASE(a_batch_load_the_store_cannot_read_fails_every_account, Fixture) {
  three_accounts(*this);
  host.fail_read_batch = true;
  const std::vector<std::string> names{"alice", "bob", "carol"};
  auto got = accounts.load_many(names);
  BOOST_REQUIRE_EQUAL(got.size(), names.size());
  for (const auto &one : got) {
    BOOST_REQUIRE(!one.has_value());
    BOOST_TEST(one.error().status == AH_RETRY_LATER);
  }
  BOOST_TEST(accounts.load_many(names)[1]->name == "bob"); // the next batch reads again
}
