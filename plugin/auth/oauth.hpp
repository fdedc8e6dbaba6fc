// OAuth onboarding helpers: scopes, the CSRF state, the authorize URL and reading the
// redirect the browser lands on (the authorisations in progress: pending_authorisations.hpp).
#pragma once

#include <autohost/plugin.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace threads::auth {

// Every scope threads-api.md 1.9 names, and the ones asked for when the caller names none:
// what the plugin's actions need (posting, replies, insights, delete).
const std::vector<std::string> &known_scopes();
const std::vector<std::string> &default_scopes();

// Checks and orders scopes; threads_basic is added when missing (every endpoint needs it).
// The error names the unknown scope.
autohost::Result<std::vector<std::string>> normalise_scopes(const std::vector<std::string> &asked);

// 32 random bytes from the kernel, base64url: unguessable, URL-safe, a valid store key part.
autohost::Result<std::string> generate_state();

// <oauth_base_url>/oauth/authorize?client_id&redirect_uri&scope&response_type=code&state
std::string authorize_url(std::string_view oauth_base_url, std::string_view app_id,
                          std::string_view redirect_uri, const std::vector<std::string> &scopes,
                          std::string_view state);

// What the user pasted: the whole redirect URL or the bare code, each perhaps ending in the
// `#_` Meta appends. Fields the text does not carry stay empty.
struct RedirectParts {
  std::string code;
  std::string state;
  std::string error; // e.g. access_denied when the user cancelled
  std::string error_description;
};
autohost::Result<RedirectParts> parse_redirect(std::string_view text);

} // namespace threads::auth
