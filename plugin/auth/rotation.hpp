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
#include <optional>
#include <string>
#include <vector>

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

// How one refresh request of a batch ended (Rotation::store_answers): the new token, or
// the failure to record.
struct RefreshAnswer {
  StoredAccount *account = nullptr;
  std::string refreshed_from;                         // the token the request sent
  std::optional<TokenAnswer> token;                   // set: stored as store_refreshed does
  RefreshFailure failure = RefreshFailure::transient; // otherwise: as store_failure does
  std::string message;
  // The request was never sent because the sweep stopped: the claim ends and nothing else
  // changes (no failure is recorded against the account).
  bool unsent = false;
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
  // The batched forms of claim and of store_refreshed/store_failure (rotation_many.cpp):
  // every account's write goes in one store transaction (one secret_put per account on a
  // host without secret_put_many). Each account gets exactly the result its single form
  // would give: one whose write conflicts is read again and finished alone, as the single
  // form does. Results are in the order of the input.
  std::vector<autohost::Result<RotationResult>>
  claim_many(const std::vector<StoredAccount *> &accounts, Urgency urgency) const;
  std::vector<autohost::Result<RotationResult>>
  store_answers(const std::vector<RefreshAnswer> &answers) const;
  // Marks an expired account needs_reauth (no request is ever sent for it).
  autohost::Result<RotationResult> mark_expired(StoredAccount &account) const;
  // The new token worked once: the previous one is no longer needed.
  autohost::Result<autohost::Done> forget_previous_token(StoredAccount &account) const;

private:
  enum class Step { write, stop };
  // What a change decided on its last application (each application decides afresh).
  struct Decided {
    RotationResult result;
    bool newly_dead = false; // the write marks an active account needs_reauth: warn once
  };
  // Decides on a record and changes it for the write; one that returns Step::stop leaves the
  // record as it was (update_many hands it back as it is).
  using Change = std::function<Step(TokenRecord &, Decided &)>;
  // One account of a batch.
  struct Batched {
    StoredAccount *account = nullptr;
    Change change;
    Decided decided;
  };

  // Applies `change` to a copy of the record and writes it with CAS; on a conflict reads
  // the record again and retries. Returns false when `change` declined (Step::stop).
  autohost::Result<bool> update(StoredAccount &account,
                                const std::function<Step(TokenRecord &)> &change) const;
  autohost::Result<bool> update(StoredAccount &account, Decided &decided,
                                const Change &change) const;
  // update() for many accounts with one batched write; conflicts go through update().
  std::vector<autohost::Result<RotationResult>> update_many(std::vector<Batched> &items) const;
  // The result of an update: its error, or what was decided (warning when newly dead).
  autohost::Result<RotationResult> finish(const StoredAccount &account, const Decided &decided,
                                          autohost::Result<bool> written) const;

  Change claim_change(std::string token, Urgency urgency) const;
  Change refreshed_change(std::string refreshed_from, TokenAnswer answer) const;
  Change failure_change(std::string refreshed_from, RefreshFailure kind, std::string message) const;
  Change release_change(std::string refreshed_from) const;
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
