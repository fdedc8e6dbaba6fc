// The `import_token` action: store a pasted token as an account.
#include "actions/import_token.hpp"

#include "actions/account_summary.hpp"
#include "actions/input_reader.hpp"
#include "actions/long_lived.hpp"
#include "auth/app_credentials.hpp"
#include "auth/token_endpoints.hpp"
#include "auth/token_inspection.hpp"

#include <optional>
#include <vector>

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {

std::string listed(const std::vector<std::string> &names) {
  std::string out;
  for (const auto &n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The registered app the token may belong to, before asking Meta: the one named, else the
// only one registered. With several and none named it stays open (`candidates` lists them):
// a long-lived token needs no app, a short-lived one does.
struct AppChoice {
  std::optional<auth::StoredApp> app;
  bool named = false;
  std::vector<std::string> candidates;
};

Result<AppChoice> choose_app(const ActionContext &ctx, const std::string &named) {
  const auth::Apps apps(ctx.host);
  AppChoice choice;
  if (!named.empty()) {
    AH_TRY_DECLARE(app, apps.load(named));
    choice.app = std::move(app);
    choice.named = true;
    return choice;
  }
  AH_TRY_DECLARE(names, apps.names());
  if (names.size() == 1) {
    AH_TRY_DECLARE(app, apps.load(names.front()));
    choice.app = std::move(app);
  } else {
    choice.candidates = std::move(names);
  }
  return choice;
}

// Settles the app from what debug_token showed: the only registered app is not assumed for
// a token debug_token says is another app's; an app_id in the answer (Facebook's shape;
// Threads sends none) picks the registered app with it. An app whose own token was refused
// (a wrong secret) is kept: the exchange then says what is wrong with its credentials.
Result<autohost::Done> settle_app(const ActionContext &ctx, AppChoice &choice,
                                  const Inspection &inspected) {
  const std::string &app_id = inspected.info.app_id;
  if (choice.app && !app_id.empty() && choice.app->credentials.app_id != app_id) {
    if (choice.named) {
      return field_error("import_token", "app",
                         "is app id " + choice.app->credentials.app_id +
                             ", but the token belongs to app id " + app_id);
    }
    choice.app.reset();
  }
  if (choice.app && !choice.named && inspected.other_app)
    choice.app.reset();
  if (!choice.app && !app_id.empty()) {
    auto found = auth::Apps(ctx.host).find_by_app_id(app_id);
    if (found)
      choice.app = std::move(found).value();
    else if (found.error().status != AH_NOT_FOUND)
      return std::move(found).error();
  }
  return autohost::Done{};
}

// Why a short-lived token cannot be exchanged without naming its app: never "no app is
// registered" when one is.
Error short_token_needs_app(const ActionContext &ctx, const AppChoice &choice) {
  if (choice.candidates.size() > 1) {
    return field_error("import_token", "app",
                       "is required: the token is short-lived (1 hour) and is exchanged for a "
                       "long-lived one with its app's secret, and several Threads apps are "
                       "registered (" +
                           listed(choice.candidates) + "); name the token's app");
  }
  auto names = auth::Apps(ctx.host).names();
  const std::string why =
      names && !names->empty()
          ? "it does not belong to the registered app '" + names->front() +
                "' (debug_token says it is another app's); register its app with "
                "threads.register_app "
                "and name it with \"app\""
          : "no Threads app is registered; register its app first (threads.register_app)";
  return field_error("import_token", "access_token",
                     "is a short-lived token (1 hour), exchanged for a long-lived one with its "
                     "app's secret, but " +
                         why + "; or paste a long-lived token");
}

// Checks the token with debug_token and settles its app; errors say what to do.
Result<auth::TokenInfo> check_token(const ActionContext &ctx, AppChoice &choice,
                                    const std::string &token) {
  auto inspected = inspect_token(ctx, "import_token", choice.app ? &*choice.app : nullptr, token);
  if (!inspected && !choice.app && inspected.error().status == AH_INVALID_INPUT) {
    // Refused with the token itself as the caller (development-mode apps answer only their
    // app token): the app's credentials are needed.
    return field_error("import_token", "app",
                       "is needed to check the token: debug_token refused the token itself (" +
                           auth::error_message(inspected.error()) + "); " +
                           (choice.candidates.size() > 1
                                ? "several Threads apps are registered (" +
                                      listed(choice.candidates) + "); name the token's app"
                                : std::string("no Threads app is registered; register the "
                                              "token's app with threads.register_app")));
  }
  if (!inspected)
    return std::move(inspected).error();
  if (!inspected->info.valid) {
    return Error::make(AH_AUTH_REQUIRED, "import_token: the token is not valid (expired or "
                                         "revoked); authorise the account again with "
                                         "threads.auth_url and threads.exchange_code");
  }
  AH_TRY(settle_app(ctx, choice, *inspected));
  return std::move(inspected->info);
}

Result<autohost::Done> save_imported(const ActionContext &ctx, const std::string &account,
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
  if (!saved && saved.error().status == AH_CONFLICT) {
    return Error::make(AH_CONFLICT, "import_token: account '" + account +
                                        "' exists already; pass \"replace\": true to replace it");
  }
  if (!saved)
    return std::move(saved).error();
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

  // debug_token tells who the token belongs to, its granted scopes, and when it was issued
  // and expires; asked as the app when the app is known (development-mode apps require it).
  AH_TRY_DECLARE(choice, choose_app(ctx, app_name));
  AH_TRY_DECLARE(info, check_token(ctx, choice, token));
  auth::TokenRecord record;
  record.access_token = token;
  record.user_id = info.user_id;
  record.issued_at_ms = info.issued_at_s * 1000;
  record.expires_at_ms = info.expires_at_s * 1000;
  record.scopes = info.scopes;
  record.scopes_checked_at_ms = ctx.now_ms();
  record.app = choice.app ? choice.app->name : std::string();

  // A short-lived token lives one hour; a long-lived one about 60 days.
  const bool short_lived = record.expires_at_ms != 0 && record.issued_at_ms != 0 &&
                           record.expires_at_ms - record.issued_at_ms <= 2 * 3600 * 1000;
  if (short_lived) {
    if (!choice.app)
      return short_token_needs_app(ctx, choice);
    AH_TRY_DECLARE(answer, exchange_for_long_lived(ctx, "import_token",
                                                   choice.app->credentials.app_secret, token));
    record.access_token = answer.access_token;
    record.issued_at_ms = ctx.now_ms();
    record.expires_at_ms =
        answer.expires_in_s > 0 ? record.issued_at_ms + answer.expires_in_s * 1000 : 0;
  }
  record.kind = auth::TokenKind::long_lived;

  record.username = username_of(ctx, record.access_token);

  AH_TRY(save_imported(ctx, account, record, replace));
  ctx.log(AH_LOG_INFO, "account imported",
          json::serialize(json::object{
              {"account", account}, {"user_id", record.user_id}, {"exchanged", short_lived}}));
  json::value out = json::parse(account_summary(account, record, ctx.now_ms()));
  out.as_object()["exchanged"] = short_lived;
  return json::serialize(out);
}

} // namespace threads::actions
