// The `register_app` action: a Threads app's credentials into the store.
#include "actions/input_reader.hpp"
#include "actions/onboarding.hpp"
#include "auth/app_credentials.hpp"

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

Result<std::string> run_register_app(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("register_app", input));
  std::string name;
  auth::AppCredentials app;
  bool replace = false;
  AH_TRY_ASSIGN(name, r.string("app"));
  AH_TRY_ASSIGN(app.app_id, r.id("app_id"));
  AH_TRY_ASSIGN(app.app_secret, r.string("app_secret"));
  AH_TRY_ASSIGN(app.redirect_uri, r.string("redirect_uri"));
  AH_TRY_ASSIGN(replace, r.boolean("replace"));
  AH_TRY(r.no_unknown_fields());
  if (name.empty())
    name = "default";
  if (auto valid = auth::validate_account_name(name); !valid) {
    return field_error("register_app", "app", "must be 1-64 characters of letters, digits, . _ -");
  }
  AH_TRY(auth::validate(app));

  const auth::Apps apps(ctx.host);
  std::uint64_t expected = 0;
  bool replaced = false;
  if (replace) {
    auto existing = apps.load(name);
    if (existing) {
      expected = existing->version;
      replaced = true;
    } else if (existing.error().status != AH_NOT_FOUND) {
      return std::move(existing).error();
    }
  }
  auto saved = apps.save(name, app, expected);
  if (!saved) {
    if (saved.error().status == AH_CONFLICT) {
      return Error::make(AH_CONFLICT, "register_app: app '" + name +
                                          "' exists already; pass \"replace\": true to replace it");
    }
    return std::move(saved).error();
  }
  ctx.log(AH_LOG_INFO, "app registered",
          json::serialize(json::object{{"app", name}, {"app_id", app.app_id}}));
  return json::serialize(json::object{{"app", name},
                                      {"app_id", app.app_id},
                                      {"redirect_uri", app.redirect_uri},
                                      {"replaced", replaced}});
}

} // namespace threads::actions
