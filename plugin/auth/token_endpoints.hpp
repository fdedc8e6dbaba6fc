// The token endpoints (threads-api.md 1.2-1.4): code exchange, short-to-long exchange and
// refresh, their answers, and how a failed refresh is classified.
#pragma once

#include "auth/app_credentials.hpp"
#include "graph/graph_client.hpp"

#include <autohost/result.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace threads::auth {

// Each fills method, path, parameters and token into `base` (which carries the deadline and
// cancellation of the caller). Secrets travel as parameters, as documented; the HTTP layer
// redacts them from every logged URL.
graph::Call code_exchange_call(graph::Call base, const AppCredentials &app, std::string_view code,
                               std::string_view redirect_uri);
graph::Call long_lived_exchange_call(graph::Call base, std::string_view app_secret,
                                     std::string_view short_token);
graph::Call refresh_call(graph::Call base, std::string_view token);

struct TokenAnswer {
  std::string access_token;
  std::int64_t expires_in_s = 0; // 0 when the answer had none (the code exchange)
  std::string user_id;           // the code exchange only; may come as a bare 17-digit number
};
// `what` names the step in the error ("the long-lived exchange").
autohost::Result<TokenAnswer> parse_token_answer(const boost::json::value &answer,
                                                 std::string_view what);

// Transient failures keep the token and are tried again (network, 5xx, 429, rate limits,
// is_transient); dead ones (190 and its subcodes, any other 4xx) need a new authorisation.
enum class RefreshFailure { transient, dead };
RefreshFailure classify_refresh_failure(const graph::Failure &failure);

// The "message" of an error body, for records and reports (never carries a token).
std::string error_message(const autohost::Error &error);

} // namespace threads::auth
