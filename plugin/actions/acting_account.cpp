// The account an action acts as, with recovery from a rejected token.
#include "actions/acting_account.hpp"

#include "auth/refresh_now.hpp"
#include "auth/scope_check.hpp"
#include "auth/token_endpoints.hpp"

#include <boost/json.hpp>

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {

// The original rejection, with the account and the command that fixes it.
Error with_fix(Error error, std::string_view account) {
  boost::system::error_code ec;
  json::value body = json::parse(error.body, ec);
  if (ec || !body.is_object())
    body = json::object{{"message", error.body}};
  body.as_object()["account"] = account;
  body.as_object()["fix"] = auth::reauthorise_command(account);
  error.body = json::serialize(body);
  return error;
}

} // namespace

bool token_rejected(const graph::Failure &f) {
  if (!f.graph)
    return false;
  const long long code = f.graph->code.value_or(0);
  return code == 190 || code == 102 || f.graph->http_status == 401;
}

Result<ActingAccount> ActingAccount::load(const ActionContext &ctx) {
  auto account = ctx.accounts.load_shared(ctx.call.account(), auth::Usability::usable);
  if (!account)
    return std::move(account).error();
  AH_TRY(auth::require_scopes(account->name, ctx.action, *account->record, ctx.scopes_needed));
  return ActingAccount(ctx, std::move(*account));
}

graph::GraphResult<json::value> ActingAccount::call(graph::Call call) {
  for (;;) {
    call.token = token();
    auto result = ctx_->graph.call(call);
    if (result) {
      confirm_token();
      return result;
    }
    graph::Failure failure = std::move(result).error();
    if (!token_rejected(failure) || !recover(failure))
      return failure;
  }
}

graph::GraphResult<json::value> ActingAccount::follow(const std::string &url,
                                                      const graph::Call &like) {
  for (;;) {
    auto result = ctx_->graph.follow(url, token(), like);
    if (result) {
      confirm_token();
      return result;
    }
    graph::Failure failure = std::move(result).error();
    if (!token_rejected(failure) || !recover(failure))
      return failure;
  }
}

graph::GraphResult<json::value> ActingAccount::call_once(graph::Call call) {
  call.token = token();
  auto result = ctx_->graph.call(call);
  if (result) {
    confirm_token();
    return result;
  }
  graph::Failure failure = std::move(result).error();
  if (token_rejected(failure))
    failure.error = with_fix(std::move(failure.error), name());
  return failure;
}

void ActingAccount::confirm_token() {
  if (confirmed_ || use_previous_)
    return;
  confirmed_ = true;
  if (account_.record->previous_token.empty())
    return;
  // The new token has worked once: the one it replaced is no longer needed.
  const auth::Rotation rotation(ctx_->host, ctx_->refresh_rules(), auth::new_claimant());
  auth::StoredAccount changed = account_.stored();
  auto forgotten = rotation.forget_previous_token(changed);
  account_ = auth::SharedAccount::of(std::move(changed));
  if (!forgotten) {
    ctx_->log(AH_LOG_DEBUG, "could not drop the previous token; the next refresh will",
              json::serialize(json::object{{"account", name()}}));
  }
}

bool ActingAccount::recover(graph::Failure &failure) {
  if (recovery_used_) {
    failure.error = with_fix(std::move(failure.error), name());
    return false;
  }
  recovery_used_ = true;
  const std::string rejected = token();
  auto fresh = ctx_->accounts.load_shared(name(), auth::Usability::any);
  if (fresh && fresh->record->access_token != account_.record->access_token &&
      fresh->record->status == auth::AccountStatus::active) {
    // Another process refreshed or re-imported the token meanwhile.
    account_ = std::move(fresh).value();
    use_previous_ = false;
    return true;
  }
  if (fresh)
    account_ = std::move(fresh).value();
  const auth::Rotation rotation(ctx_->host, ctx_->refresh_rules(), auth::new_claimant());
  const auth::RefreshDecision d =
      decide_refresh(*account_.record, ctx_->now_ms(), rotation.rules(), auth::Urgency::now);
  if (d.action == auth::RefreshAction::refresh || d.reason == "in_progress") {
    ctx_->log(AH_LOG_INFO, "the token was rejected; refreshing it once",
              json::serialize(json::object{{"account", name()}}));
    auth::StoredAccount changed = account_.stored();
    auto refreshed = auth::refresh_now(
        rotation, changed,
        [&](const std::string &token) {
          return ctx_->graph.call(auth::refresh_call(
              ctx_->make_call(http::Method::get, "", graph::Operation::token, ""), token));
        },
        [&](double seconds) { return ctx_->wait(seconds); });
    account_ = auth::SharedAccount::of(std::move(changed));
    if (refreshed) {
      use_previous_ = false;
      return true;
    }
    failure.error = std::move(refreshed).error();
    return false;
  }
  // A token refreshed less than 24 h ago may not be accepted everywhere yet; the one it
  // replaced is kept for exactly this until the new one has worked once.
  const auth::TokenRecord &r = *account_.record;
  if (!use_previous_ && !r.previous_token.empty() && r.previous_token != rejected &&
      (r.previous_expires_at_ms == 0 || r.previous_expires_at_ms > ctx_->now_ms())) {
    use_previous_ = true;
    return true;
  }
  failure.error = with_fix(std::move(failure.error), name());
  return false;
}

} // namespace threads::actions
