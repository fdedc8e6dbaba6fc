// What each rotation step writes into an account's record, and when it declines: the
// changes that Rotation::update and update_many apply (again on a fresh record after a
// conflict).
#include "auth/rotation.hpp"

namespace threads::auth {

Rotation::Change Rotation::claim_change(std::string token, Urgency urgency) const {
  return [this, token = std::move(token), urgency](TokenRecord &r, Decided &d) {
    d = {};
    if (r.access_token != token) {
      d.result = {RotationOutcome::adopted, "another process stored a new token"};
      return Step::stop;
    }
    const RefreshDecision decision = decide_refresh(r, now_ms(), rules_, urgency);
    if (decision.action != RefreshAction::refresh) {
      d.result = {RotationOutcome::skipped, decision.reason};
      return Step::stop;
    }
    r.refresh_claimant = claimant_;
    r.refresh_claim_ms = now_ms();
    r.last_refresh_attempt_ms = r.refresh_claim_ms;
    d.result = {RotationOutcome::claimed, {}};
    return Step::write;
  };
}

Rotation::Change Rotation::refreshed_change(std::string refreshed_from, TokenAnswer answer) const {
  return [this, from = std::move(refreshed_from), answer = std::move(answer)](TokenRecord &r,
                                                                              Decided &d) {
    d = {};
    if (r.access_token != from) {
      // Another process stored a token first; ours stays valid on the server but unused.
      d.result = {RotationOutcome::adopted, "another process stored a new token first"};
      return Step::stop;
    }
    const std::int64_t now = now_ms();
    if (answer.access_token != from) {
      // The refresh itself just proved the old token works; it stays until the new one has.
      r.previous_token = from;
      r.previous_expires_at_ms = r.expires_at_ms;
    } else {
      r.previous_token.clear();
      r.previous_expires_at_ms = 0;
    }
    r.access_token = answer.access_token;
    r.kind = TokenKind::long_lived;
    r.issued_at_ms = now;
    r.expires_at_ms = answer.expires_in_s > 0 ? now + answer.expires_in_s * 1000 : 0;
    r.status = AccountStatus::active;
    r.last_refresh_ms = now;
    r.last_refresh_attempt_ms = now;
    r.last_refresh_error.clear();
    r.refresh_claimant.clear();
    r.refresh_claim_ms = 0;
    d.result = {RotationOutcome::refreshed, {}};
    return Step::write;
  };
}

Rotation::Change Rotation::failure_change(std::string refreshed_from, RefreshFailure kind,
                                          std::string message) const {
  return [this, from = std::move(refreshed_from), kind,
          message = std::move(message)](TokenRecord &r, Decided &d) {
    d = {};
    if (r.access_token != from) {
      // Typical with revoke-on-refresh: another process refreshed first, which killed the
      // token this one sent. The record holds the winner's token: nothing is lost.
      d.result = {RotationOutcome::adopted, "another process stored a new token first"};
      return Step::stop;
    }
    const bool dead = kind == RefreshFailure::dead;
    d.result = {dead ? RotationOutcome::needs_reauth : RotationOutcome::failed, message};
    r.last_refresh_attempt_ms = now_ms();
    if (r.refresh_claimant == claimant_) {
      r.refresh_claimant.clear();
      r.refresh_claim_ms = 0;
    }
    if (dead) {
      d.newly_dead = r.status == AccountStatus::active;
      r.status = AccountStatus::needs_reauth;
      r.last_refresh_error = "the refresh was refused: " + message;
    } else {
      r.last_refresh_error = "temporary: " + message;
    }
    return Step::write;
  };
}

Rotation::Change Rotation::release_change(std::string refreshed_from) const {
  return [this, from = std::move(refreshed_from)](TokenRecord &r, Decided &d) {
    d = {};
    d.result = {RotationOutcome::skipped, "the refresh was not sent: the sweep stopped"};
    if (r.access_token != from || r.refresh_claimant != claimant_)
      return Step::stop; // no claim of ours left to end
    r.refresh_claimant.clear();
    r.refresh_claim_ms = 0;
    return Step::write;
  };
}

} // namespace threads::auth
