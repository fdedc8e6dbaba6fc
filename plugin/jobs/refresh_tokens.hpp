// The `refresh_tokens` job: a sweep over every account that refreshes what is due.
#pragma once

#include "action_context.hpp"

#include <autohost/result.hpp>

#include <string>

namespace threads::jobs {

// Reads every account record (no request for those not due), marks expired ones
// needs_reauth (never sending them), and refreshes the due ones - long-lived, at least 24 h
// old, expiring within the refresh window - with at most `refresh_concurrency` requests in
// flight, each claimed first so no two processes refresh one account. Failures: transient
// ones keep the token (the HTTP layer retries with backoff within the run; the next run
// tries again); dead ones mark the account needs_reauth with one warning.
// Report: {"refreshed", "skipped", "failed", "needs_reauth", "accounts", "details": [...],
// "details_omitted", "complete", "duration_ms", "refresh_window_days"}: counts, and in
// "details" only the accounts that need attention (failed, needs_reauth: account, outcome,
// reason), at most 1,000, the rest counted in "details_omitted", so the report's size does
// not grow with the number of accounts. Cancelled or past its deadline: a cancelled error
// whose body carries the counts so far.
autohost::Result<std::string> run_refresh_tokens(const ActionContext &ctx);

} // namespace threads::jobs
