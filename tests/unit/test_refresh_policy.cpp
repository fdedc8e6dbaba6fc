// The refresh rules: the decision table at the ages the issue names, the window, claims.
#define BOOST_TEST_MODULE refresh_policy
#include <boost/test/unit_test.hpp>

#include "auth/refresh_policy.hpp"

using namespace threads::auth;

namespace {

constexpr std::int64_t issued = 1'750'000'000'000;
constexpr std::int64_t life_ms = 5'184'000'000; // expires_in 5184000 s

TokenRecord fresh_long_token() {
  TokenRecord r;
  r.access_token = "THtoken";
  r.kind = TokenKind::long_lived;
  r.issued_at_ms = issued;
  r.expires_at_ms = issued + life_ms;
  return r;
}

struct Row {
  const char *label;
  std::int64_t age_ms;
  RefreshAction action;
  const char *reason;
};

void check_table(const RefreshRules &rules, const std::vector<Row> &rows) {
  const TokenRecord r = fresh_long_token();
  for (const auto &row : rows) {
    const RefreshDecision d = decide_refresh(r, issued + row.age_ms, rules);
    BOOST_TEST((d.action == row.action), row.label);
    BOOST_TEST(d.reason == row.reason, row.label << ": " << d.reason);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(decision_table_with_the_default_window) {
  check_table(RefreshRules{},
              {
                  {"0 h", 0, RefreshAction::skip, "too_young"},
                  {"1 h", hour_ms, RefreshAction::skip, "too_young"},
                  {"23 h", 23 * hour_ms, RefreshAction::skip, "too_young"},
                  {"25 h", 25 * hour_ms, RefreshAction::skip, "not_due"},
                  {"30 d", 30 * day_ms, RefreshAction::refresh, "due"},
                  {"59 d", 59 * day_ms, RefreshAction::refresh, "due"},
                  {"61 d", 61 * day_ms, RefreshAction::mark_needs_reauth, "expired"},
              });
}

BOOST_AUTO_TEST_CASE(decision_table_with_the_widest_window) {
  RefreshRules rules;
  rules.window_ms = 59 * day_ms; // due as soon as Meta allows
  check_table(rules, {
                         {"0 h", 0, RefreshAction::skip, "too_young"},
                         {"1 h", hour_ms, RefreshAction::skip, "too_young"},
                         {"23 h", 23 * hour_ms, RefreshAction::skip, "too_young"},
                         {"25 h", 25 * hour_ms, RefreshAction::refresh, "due"},
                         {"30 d", 30 * day_ms, RefreshAction::refresh, "due"},
                         {"59 d", 59 * day_ms, RefreshAction::refresh, "due"},
                         {"61 d", 61 * day_ms, RefreshAction::mark_needs_reauth, "expired"},
                     });
}

BOOST_AUTO_TEST_CASE(the_window_tolerates_many_missed_runs) {
  // With runs every 6 h, a token is due for all runs in its last 30 days.
  const RefreshRules rules;
  const TokenRecord r = fresh_long_token();
  int due_runs = 0;
  for (std::int64_t t = issued; t < r.expires_at_ms; t += 6 * hour_ms) {
    if (decide_refresh(r, t, rules).action == RefreshAction::refresh)
      ++due_runs;
  }
  BOOST_TEST(due_runs >= 119);
  const RefreshDecision d = decide_refresh(r, issued, rules);
  BOOST_TEST(d.refreshable_from_ms == issued + day_ms);
  BOOST_TEST(d.refreshable_until_ms == issued + life_ms);
  BOOST_TEST(d.due_from_ms == issued + life_ms - 30 * day_ms);
}

BOOST_AUTO_TEST_CASE(refresh_now_ignores_the_window_but_not_the_24_hours) {
  const RefreshRules rules;
  const TokenRecord r = fresh_long_token();
  BOOST_TEST(decide_refresh(r, issued + 23 * hour_ms, rules, Urgency::now).reason == "too_young");
  const auto d = decide_refresh(r, issued + 25 * hour_ms, rules, Urgency::now);
  BOOST_TEST((d.action == RefreshAction::refresh));
  BOOST_TEST(d.reason == "refresh_forced");
}

BOOST_AUTO_TEST_CASE(dead_short_and_unknown_expiry_tokens) {
  const RefreshRules rules;
  TokenRecord r = fresh_long_token();
  r.status = AccountStatus::needs_reauth;
  BOOST_TEST(decide_refresh(r, issued + 40 * day_ms, rules).reason == "needs_reauth");

  r = fresh_long_token();
  r.kind = TokenKind::short_lived;
  r.expires_at_ms = issued + hour_ms;
  BOOST_TEST(decide_refresh(r, issued + 10, rules).reason == "short_lived");
  BOOST_TEST(decide_refresh(r, issued + 2 * hour_ms, rules).reason == "expired");

  r = fresh_long_token();
  r.expires_at_ms = 0; // unknown: refreshed as soon as allowed, which tells the expiry
  BOOST_TEST(decide_refresh(r, issued + 23 * hour_ms, rules).reason == "too_young");
  BOOST_TEST(decide_refresh(r, issued + 25 * hour_ms, rules).reason == "due");
}

BOOST_AUTO_TEST_CASE(a_fresh_claim_blocks_and_a_stale_one_does_not) {
  const RefreshRules rules;
  TokenRecord r = fresh_long_token();
  const std::int64_t now = issued + 40 * day_ms;
  r.refresh_claimant = "r-other";
  r.refresh_claim_ms = now - 1000;
  BOOST_TEST(decide_refresh(r, now, rules).reason == "in_progress");
  r.refresh_claim_ms = now - rules.claim_lease_ms - 1;
  BOOST_TEST(decide_refresh(r, now, rules).reason == "due");
  r.refresh_claim_ms = now + 2 * rules.claim_lease_ms; // from a clock that jumped back
  BOOST_TEST(decide_refresh(r, now, rules).reason == "due");
}
