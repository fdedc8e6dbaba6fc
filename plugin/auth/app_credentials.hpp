// A Threads app's credentials (app id, app secret, redirect URI) as kept in the host's secret
// store, one JSON value per app under threads/apps/<app>; several accounts may use one app.
#pragma once

#include <autohost/plugin.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace threads::auth {

struct AppCredentials {
  std::string app_id;       // the Threads app id (digits), not the Facebook one
  std::string app_secret;   // never logged, never in an output or error
  std::string redirect_uri; // exactly as registered in the Meta dashboard
};

struct StoredApp {
  std::string name;
  AppCredentials credentials;
  std::uint64_t version = 0;
};

inline constexpr std::string_view app_prefix = "threads/apps/";
std::string app_key(std::string_view app);

std::string to_json(const AppCredentials &app);
// Errors name the app and the field, never the secret.
autohost::Result<AppCredentials> app_credentials_from_json(std::string_view app,
                                                           std::string_view json);
// Checks the fields a user gave; the error names the field.
autohost::Result<autohost::Done> validate(const AppCredentials &app);

class Apps {
public:
  explicit Apps(autohost::HostServices host) : host_(host) {}

  // `name` empty: the only app, or an error listing the choices or saying how to add one.
  autohost::Result<StoredApp> load(std::string_view name) const;
  // The app whose Threads app id is `app_id`; not_found when none is registered.
  autohost::Result<StoredApp> find_by_app_id(std::string_view app_id) const;
  autohost::Result<std::uint64_t> save(std::string_view name, const AppCredentials &app,
                                       std::uint64_t expected_version) const;
  autohost::Result<std::vector<std::string>> names() const;

private:
  autohost::HostServices host_;
};

} // namespace threads::auth
