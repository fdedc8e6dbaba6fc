// The account an action acts as, and the one recovery an action gets when Threads rejects
// its token (code 190, or HTTP 401): use a token another process has stored meanwhile, or
// refresh now when Meta allows it, then send the request once more.
#pragma once

#include "action_context.hpp"

#include <boost/json/value.hpp>

#include <string>

namespace threads::actions {

class ActingAccount {
public:
  // The --account of the call (or the only account); must be active and unexpired, and hold
  // ctx.scopes_needed when its granted scopes are known (auth_required naming the scope).
  static autohost::Result<ActingAccount> load(const ActionContext &ctx);

  const std::string &name() const { return account_.name; }
  const std::string &user_id() const { return account_.record->user_id; }

  // A request safe to send twice (reads, container creation, status checks) as the account:
  // its token replaces call.token. A rejected token is recovered from once per action.
  graph::GraphResult<boost::json::value> call(graph::Call call);
  // Follows a paging URL, with the same recovery.
  graph::GraphResult<boost::json::value> follow(const std::string &url, const graph::Call &like);
  // A request that must never be sent twice (a publish): a rejected token is reported with
  // the fix, not retried.
  graph::GraphResult<boost::json::value> call_once(graph::Call call);

private:
  ActingAccount(const ActionContext &ctx, auth::SharedAccount &&account)
      : ctx_(&ctx), account_(std::move(account)) {}

  const std::string &token() const {
    return use_previous_ ? account_.record->previous_token : account_.record->access_token;
  }
  // After a rejection: true when there is a token worth one more try; otherwise the
  // failure's error becomes the auth_required (or retry_later) error with the fix.
  bool recover(graph::Failure &failure);
  void confirm_token();

  const ActionContext *ctx_;
  auth::SharedAccount account_; // read only: changes go through a copy (Rotation)
  bool recovery_used_ = false;
  bool use_previous_ = false;
  bool confirmed_ = false;
};

// Whether a failure means "this token is not accepted" (190 and its subcodes, 102, 401).
bool token_rejected(const graph::Failure &failure);

} // namespace threads::actions
