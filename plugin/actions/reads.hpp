// Read actions. Each takes the action's JSON input and returns its JSON output;
// list actions share paging inputs (fields, limit, since, until, before, after, max_pages).
#pragma once

#include "action_context.hpp"

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace threads::actions {

autohost::Result<std::string> run_profile(const ActionContext &ctx, std::string_view input);
autohost::Result<std::string> run_threads(const ActionContext &ctx, std::string_view input);
autohost::Result<std::string> run_thread(const ActionContext &ctx, std::string_view input);
autohost::Result<std::string> run_replies(const ActionContext &ctx, std::string_view input);
autohost::Result<std::string> run_conversation(const ActionContext &ctx, std::string_view input);
autohost::Result<std::string> run_mentions(const ActionContext &ctx, std::string_view input);
autohost::Result<std::string> run_insights(const ActionContext &ctx, std::string_view input);
autohost::Result<std::string> run_publishing_limit(const ActionContext &ctx,
                                                   std::string_view input);
autohost::Result<std::string> run_search(const ActionContext &ctx, std::string_view input);

} // namespace threads::actions
