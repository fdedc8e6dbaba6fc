// The `refresh_token` action: one account, now.
#include "actions/account_summary.hpp"
#include "actions/input_reader.hpp"
#include "actions/token_actions.hpp"
#include "auth/refresh_now.hpp"

namespace threads::actions {
namespace json = boost::json;
using autohost::Result;

Result<std::string> run_refresh_token(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("refresh_token", input));
  std::string account;
  AH_TRY_ASSIGN(account, r.string("account"));
  AH_TRY(r.no_unknown_fields());
  if (account.empty())
    account = std::string(ctx.call.account());
  AH_TRY_DECLARE(stored, ctx.accounts.load(account, auth::Usability::any));

  const auth::Rotation rotation(ctx.host, ctx.refresh_rules(), auth::new_claimant());
  AH_TRY_DECLARE(
      done, auth::refresh_now(
                rotation, stored,
                [&](const std::string &token) {
                  return ctx.graph.call(auth::refresh_call(
                      ctx.make_call(http::Method::get, "", graph::Operation::token, ""), token));
                },
                [&](double seconds) { return ctx.wait(seconds); }));
  json::value out = json::parse(account_summary(stored.name, stored.record, ctx.now_ms()));
  out.as_object()["outcome"] = auth::to_string(done.outcome);
  return json::serialize(out);
}

} // namespace threads::actions
