// Onboarding actions: register a Threads app's credentials, start an authorisation
// (auth_url) and finish it (exchange_code) with a long-lived token stored for the account.
#pragma once

#include "action_context.hpp"

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace threads::actions {

// Input {"app"?, "app_id", "app_secret", "redirect_uri", "replace"?}. Stores the app's
// credentials under threads/apps/<app> (default name "default"). Output: the app without
// its secret.
autohost::Result<std::string> run_register_app(const ActionContext &ctx, std::string_view input);

// Input {"account", "app"?, "scopes"?}. Remembers a fresh CSRF state for the account and
// returns the authorize URL to open in a browser.
autohost::Result<std::string> run_auth_url(const ActionContext &ctx, std::string_view input);

// Input {"code"} (the bare code or the whole redirect URL), optional "state" and "account".
// Checks the state, exchanges the code, at once exchanges the short-lived token for a
// long-lived one, stores it, and returns the account summary. A failure stores nothing.
autohost::Result<std::string> run_exchange_code(const ActionContext &ctx, std::string_view input);

} // namespace threads::actions
