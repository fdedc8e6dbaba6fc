// The account summary the account actions return: who, which app, token kind, status and
// times - never the token itself.
#pragma once

#include "auth/token_record.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace threads::actions {

std::string account_summary(std::string_view account, const auth::TokenRecord &record,
                            std::int64_t now_ms);

} // namespace threads::actions
