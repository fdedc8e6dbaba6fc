// What debug_token says about a token (threads-api.md 1.8): who it belongs to, whether it is
// valid, its granted scopes and times; and the app token that asks.
#pragma once

#include "auth/app_credentials.hpp"
#include "graph/graph_client.hpp"

#include <autohost/result.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace threads::auth {

struct TokenInfo {
  bool valid = true;
  std::string user_id;
  // Threads' answer carries no app_id (its documented fields and field reports agree); kept
  // for a server that sends one, as Facebook's debug_token does.
  std::string app_id;
  std::vector<std::string> scopes; // granted, as Meta sees them now
  std::int64_t issued_at_s = 0;
  std::int64_t expires_at_s = 0; // 0: none given
};

// `TH|<app id>|<app secret>`: the app access token passed directly (threads-api.md 1.7). Apps
// in development mode accept only this as the caller of debug_token (field report,
// threads-go#28: a user token gets code 100 "... in dev mode").
std::string app_access_token(const AppCredentials &app);

// GET /debug_token?input_token=<token> with `caller` as the access token.
graph::Call debug_token_call(graph::Call base, std::string_view caller, std::string_view token);

// The answer's `data`; retry_later when it has none or names no user of a valid token.
autohost::Result<TokenInfo> parse_token_info(const boost::json::value &answer);

// The scopes of `wanted` that `granted` lacks, in the order of `wanted`.
std::vector<std::string> missing_scopes(const std::vector<std::string> &wanted,
                                        const std::vector<std::string> &granted);

} // namespace threads::auth
