// Refreshing one account at once, single-flight.
#include "auth/refresh_now.hpp"

#include "auth/time_text.hpp"

#include <boost/json.hpp>

namespace threads::auth {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {

constexpr double claim_poll_s = 0.25;
constexpr double claim_wait_s = 20;

Error retry_later(std::string_view account, std::string code, std::string message,
                  std::int64_t retry_after_s) {
  json::object body{{"code", std::move(code)},
                    {"account", account},
                    {"message", std::move(message)},
                    {"retry_after_s", std::max<std::int64_t>(1, retry_after_s)}};
  return Error{AH_RETRY_LATER, json::serialize(body)};
}

// Claimed: this process refreshes, and stores the new token or why there is none.
Result<RotationResult> refresh_claimed(const Rotation &rotation, StoredAccount &account,
                                       const SendRefresh &send) {
  const std::string from = account.record.access_token;
  auto answered = send(from);
  if (!answered) {
    graph::Failure failure = std::move(answered).error();
    const RefreshFailure kind = classify_refresh_failure(failure);
    AH_TRY_DECLARE(stored,
                   rotation.store_failure(account, from, kind, error_message(failure.error)));
    if (stored.outcome == RotationOutcome::adopted)
      return stored;
    if (kind == RefreshFailure::dead)
      return needs_reauth_error(account.name, account.record.last_refresh_error);
    return std::move(failure.error);
  }
  auto answer = parse_token_answer(answered.value(), "refresh");
  if (!answer) {
    AH_TRY(rotation.store_failure(account, from, RefreshFailure::transient,
                                  error_message(answer.error())));
    return std::move(answer).error();
  }
  return rotation.store_refreshed(account, from, answer.value());
}

} // namespace

Result<RotationResult> refresh_now(const Rotation &rotation, StoredAccount &account,
                                   const SendRefresh &send, const WaitFor &wait) {
  double waited = 0;
  // Each round re-decides on a record that changed; a record that keeps changing is left to
  // the next attempt rather than chased for ever.
  for (int round = 0;; ++round) {
    if (round == 200) {
      return retry_later(account.name, "record_busy",
                         "account '" + account.name + "' kept changing; try again shortly", 5);
    }
    const std::int64_t now = rotation.now_ms();
    const RefreshDecision d = decide_refresh(account.record, now, rotation.rules(), Urgency::now);
    if (d.action == RefreshAction::mark_needs_reauth) {
      AH_TRY_DECLARE(marked, rotation.mark_expired(account));
      if (marked.outcome == RotationOutcome::adopted)
        continue;
      return needs_reauth_error(account.name, account.record.last_refresh_error);
    }
    if (d.reason == "needs_reauth") {
      return needs_reauth_error(account.name, account.record.last_refresh_error.empty()
                                                  ? "it was marked so earlier"
                                                  : account.record.last_refresh_error);
    }
    if (d.reason == "short_lived") {
      return Error::make(AH_INVALID_INPUT,
                         "account '" + account.name +
                             "' holds a short-lived token, which cannot be refreshed; import a "
                             "long-lived one or re-authorise: " +
                             reauthorise_command(account.name));
    }
    if (d.reason == "too_young") {
      return retry_later(account.name, "too_young_to_refresh",
                         "account '" + account.name + "': its token was issued at " +
                             iso8601(account.record.issued_at_ms) +
                             "; Meta refreshes a token only once it is 24 hours old, from " +
                             iso8601(d.refreshable_from_ms),
                         (d.refreshable_from_ms - now + 999) / 1000);
    }
    RotationResult claimed{RotationOutcome::skipped, d.reason};
    if (d.action == RefreshAction::refresh) {
      AH_TRY_ASSIGN(claimed, rotation.claim(account, Urgency::now));
    }
    if (claimed.outcome == RotationOutcome::adopted)
      return claimed;
    if (claimed.outcome == RotationOutcome::skipped) {
      if (claimed.reason != "in_progress")
        continue; // the record changed: decide again
      // Another process is refreshing: wait for its result rather than refresh twice.
      const std::string token = account.record.access_token;
      if (waited >= claim_wait_s || !wait(claim_poll_s)) {
        return retry_later(account.name, "refresh_in_progress",
                           "account '" + account.name +
                               "' is being refreshed by another process; try again shortly",
                           5);
      }
      waited += claim_poll_s;
      AH_TRY_ASSIGN(account, Accounts(rotation.host()).load(account.name, Usability::any));
      if (account.record.access_token != token) {
        return RotationResult{RotationOutcome::adopted, "another process refreshed it"};
      }
      continue;
    }
    return refresh_claimed(rotation, account, send);
  }
}

} // namespace threads::auth
