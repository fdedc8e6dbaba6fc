// What import_token and exchange_code share: the exchange of a short-lived token for a
// long-lived one, the token's inspection (debug_token), and errors that say which step failed
// and that nothing was stored.
#pragma once

#include "action_context.hpp"
#include "auth/app_credentials.hpp"
#include "auth/token_endpoints.hpp"
#include "auth/token_inspection.hpp"

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace threads::actions {

// Prefixes the error's message with "<action>: <step> failed: " and ends it with
// "; nothing was stored".
autohost::Error nothing_stored(autohost::Error e, std::string_view action, std::string_view step);

// Exchanges `short_token` with the app secret (threads-api.md 1.3). Errors come through
// nothing_stored.
autohost::Result<auth::TokenAnswer> exchange_for_long_lived(const ActionContext &ctx,
                                                            std::string_view action,
                                                            std::string_view app_secret,
                                                            std::string_view short_token);

// The username /me gives for `token`; empty when it cannot be read (it is only shown).
std::string username_of(const ActionContext &ctx, const std::string &token);

struct Inspection {
  auth::TokenInfo info;
  // The app's own token asked, so the token belongs to that app (debug_token refuses to
  // describe another app's token).
  bool confirmed_app = false;
  // The app token was accepted but the token refused (code 100): it belongs to another app.
  // (Refused otherwise, e.g. 190 for a wrong app secret, says nothing about the token.)
  bool other_app = false;
};

// Inspects `token` with debug_token: as `app` (its app token, which development-mode apps
// require) when one is given, and with the token itself when there is none or the app token
// is refused. Errors say what each try answered and go through nothing_stored.
autohost::Result<Inspection> inspect_token(const ActionContext &ctx, std::string_view action,
                                           const auth::StoredApp *app, std::string_view token);

} // namespace threads::actions
