// Token actions: refresh one account now, and the token status of one or all accounts.
#pragma once

#include "action_context.hpp"

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace threads::actions {

// Input {"account"?}. Refreshes the account's token now if Meta allows it (at least 24 h
// old, not expired), single-flight with the refresh job. Output: the account summary plus
// "outcome" (refreshed, or adopted when another process refreshed it at the same time).
autohost::Result<std::string> run_refresh_token(const ActionContext &ctx, std::string_view input);

// Input {"account"?, "scheduled"?: [times]}. Without an account: every account. With
// "scheduled" (Unix seconds or ISO 8601, as a host with a schedule passes them), each time
// is checked against the token's state: work due after expiry, or for an account that needs
// re-authorisation, is at risk.
autohost::Result<std::string> run_token_status(const ActionContext &ctx, std::string_view input);

} // namespace threads::actions
