// A Threads app's credentials in the host's secret store.
#include "auth/app_credentials.hpp"

#include "auth/secret_listing.hpp"
#include "auth/token_record.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace threads::auth {
namespace json = boost::json;
using autohost::Error;

std::string app_key(std::string_view app) { return std::string(app_prefix) + std::string(app); }

std::string to_json(const AppCredentials &app) {
  return json::serialize(json::object{
      {"app_id", app.app_id}, {"app_secret", app.app_secret}, {"redirect_uri", app.redirect_uri}});
}

autohost::Result<AppCredentials> app_credentials_from_json(std::string_view app,
                                                           std::string_view text) {
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  auto damaged = [&](std::string_view what) {
    return Error::make(AH_INTERNAL, "the stored credentials of app '" + std::string(app) +
                                        "' are damaged (" + std::string(what) +
                                        "); register the app again with threads.register_app");
  };
  if (ec || !doc.is_object())
    return damaged("not a JSON object");
  AppCredentials out;
  for (auto [field, target] :
       {std::pair{"app_id", &out.app_id}, std::pair{"app_secret", &out.app_secret},
        std::pair{"redirect_uri", &out.redirect_uri}}) {
    const json::value *v = doc.as_object().if_contains(field);
    if (v == nullptr || !v->is_string())
      return damaged(std::string("no ") + field);
    *target = std::string(v->as_string());
  }
  return out;
}

autohost::Result<autohost::Done> validate(const AppCredentials &app) {
  auto bad = [](std::string_view field, std::string_view why) {
    json::object body{
        {"code", "invalid_input"},
        {"field", field},
        {"message", "register_app: '" + std::string(field) + "' " + std::string(why)}};
    return Error{AH_INVALID_INPUT, json::serialize(body)};
  };
  if (app.app_id.empty() || app.app_id.size() > 32 ||
      !std::all_of(app.app_id.begin(), app.app_id.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("app_id", "must be the Threads app id (digits; Meta dashboard: Use cases > Access "
                         "the Threads API > Settings)");
  }
  if (app.app_secret.empty() || app.app_secret.find_first_of(" \t\r\n") != std::string::npos) {
    return bad("app_secret", "must be the Threads app secret, without white space");
  }
  const std::string_view uri = app.redirect_uri;
  if (!(uri.starts_with("https://") || uri.starts_with("http://")) || uri.size() < 10 ||
      uri.find_first_of(" \t\r\n#") != std::string_view::npos) {
    return bad("redirect_uri", "must be the absolute https:// redirect URI registered for the app, "
                               "without a fragment");
  }
  return autohost::Done{};
}

autohost::Result<std::vector<std::string>> Apps::names() const {
  AH_TRY_DECLARE(listed, host_.secret_list(app_prefix));
  return listed_names(listed, app_prefix, true);
}

autohost::Result<StoredApp> Apps::load(std::string_view name) const {
  std::string chosen(name);
  if (chosen.empty()) {
    AH_TRY_DECLARE(all, names());
    if (all.empty()) {
      return Error::make(AH_NOT_FOUND, "no Threads app is registered; add its credentials with "
                                       "threads.register_app (app_id, app_secret, redirect_uri)");
    }
    if (all.size() > 1) {
      std::string list;
      for (const auto &n : all)
        list += (list.empty() ? "" : ", ") + n;
      return Error::make(AH_INVALID_INPUT, "several Threads apps are registered (" + list +
                                               "); choose one with \"app\"");
    }
    chosen = all.front();
  }
  if (auto valid = validate_account_name(chosen); !valid) {
    return Error::make(AH_INVALID_INPUT, "app name '" + chosen +
                                             "' must be 1-64 characters of letters, digits, . _ -");
  }
  AH_TRY_DECLARE(secret, host_.secret_get(app_key(chosen)));
  if (!secret) {
    return Error::make(AH_NOT_FOUND, "there is no Threads app named '" + chosen +
                                         "'; register it with threads.register_app");
  }
  AH_TRY_DECLARE(app, app_credentials_from_json(chosen, secret->value));
  return StoredApp{chosen, std::move(app), secret->version};
}

autohost::Result<StoredApp> Apps::find_by_app_id(std::string_view app_id) const {
  AH_TRY_DECLARE(all, names());
  for (const auto &name : all) {
    auto app = load(name);
    if (app && app->credentials.app_id == app_id)
      return app;
  }
  return Error::make(AH_NOT_FOUND, "no registered Threads app has the app id " +
                                       std::string(app_id) +
                                       "; register it with threads.register_app");
}

autohost::Result<std::uint64_t> Apps::save(std::string_view name, const AppCredentials &app,
                                           std::uint64_t expected_version) const {
  if (auto valid = validate_account_name(name); !valid) {
    return Error::make(AH_INVALID_INPUT, "app name '" + std::string(name) +
                                             "' must be 1-64 characters of letters, digits, . _ -");
  }
  return host_.secret_put(app_key(name), to_json(app), expected_version);
}

} // namespace threads::auth
