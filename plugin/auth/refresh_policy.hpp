// When a token is refreshed (threads-api.md 1.4-1.5): only long-lived tokens at least 24 h
// old and not yet expired can be; the sweep refreshes those inside the refresh window.
#pragma once

#include "auth/time_text.hpp"
#include "auth/token_record.hpp"

#include <cstdint>
#include <string>

namespace threads::auth {

struct RefreshRules {
  std::int64_t min_age_ms = day_ms; // Meta refuses younger tokens
  // A token is due once it expires within this much. 30 days of a 60-day life: with the job
  // every 6 h, 120 runs in a row must be missed before a token can expire, and each account
  // is refreshed about once a month (which also renews the 90-day permission grant).
  std::int64_t window_ms = 30 * day_ms;
  // A refresh claim older than this belongs to a process that died; it is ignored.
  std::int64_t claim_lease_ms = 5 * 60 * 1000;
};

enum class RefreshAction {
  skip,              // nothing to do now (see reason)
  refresh,           // due: refresh it
  mark_needs_reauth, // expired: no refresh can save it, the user must authorise again
};

// Why: "due", "refresh_forced", "needs_reauth", "expired", "too_young", "not_due",
// "short_lived", "in_progress".
struct RefreshDecision {
  RefreshAction action = RefreshAction::skip;
  std::string reason;
  std::int64_t refreshable_from_ms = 0;  // issued_at + min_age
  std::int64_t refreshable_until_ms = 0; // expires_at (0: unknown)
  std::int64_t due_from_ms = 0;          // when the sweep will refresh it
};

// `sweep`: refresh only inside the window; `now`: as soon as Meta allows (refresh_token and
// actions that met a rejected token).
enum class Urgency { sweep, now };

RefreshDecision decide_refresh(const TokenRecord &record, std::int64_t now_ms,
                               const RefreshRules &rules, Urgency urgency = Urgency::sweep);

} // namespace threads::auth
