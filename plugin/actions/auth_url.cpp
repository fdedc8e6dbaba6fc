// The `auth_url` action: start an OAuth authorisation with a remembered CSRF state.
#include "actions/input_reader.hpp"
#include "actions/onboarding.hpp"
#include "auth/app_credentials.hpp"
#include "auth/oauth.hpp"
#include "auth/pending_authorisations.hpp"
#include "auth/time_text.hpp"

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

Result<std::string> run_auth_url(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("auth_url", input));
  std::string account, app_name;
  std::vector<std::string> asked;
  AH_TRY_ASSIGN(account, r.string("account"));
  AH_TRY_ASSIGN(app_name, r.string("app"));
  AH_TRY_ASSIGN(asked, r.strings("scopes"));
  AH_TRY(r.no_unknown_fields());
  if (account.empty())
    account = std::string(ctx.call.account());
  if (account.empty()) {
    return field_error("auth_url", "account", "is required: the name the account will have here");
  }
  AH_TRY(auth::validate_account_name(account));
  AH_TRY_DECLARE(app, auth::Apps(ctx.host).load(app_name));
  AH_TRY_DECLARE(scopes, auth::normalise_scopes(asked.empty() ? auth::default_scopes() : asked));
  AH_TRY_DECLARE(state, auth::generate_state());

  // Authorisations nobody finished would pile up; each start sweeps the expired ones.
  const auth::PendingAuthorisations pending_store(ctx.host);
  pending_store.forget_expired(ctx.now_ms());
  auth::PendingAuthorisation pending{account, app.name, app.credentials.redirect_uri, scopes,
                                     ctx.now_ms()};
  AH_TRY(pending_store.add(state, pending));
  json::array scope_list;
  for (const auto &s : scopes)
    scope_list.emplace_back(s);
  return json::serialize(json::object{
      {"url", auth::authorize_url(ctx.config.oauth_base_url, app.credentials.app_id,
                                  app.credentials.redirect_uri, scopes, state)},
      {"state", state},
      {"account", account},
      {"app", app.name},
      {"redirect_uri", app.credentials.redirect_uri},
      {"scopes", std::move(scope_list)},
      {"expires_at", auth::iso8601(pending.created_at_ms + auth::pending_life_ms)},
      {"next", "open the URL in a browser logged in to the Threads account, approve, then "
               "run: autohost invoke threads.exchange_code --input '{\"code\": \"<the whole URL "
               "the browser was sent to>\"}'"}});
}

} // namespace threads::actions
