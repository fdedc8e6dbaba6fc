// The `import_token` action: store a pasted token as an account.
#include "actions/import_token.hpp"

#include "actions/account_summary.hpp"
#include "actions/input_reader.hpp"
#include "actions/long_lived.hpp"
#include "auth/app_credentials.hpp"
#include "auth/token_endpoints.hpp"

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {

std::int64_t seconds_field(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  if (v == nullptr)
    return 0;
  if (v->is_int64())
    return v->as_int64();
  if (v->is_uint64())
    return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double())
    return static_cast<std::int64_t>(v->as_double());
  return 0;
}

Error nothing_stored(Error e, std::string_view step) {
  return actions::nothing_stored(std::move(e), "import_token", step);
}

// The registered app the token belongs to: the one named, or the one whose app id
// debug_token reported. Empty name when none matches (a long-lived token needs no app).
Result<auth::StoredApp> token_app(const ActionContext &ctx, const std::string &named,
                                  const std::string &app_id) {
  const auth::Apps apps(ctx.host);
  if (!named.empty()) {
    auto app = apps.load(named);
    if (!app)
      return std::move(app).error();
    if (!app_id.empty() && app->credentials.app_id != app_id) {
      return field_error("import_token", "app",
                         "is app id " + app->credentials.app_id +
                             ", but the token belongs to app id " + app_id);
    }
    return app;
  }
  if (app_id.empty())
    return auth::StoredApp{};
  auto found = apps.find_by_app_id(app_id);
  if (!found && found.error().status == AH_NOT_FOUND)
    return auth::StoredApp{};
  return found;
}

// Asks debug_token who the token belongs to, its app (`app_id`), and when it was issued and
// expires: the record to store, before the exchange and the username.
Result<auth::TokenRecord> checked_token(const ActionContext &ctx, const std::string &token,
                                        std::string &app_id) {
  auto call = ctx.make_call(http::Method::get, "/debug_token", graph::Operation::read, token);
  call.params = {{"input_token", token}};
  auto debug = ctx.graph.call(call);
  if (!debug)
    return nothing_stored(to_error(std::move(debug).error()), "checking the token");
  const json::value *data = debug->is_object() ? debug->as_object().if_contains("data") : nullptr;
  if (data == nullptr || !data->is_object()) {
    return Error::make(AH_RETRY_LATER, "import_token: debug_token answered without data");
  }
  const json::object &d = data->as_object();
  if (const json::value *valid = d.if_contains("is_valid");
      valid != nullptr && valid->is_bool() && !valid->as_bool()) {
    return Error::make(AH_AUTH_REQUIRED, "import_token: the token is not valid (expired or "
                                         "revoked); authorise the account again with "
                                         "threads.auth_url and threads.exchange_code");
  }
  auth::TokenRecord record;
  record.access_token = token;
  record.user_id = graph::id_string(d.if_contains("user_id"));
  record.issued_at_ms = seconds_field(d, "issued_at") * 1000;
  record.expires_at_ms = seconds_field(d, "expires_at") * 1000;
  if (const json::value *s = d.if_contains("scopes"); s != nullptr && s->is_array()) {
    for (const auto &scope : s->as_array()) {
      if (scope.is_string())
        record.scopes.emplace_back(scope.as_string());
    }
  }
  if (record.user_id.empty()) {
    return Error::make(AH_RETRY_LATER, "import_token: debug_token did not name the user");
  }
  app_id = graph::id_string(d.if_contains("app_id"));
  return record;
}

// Exchanges a short-lived token in `record` for a long-lived one, with the app's secret.
Result<autohost::Done> make_long_lived(const ActionContext &ctx, const auth::StoredApp &app,
                                       auth::TokenRecord &record) {
  if (app.name.empty()) {
    return field_error("import_token", "access_token",
                       "is a short-lived token (1 hour); register its Threads app first "
                       "(threads.register_app) so it can be exchanged for a long-lived one with "
                       "the app secret, or paste a long-lived token");
  }
  AH_TRY_DECLARE(answer, exchange_for_long_lived(ctx, "import_token", app.credentials.app_secret,
                                                 record.access_token));
  record.access_token = answer.access_token;
  record.issued_at_ms = ctx.now_ms();
  record.expires_at_ms =
      answer.expires_in_s > 0 ? record.issued_at_ms + answer.expires_in_s * 1000 : 0;
  return autohost::Done{};
}

// The account's username from /me, when it can be read (it is only shown, never relied on).
void add_username(const ActionContext &ctx, auth::TokenRecord &record) {
  auto me = ctx.make_call(http::Method::get, "/me", graph::Operation::read, record.access_token);
  me.params = {{"fields", "id,username"}};
  if (auto profile = ctx.graph.call(me); profile && profile->is_object()) {
    if (const json::value *u = profile->as_object().if_contains("username");
        u != nullptr && u->is_string()) {
      record.username = std::string(u->as_string());
    }
  }
}

// Stores the account: new, or replacing the stored one when `replace`.
Result<autohost::Done> save_account(const ActionContext &ctx, const std::string &account,
                                    const auth::TokenRecord &record, bool replace) {
  std::uint64_t expected = 0;
  if (replace) {
    auto existing = ctx.accounts.load(account, auth::Usability::any);
    if (existing) {
      expected = existing->version;
    } else if (existing.error().status != AH_NOT_FOUND) {
      return std::move(existing).error();
    }
  }
  auto saved = ctx.accounts.save(account, record, expected);
  if (!saved) {
    if (saved.error().status == AH_CONFLICT) {
      return Error::make(AH_CONFLICT, "import_token: account '" + account +
                                          "' exists already; pass \"replace\": true to replace it");
    }
    return std::move(saved).error();
  }
  return autohost::Done{};
}

} // namespace

Result<std::string> run_import_token(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("import_token", input));
  std::string account, token, app_name;
  bool replace = false;
  AH_TRY_ASSIGN(account, r.string("account"));
  AH_TRY_ASSIGN(token, r.string("access_token"));
  AH_TRY_ASSIGN(app_name, r.string("app"));
  AH_TRY_ASSIGN(replace, r.boolean("replace"));
  AH_TRY(r.no_unknown_fields());
  if (account.empty())
    account = std::string(ctx.call.account());
  if (account.empty())
    return field_error("import_token", "account", "is required");
  AH_TRY(auth::validate_account_name(account));
  if (token.empty())
    return field_error("import_token", "access_token", "is required");
  if (token.find_first_of(" \t\r\n") != std::string::npos) {
    return field_error("import_token", "access_token", "must not contain white space");
  }

  std::string app_id;
  AH_TRY_DECLARE(record, checked_token(ctx, token, app_id));
  AH_TRY_DECLARE(app, token_app(ctx, app_name, app_id));
  record.app = app.name;
  // A short-lived token lives one hour; a long-lived one about 60 days.
  const bool short_lived = record.expires_at_ms != 0 && record.issued_at_ms != 0 &&
                           record.expires_at_ms - record.issued_at_ms <= 2 * 3600 * 1000;
  if (short_lived)
    AH_TRY(make_long_lived(ctx, app, record));
  record.kind = auth::TokenKind::long_lived;
  add_username(ctx, record);
  AH_TRY(save_account(ctx, account, record, replace));

  ctx.log(AH_LOG_INFO, "account imported",
          json::serialize(json::object{
              {"account", account}, {"user_id", record.user_id}, {"exchanged", short_lived}}));
  json::value out = json::parse(account_summary(account, record, ctx.now_ms()));
  out.as_object()["exchanged"] = short_lived;
  return json::serialize(out);
}

} // namespace threads::actions
