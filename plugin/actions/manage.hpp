// Manage actions: delete a post, repost one, hide or unhide a reply. Each takes the action's
// JSON input ({"id": ...}, and "hide" for hide_reply) and returns its JSON output.
#pragma once

#include "action_context.hpp"

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace threads::actions {

autohost::Result<std::string> run_delete(const ActionContext &ctx, std::string_view input);
autohost::Result<std::string> run_repost(const ActionContext &ctx, std::string_view input);
autohost::Result<std::string> run_hide_reply(const ActionContext &ctx, std::string_view input);

} // namespace threads::actions
