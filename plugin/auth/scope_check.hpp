// Whether an account holds the scopes an action needs, judged from the granted scopes
// stored with its token, and the refusal that names the scope and the way to get it.
#pragma once

#include "auth/token_record.hpp"

#include <autohost/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace threads::auth {

// The commands that re-authorise `account` asking for `scopes` (auth_url, then
// exchange_code).
std::string reauthorise_for_scopes(std::string_view account,
                                   const std::vector<std::string> &scopes);

// auth_required naming the first scope of `needed` that `record` lacks, when its scopes were
// checked with debug_token; ok otherwise. A record whose scopes were never checked (made
// before the check existed, or when debug_token could not answer) passes: the server then
// refuses what is missing, rather than the plugin refusing on a guess.
autohost::Result<autohost::Done> require_scopes(std::string_view account, std::string_view action,
                                                const TokenRecord &record,
                                                const std::vector<std::string_view> &needed);

} // namespace threads::auth
