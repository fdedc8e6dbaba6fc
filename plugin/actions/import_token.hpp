// The `import_token` action: store a pasted token as an account; a short-lived one is first
// exchanged for a long-lived one with its app's secret.
#pragma once

#include "action_context.hpp"

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace threads::actions {

// Input {"account", "access_token", "app"?, "replace"?}. Checks the token with debug_token
// (user, app, scopes, issue and expiry times) and /me (username), then stores the record.
// Output: the account summary (plus "exchanged"), never the token.
autohost::Result<std::string> run_import_token(const ActionContext &ctx, std::string_view input);

} // namespace threads::actions
