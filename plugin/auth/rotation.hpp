// Crash-safe token rotation: every change to an account's record is a compare-and-set write
// on the version that was read, so a refresh is single-flight across threads and processes
// and no update is ever lost.
//
// A refresh goes: claim (CAS write of who is refreshing, and when) -> the refresh request ->
// store the new token (CAS; the old one stays as previous_token) or the failure. A process
// that dies in between leaves a claim that others ignore once the lease has passed; the
// record still holds a token that worked. On every conflict the record is read again: when
// its token is no longer the one this process started from, another process won and its
// token is adopted; otherwise the change is made again on the fresh record.
#pragma once

#include "auth/accounts.hpp"
#include "auth/refresh_policy.hpp"
#include "auth/token_endpoints.hpp"

#include <autohost/plugin.hpp>

#include <functional>
#include <string>

namespace threads::auth {

enum class RotationOutcome {
  claimed,      // this process may refresh now
  refreshed,    // the new token is stored
  adopted,      // another process stored a different token first; `account` now holds it
  failed,       // transient: the token is kept and tried again later
  needs_reauth, // the token is dead or expired: the account is marked, one warning is logged
  skipped,      // not (or no longer) due, or another process holds a fresh claim
};

std::string_view to_string(RotationOutcome outcome);

struct RotationResult {
  RotationOutcome outcome = RotationOutcome::skipped;
  std::string reason; // for skipped/failed/needs_reauth: why, in words or a decision reason
};

class Rotation {
public:
  // `claimant` identifies this refresher in claims (random per sweep or action).
  Rotation(autohost::HostServices host, RefreshRules rules, std::string claimant);

  const RefreshRules &rules() const noexcept { return rules_; }
  std::int64_t now_ms() const { return host_.now_ms(); }
  autohost::HostServices host() const { return host_; }

  // Claims the account for a refresh of the token it holds now.
  autohost::Result<RotationResult> claim(StoredAccount &account, Urgency urgency) const;
  // Stores the token a refresh of `refreshed_from` returned.
  autohost::Result<RotationResult> store_refreshed(StoredAccount &account,
                                                   const std::string &refreshed_from,
                                                   const TokenAnswer &answer) const;
  // Records a failed refresh of `refreshed_from`: transient keeps the token, dead marks the
  // account needs_reauth (and logs the one warning).
  autohost::Result<RotationResult> store_failure(StoredAccount &account,
                                                 const std::string &refreshed_from,
                                                 RefreshFailure kind,
                                                 const std::string &message) const;
  // Marks an expired account needs_reauth (no request is ever sent for it).
  autohost::Result<RotationResult> mark_expired(StoredAccount &account) const;
  // The new token worked once: the previous one is no longer needed.
  autohost::Result<autohost::Done> forget_previous_token(StoredAccount &account) const;

private:
  enum class Step { write, stop };
  // Applies `change` to a copy of the record and writes it with CAS; on a conflict reads
  // the record again and retries. Returns false when `change` declined (Step::stop).
  autohost::Result<bool> update(StoredAccount &account,
                                const std::function<Step(TokenRecord &)> &change) const;
  void warn_needs_reauth(const std::string &account, const std::string &reason) const;

  autohost::HostServices host_;
  Accounts accounts_;
  RefreshRules rules_;
  std::string claimant_;
};

// A random claimant id ("r-" and 16 hex digits).
std::string new_claimant();

// The command that re-authorises `account`, for errors and warnings.
std::string reauthorise_command(std::string_view account);
// auth_required naming the account, why, and the fix.
autohost::Error needs_reauth_error(std::string_view account, std::string_view why);

} // namespace threads::auth
