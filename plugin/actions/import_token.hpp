// The `import_token` action: store a pasted long-lived token as an account.
#pragma once

#include "actions/action_context.hpp"

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace threads::actions {

// Input {"account", "access_token", "replace"?}. Checks the token with debug_token (user,
// scopes, issue and expiry times) and /me (username), then stores the record. Output: the
// account summary, never the token.
autohost::Result<std::string> run_import_token(const ActionContext &ctx, std::string_view input);

// The account summary that account actions return: no token in it.
std::string account_summary(std::string_view account, const auth::TokenRecord &record,
                            std::int64_t now_ms);

} // namespace threads::actions
