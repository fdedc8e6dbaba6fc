// The refresh rules: which tokens are due, which can never be refreshed again.
#include "auth/refresh_policy.hpp"

#include <algorithm>

namespace threads::auth {

RefreshDecision decide_refresh(const TokenRecord &r, std::int64_t now_ms, const RefreshRules &rules,
                               Urgency urgency) {
  RefreshDecision d;
  d.refreshable_from_ms = r.issued_at_ms + rules.min_age_ms;
  d.refreshable_until_ms = r.expires_at_ms;
  // Without a known expiry the token is refreshed as soon as allowed: the answer says it.
  d.due_from_ms = r.expires_at_ms == 0
                      ? d.refreshable_from_ms
                      : std::max(d.refreshable_from_ms, r.expires_at_ms - rules.window_ms);
  auto skip = [&](const char *why) {
    d.action = RefreshAction::skip;
    d.reason = why;
    return d;
  };
  if (r.status == AccountStatus::needs_reauth)
    return skip("needs_reauth");
  if (r.expired(now_ms)) {
    d.action = RefreshAction::mark_needs_reauth;
    d.reason = "expired";
    return d;
  }
  if (r.kind != TokenKind::long_lived)
    return skip("short_lived");
  if (now_ms < d.refreshable_from_ms)
    return skip("too_young");
  if (urgency == Urgency::sweep && now_ms < d.due_from_ms)
    return skip("not_due");
  if (r.claim_fresh(now_ms, rules.claim_lease_ms))
    return skip("in_progress");
  d.action = RefreshAction::refresh;
  d.reason = urgency == Urgency::sweep ? "due" : "refresh_forced";
  return d;
}

} // namespace threads::auth
