// The `import_token` action: store a pasted long-lived token as an account.
#include "actions/import_token.hpp"

#include "actions/input_reader.hpp"

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {

std::string iso8601(std::int64_t ms) {
  if (ms == 0) return {};
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t seconds_field(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
  return 0;
}

} // namespace

std::string account_summary(std::string_view account, const auth::TokenRecord &r,
                            std::int64_t now_ms) {
  json::array scopes;
  for (const auto &s : r.scopes) scopes.emplace_back(s);
  json::object o{{"account", account},
                 {"user_id", r.user_id},
                 {"username", r.username},
                 {"kind", r.kind == auth::TokenKind::long_lived ? "long" : "short"},
                 {"status", r.status == auth::AccountStatus::active ? "active" : "needs_reauth"},
                 {"issued_at", iso8601(r.issued_at_ms)},
                 {"expires_at", iso8601(r.expires_at_ms)},
                 {"expires_in_s", r.expires_at_ms == 0 ? json::value(nullptr)
                                                       : json::value((r.expires_at_ms - now_ms) / 1000)},
                 {"scopes", std::move(scopes)}};
  return json::serialize(o);
}

Result<std::string> run_import_token(const ActionContext &ctx, std::string_view input) {
  auto doc = parse_input("import_token", input);
  if (!doc) return std::move(doc).error();
  Reader r("import_token", doc->as_object());
  std::string account, token;
  bool replace = false;
  AH_TRY_ASSIGN(account, r.string("account"));
  AH_TRY_ASSIGN(token, r.string("access_token"));
  AH_TRY_ASSIGN(replace, r.boolean("replace"));
  if (auto ok = r.no_unknown_fields(); !ok) return std::move(ok).error();
  if (account.empty()) account = std::string(ctx.call.account());
  if (account.empty()) return field_error("import_token", "account", "is required");
  if (auto valid = auth::validate_account_name(account); !valid) return std::move(valid).error();
  if (token.empty()) return field_error("import_token", "access_token", "is required");
  if (token.find_first_of(" \t\r\n") != std::string::npos) {
    return field_error("import_token", "access_token", "must not contain white space");
  }

  // debug_token tells who the token belongs to and when it was issued and expires.
  auto call = ctx.make_call(http::Method::get, "/debug_token", graph::Operation::read, token);
  call.params = {{"input_token", token}};
  auto debug = ctx.graph.call(call);
  if (!debug) return to_error(std::move(debug).error());
  const json::value *data = debug->is_object() ? debug->as_object().if_contains("data") : nullptr;
  if (data == nullptr || !data->is_object()) {
    return Error::make(AH_RETRY_LATER, "import_token: debug_token answered without data");
  }
  const json::object &d = data->as_object();
  if (const json::value *valid = d.if_contains("is_valid");
      valid != nullptr && valid->is_bool() && !valid->as_bool()) {
    return Error::make(AH_AUTH_REQUIRED, "import_token: the token is not valid (expired or "
                                         "revoked); authorise the account again");
  }
  auth::TokenRecord record;
  record.access_token = token;
  record.user_id = graph::id_string(d.if_contains("user_id"));
  record.issued_at_ms = seconds_field(d, "issued_at") * 1000;
  record.expires_at_ms = seconds_field(d, "expires_at") * 1000;
  if (const json::value *s = d.if_contains("scopes"); s != nullptr && s->is_array()) {
    for (const auto &scope : s->as_array()) {
      if (scope.is_string()) record.scopes.emplace_back(scope.as_string());
    }
  }
  if (record.user_id.empty()) {
    return Error::make(AH_RETRY_LATER, "import_token: debug_token did not name the user");
  }
  // A short-lived token lives one hour; a long-lived one about 60 days.
  const bool short_lived = record.expires_at_ms != 0 && record.issued_at_ms != 0 &&
                           record.expires_at_ms - record.issued_at_ms <= 2 * 3600 * 1000;
  if (short_lived) {
    return field_error("import_token", "access_token",
                       "is a short-lived token (1 hour); exchange it for a long-lived one first "
                       "(threads.exchange_code does this when onboarding)");
  }
  record.kind = auth::TokenKind::long_lived;

  auto me = ctx.make_call(http::Method::get, "/me", graph::Operation::read, token);
  me.params = {{"fields", "id,username"}};
  if (auto profile = ctx.graph.call(me); profile && profile->is_object()) {
    if (const json::value *u = profile->as_object().if_contains("username");
        u != nullptr && u->is_string()) {
      record.username = std::string(u->as_string());
    }
  }

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
  ctx.log(AH_LOG_INFO, "account imported",
          json::serialize(json::object{{"account", account}, {"user_id", record.user_id}}));
  return account_summary(account, record, ctx.now_ms());
}

} // namespace threads::actions
