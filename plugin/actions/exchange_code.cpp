// The `exchange_code` action: finish an authorisation - check the state, exchange the code,
// exchange the short-lived token for a long-lived one at once, and store the account.
#include "actions/account_summary.hpp"
#include "actions/input_reader.hpp"
#include "actions/long_lived.hpp"
#include "actions/onboarding.hpp"
#include "auth/app_credentials.hpp"
#include "auth/oauth.hpp"
#include "auth/pending_authorisations.hpp"
#include "auth/scope_check.hpp"
#include "auth/token_endpoints.hpp"
#include "auth/token_inspection.hpp"

#include <boost/json.hpp>

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {

Error state_error(std::string code, std::string message) {
  json::object body{
      {"code", std::move(code)},
      {"field", "state"},
      {"message", "exchange_code: " + message + "; start again with threads.auth_url"}};
  return Error{AH_INVALID_INPUT, json::serialize(body)};
}

Error failed_step(Error e, std::string_view step) {
  return nothing_stored(std::move(e), "exchange_code", step);
}

// The authorisation this redirect finishes: by its state (the CSRF check), or - for a bare
// code without one - the only unexpired authorisation pending for the account.
Result<auth::StoredPending> find_pending(const auth::PendingAuthorisations &store,
                                         const std::string &state, const std::string &account,
                                         std::int64_t now) {
  if (!state.empty()) {
    AH_TRY_DECLARE(found, store.find(state));
    if (!found) {
      return state_error("state_mismatch",
                         "the state does not belong to an authorisation started here (it was "
                         "used already, or the redirect did not come from this host's auth_url)");
    }
    if (auth::PendingAuthorisations::expired(found->record, now)) {
      store.forget(*found);
      return state_error("state_expired", "the authorisation was started more than 2 hours ago");
    }
    return std::move(*found);
  }
  AH_TRY_DECLARE(candidates, store.live(now));
  std::erase_if(candidates, [&](const auth::StoredPending &c) {
    return !account.empty() && c.record.account != account;
  });
  if (candidates.empty()) {
    return state_error("no_pending_authorisation",
                       "no authorisation is pending" +
                           (account.empty() ? std::string() : " for account '" + account + "'"));
  }
  if (candidates.size() > 1) {
    std::string names;
    for (const auto &c : candidates)
      names += (names.empty() ? "" : ", ") + c.record.account;
    return state_error("several_pending_authorisations",
                       "several authorisations are pending (" + names +
                           "); paste the whole redirect URL, which carries the state, or pass "
                           "\"state\"");
  }
  return std::move(candidates.front());
}

// Writes the new record over whatever the account holds (a re-authorisation replaces a
// dead token), with compare-and-set so a concurrent writer is never silently overwritten.
Result<autohost::Done> store_account(const ActionContext &ctx, const std::string &account,
                                     const auth::TokenRecord &record, bool replace) {
  for (int round = 0; round < 8; ++round) {
    std::uint64_t expected = 0;
    auto existing = ctx.accounts.load(account, auth::Usability::any);
    if (existing) {
      if (existing->record.user_id != record.user_id && !replace) {
        return Error::make(AH_CONFLICT,
                           "exchange_code: account '" + account + "' belongs to Threads user " +
                               existing->record.user_id + ", but the authorisation was for user " +
                               record.user_id +
                               "; nothing was stored; pass \"replace\": true to replace it");
      }
      expected = existing->version;
    } else if (existing.error().status != AH_NOT_FOUND &&
               existing.error().status != AH_INTERNAL) { // a damaged record is replaced
      return std::move(existing).error();
    } else if (existing.error().status == AH_INTERNAL) {
      AH_TRY_DECLARE(raw, ctx.host.secret_get(auth::account_key(account)));
      if (raw)
        expected = raw->version;
    }
    auto saved = ctx.accounts.save(account, record, expected);
    if (saved)
      return autohost::Done{};
    if (saved.error().status != AH_CONFLICT)
      return std::move(saved).error();
  }
  return Error::make(AH_CONFLICT, "exchange_code: account '" + account +
                                      "' kept changing while it was stored; try again");
}

// The scopes the user granted, from debug_token (the authorize window lets a user decline
// some): stored as the record's scopes, marked checked. Returns the requested scopes that
// were not granted, or null when debug_token could not tell (then the requested scopes are
// kept, unchecked, so no action is refused on a guess; the server still decides).
json::value check_granted_scopes(const ActionContext &ctx, const auth::StoredApp &app,
                                 const std::vector<std::string> &requested,
                                 auth::TokenRecord &record) {
  auto inspected = inspect_token(ctx, "exchange_code", &app, record.access_token);
  if (!inspected || !inspected->info.valid) {
    record.scopes = requested;
    record.scopes_checked_at_ms = 0;
    ctx.log(AH_LOG_WARN, "exchange_code: the granted scopes could not be checked",
            json::serialize(
                json::object{{"error", inspected ? std::string("token not valid")
                                                 : auth::error_message(inspected.error())}}));
    return nullptr;
  }
  record.scopes = inspected->info.scopes;
  record.scopes_checked_at_ms = ctx.now_ms();
  return json::value_from(auth::missing_scopes(requested, record.scopes));
}

// Steps 1 and 2: the code for a short-lived token (1 hour), at once exchanged for a
// long-lived one (60 days) - a short-lived one is never stored, since nothing could refresh
// it. The code is spent once the first request may have left, and the authorisation with it.
Result<auth::TokenRecord> obtain_token(const ActionContext &ctx,
                                       const auth::PendingAuthorisations &store,
                                       const auth::StoredPending &pending,
                                       const auth::StoredApp &app, const std::string &code) {
  auto exchanged = ctx.graph.call(
      auth::code_exchange_call(ctx.make_call(http::Method::post, "", graph::Operation::token, ""),
                               app.credentials, code, pending.record.redirect_uri));
  if (!exchanged) {
    graph::Failure f = std::move(exchanged).error();
    // A request that never left may be sent again with the same code.
    if (f.delivery != http::Delivery::not_sent)
      store.forget(pending);
    return failed_step(std::move(f.error), "exchanging the authorization code");
  }
  store.forget(pending);
  auto short_token = auth::parse_token_answer(exchanged.value(), "the code exchange");
  if (!short_token)
    return failed_step(std::move(short_token).error(), "the code exchange");
  if (short_token->user_id.empty()) {
    return failed_step(Error::make(AH_RETRY_LATER, "the answer named no user"),
                       "the code exchange");
  }
  AH_TRY_DECLARE(answer, exchange_for_long_lived(ctx, "exchange_code", app.credentials.app_secret,
                                                 short_token->access_token));
  auth::TokenRecord record;
  record.app = app.name;
  record.user_id = short_token->user_id;
  record.access_token = answer.access_token;
  record.kind = auth::TokenKind::long_lived;
  record.issued_at_ms = ctx.now_ms();
  record.expires_at_ms =
      answer.expires_in_s > 0 ? record.issued_at_ms + answer.expires_in_s * 1000 : 0;
  record.username = username_of(ctx, record.access_token);
  return record;
}

Error not_granted(const auth::RedirectParts &parts, const std::string &account) {
  json::object body{
      {"code", parts.error},
      {"account", account},
      {"message",
       "exchange_code: the authorisation was not granted (" + parts.error +
           (parts.error_description.empty() ? std::string() : ": " + parts.error_description) +
           "); start again with threads.auth_url"}};
  return Error{AH_AUTH_REQUIRED, json::serialize(body)};
}

} // namespace

