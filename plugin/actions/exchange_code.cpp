// The `exchange_code` action: finish an authorisation - check the state, exchange the code,
// exchange the short-lived token for a long-lived one at once, and store the account.
#include "actions/account_summary.hpp"
#include "actions/input_reader.hpp"
#include "actions/long_lived.hpp"
#include "actions/onboarding.hpp"
#include "auth/app_credentials.hpp"
#include "auth/oauth.hpp"
#include "auth/token_endpoints.hpp"

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {

struct Pending {
  std::string key;
  std::uint64_t version = 0;
  auth::PendingAuthorisation record;
};

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

Result<std::optional<Pending>> read_pending(const ActionContext &ctx, const std::string &key) {
  auto secret = ctx.host.secret_get(key);
  if (!secret)
    return std::move(secret).error();
  if (!secret.value())
    return std::optional<Pending>{};
  auto record = auth::pending_from_json(secret.value()->value);
  if (!record)
    return std::optional<Pending>{};
  return std::optional<Pending>{Pending{key, secret.value()->version, std::move(*record)}};
}

// The authorisation this redirect finishes: by its state (the CSRF check), or - for a bare
// code without one - the only unexpired authorisation pending for the account.
Result<Pending> find_pending(const ActionContext &ctx, const std::string &state,
                             const std::string &account) {
  const std::int64_t now = ctx.now_ms();
  if (!state.empty()) {
    auto found = read_pending(ctx, auth::pending_key(state));
    if (!found)
      return std::move(found).error();
    if (!found.value()) {
      return state_error("state_mismatch",
                         "the state does not belong to an authorisation started here (it was "
                         "used already, or the redirect did not come from this host's auth_url)");
    }
    if (found.value()->record.created_at_ms + auth::pending_life_ms < now) {
      (void)ctx.host.secret_delete(found.value()->key, found.value()->version);
      return state_error("state_expired", "the authorisation was started more than 2 hours ago");
    }
    return std::move(*found.value());
  }
  auto listed = ctx.host.secret_list(auth::pending_prefix);
  if (!listed)
    return std::move(listed).error();
  std::vector<Pending> candidates;
  const json::value doc = json::parse(listed.value());
  for (const auto &entry : doc.as_array()) {
    auto found = read_pending(ctx, std::string(entry.as_object().at("key").as_string()));
    if (!found)
      return std::move(found).error();
    if (!found.value() || found.value()->record.created_at_ms + auth::pending_life_ms < now)
      continue;
    if (!account.empty() && found.value()->record.account != account)
      continue;
    candidates.push_back(std::move(*found.value()));
  }
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
      auto raw = ctx.host.secret_get(auth::account_key(account));
      if (!raw)
        return std::move(raw).error();
      if (raw.value())
        expected = raw.value()->version;
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

} // namespace

Result<std::string> run_exchange_code(const ActionContext &ctx, std::string_view input) {
  auto doc = parse_input("exchange_code", input);
  if (!doc)
    return std::move(doc).error();
  Reader r("exchange_code", doc->as_object());
  std::string text, redirect_url, state, account;
  bool replace = false;
  AH_TRY_ASSIGN(text, r.string("code"));
  AH_TRY_ASSIGN(redirect_url, r.string("redirect_url"));
  AH_TRY_ASSIGN(state, r.string("state"));
  AH_TRY_ASSIGN(account, r.string("account"));
  AH_TRY_ASSIGN(replace, r.boolean("replace"));
  if (auto ok = r.no_unknown_fields(); !ok)
    return std::move(ok).error();
  if (text.empty())
    text = redirect_url;
  if (text.empty()) {
    return field_error("exchange_code", "code",
                       "is required: the whole URL the browser was sent to, or the code in it");
  }
  if (account.empty())
    account = std::string(ctx.call.account());
  auto parts = auth::parse_redirect(text);
  if (!parts)
    return std::move(parts).error();
  if (!parts->state.empty() && !state.empty() && parts->state != state) {
    return state_error("state_mismatch", "the redirect's state differs from the \"state\" given");
  }
  if (state.empty())
    state = parts->state;

  auto pending = find_pending(ctx, state, account);
  if (!pending)
    return std::move(pending).error();
  if (!account.empty() && pending->record.account != account) {
    return field_error("exchange_code", "account",
                       "is '" + account + "', but the authorisation was started for '" +
                           pending->record.account + "'");
  }
  account = pending->record.account;
  auto forget_pending = [&] { (void)ctx.host.secret_delete(pending->key, pending->version); };

  if (!parts->error.empty()) {
    forget_pending();
    json::object body{
        {"code", parts->error},
        {"account", account},
        {"message",
         "exchange_code: the authorisation was not granted (" + parts->error +
             (parts->error_description.empty() ? std::string() : ": " + parts->error_description) +
             "); start again with threads.auth_url"}};
    return Error{AH_AUTH_REQUIRED, json::serialize(body)};
  }
  if (parts->code.empty()) {
    return field_error("exchange_code", "code", "holds no authorization code");
  }
  auto app = auth::Apps(ctx.host).load(pending->record.app);
  if (!app)
    return std::move(app).error();

  // 1. The code for a short-lived token (1 hour).
  auto exchanged = ctx.graph.call(
      auth::code_exchange_call(ctx.make_call(http::Method::post, "", graph::Operation::token, ""),
                               app->credentials, parts->code, pending->record.redirect_uri));
  if (!exchanged) {
    graph::Failure f = std::move(exchanged).error();
    // A request that never left may be sent again with the same code; otherwise the code
    // is spent and the authorisation with it.
    if (f.delivery != http::Delivery::not_sent)
      forget_pending();
    return failed_step(std::move(f.error), "exchanging the authorization code");
  }
  forget_pending();
  auto short_token = auth::parse_token_answer(exchanged.value(), "the code exchange");
  if (!short_token)
    return failed_step(std::move(short_token).error(), "the code exchange");
  if (short_token->user_id.empty()) {
    return failed_step(Error::make(AH_RETRY_LATER, "the answer named no user"),
                       "the code exchange");
  }

  // 2. At once for a long-lived token (60 days): a short-lived one is never stored, since
  // nothing could refresh it.
  auto answer = exchange_for_long_lived(ctx, "exchange_code", app->credentials.app_secret,
                                        short_token->access_token);
  if (!answer)
    return std::move(answer).error();

  auth::TokenRecord record;
  record.app = app->name;
  record.user_id = short_token->user_id;
  record.access_token = answer->access_token;
  record.kind = auth::TokenKind::long_lived;
  record.scopes = pending->record.scopes;
  record.issued_at_ms = ctx.now_ms();
  record.expires_at_ms =
      answer->expires_in_s > 0 ? record.issued_at_ms + answer->expires_in_s * 1000 : 0;
  auto me = ctx.make_call(http::Method::get, "/me", graph::Operation::read, record.access_token);
  me.params = {{"fields", "id,username"}};
  if (auto profile = ctx.graph.call(me); profile && profile->is_object()) {
    if (const json::value *u = profile->as_object().if_contains("username");
        u != nullptr && u->is_string()) {
      record.username = std::string(u->as_string());
    }
  }
  if (auto stored = store_account(ctx, account, record, replace); !stored) {
    return std::move(stored).error();
  }
  ctx.log(AH_LOG_INFO, "account authorised",
          json::serialize(
              json::object{{"account", account}, {"app", app->name}, {"user_id", record.user_id}}));
  return account_summary(account, record, ctx.now_ms());
}

} // namespace threads::actions
