// The `post` action: the persisted publish state machine (create containers, wait for
// processing, check the quota, publish once, verify any unknown outcome).
#pragma once

#include "action_context.hpp"

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace threads::actions {

// Publishes the post described by `input_json` for the call's account. A repeated call with
// the same idempotency key resumes from the stored checkpoint and never posts twice.
autohost::Result<std::string> run_post(const ActionContext &ctx, std::string_view input_json);

} // namespace threads::actions
