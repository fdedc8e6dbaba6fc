// What import_token and exchange_code share: the exchange of a short-lived token for a
// long-lived one, and errors that say which step failed and that nothing was stored.
#pragma once

#include "action_context.hpp"
#include "auth/token_endpoints.hpp"

#include <autohost/result.hpp>

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

} // namespace threads::actions
