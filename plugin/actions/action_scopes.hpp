// The scopes each action needs beyond threads_basic (threads-api.md 1.9), so an account
// that lacks one is refused before any request.
#pragma once

#include <string_view>
#include <vector>

namespace threads::actions {

// For `post` the input matters: a reply needs threads_manage_replies, a location
// threads_location_tagging. Unknown actions and bad input need nothing here (the action
// itself reports bad input).
std::vector<std::string_view> scopes_needed(std::string_view action, std::string_view input_json);

} // namespace threads::actions