Result<std::string> run_exchange_code(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("exchange_code", input));
  std::string text, redirect_url, state, account;
  bool replace = false;
  AH_TRY_ASSIGN(text, r.string("code"));
  AH_TRY_ASSIGN(redirect_url, r.string("redirect_url"));
  AH_TRY_ASSIGN(state, r.string("state"));
  AH_TRY_ASSIGN(account, r.string("account"));
  AH_TRY_ASSIGN(replace, r.boolean("replace"));
  AH_TRY(r.no_unknown_fields());
  if (text.empty())
    text = redirect_url;
  if (text.empty()) {
    return field_error("exchange_code", "code",
                       "is required: the whole URL the browser was sent to, or the code in it");
  }
  if (account.empty())
    account = std::string(ctx.call.account());
  AH_TRY_DECLARE(parts, auth::parse_redirect(text));
  if (!parts.state.empty() && !state.empty() && parts.state != state) {
    return state_error("state_mismatch", "the redirect's state differs from the \"state\" given");
  }
  if (state.empty())
    state = parts.state;

  const auth::PendingAuthorisations store(ctx.host);
  AH_TRY_DECLARE(pending, find_pending(store, state, account, ctx.now_ms()));
  if (!account.empty() && pending.record.account != account) {
    return field_error("exchange_code", "account",
                       "is '" + account + "', but the authorisation was started for '" +
                           pending.record.account + "'");
  }
  account = pending.record.account;
  if (!parts.error.empty()) {
    store.forget(pending);
    return not_granted(parts, account);
  }
  if (parts.code.empty())
    return field_error("exchange_code", "code", "holds no authorization code");
  AH_TRY_DECLARE(app, auth::Apps(ctx.host).load(pending.record.app));
  AH_TRY_DECLARE(record, obtain_token(ctx, store, pending, app, parts.code));

  const json::value missing = check_granted_scopes(ctx, app, pending.record.scopes, record);
  AH_TRY(store_account(ctx, account, record, replace));
  ctx.log(AH_LOG_INFO, "account authorised",
          json::serialize(json::object{{"account", account},
                                       {"app", app.name},
                                       {"user_id", record.user_id},
                                       {"missing_scopes", missing}}));
  json::value out = json::parse(account_summary(account, record, ctx.now_ms()));
  out.as_object()["requested_scopes"] = json::value_from(pending.record.scopes);
  out.as_object()["missing_scopes"] = missing;
  if (!missing.is_null() && !missing.as_array().empty())
    out.as_object()["fix"] = auth::reauthorise_for_scopes(account, pending.record.scopes);
  return json::serialize(out);
}

} // namespace threads::actions
