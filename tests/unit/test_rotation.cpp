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
