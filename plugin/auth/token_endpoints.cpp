// The token endpoints and the classification of refresh failures.
#include "auth/token_endpoints.hpp"
#include "auth/json_seconds.hpp"

#include <boost/json.hpp>

namespace threads::auth {
namespace json = boost::json;
using autohost::Error;

graph::Call code_exchange_call(graph::Call base, const AppCredentials &app, std::string_view code,
                               std::string_view redirect_uri) {
  base.method = http::Method::post;
  base.path = "/oauth/access_token";
  base.versioning = graph::Versioning::unversioned;
  base.operation = graph::Operation::token;
  base.token.clear();
  base.params = {{"client_id", app.app_id},
                 {"client_secret", app.app_secret},
                 {"code", std::string(code)},
                 {"grant_type", "authorization_code"},
                 {"redirect_uri", std::string(redirect_uri)}};
  // A code is single-use: sending it twice can only fail.
  base.idempotent = false;
  return base;
}

graph::Call long_lived_exchange_call(graph::Call base, std::string_view app_secret,
                                     std::string_view short_token) {
  base.method = http::Method::get;
  base.path = "/access_token";
  base.versioning = graph::Versioning::unversioned;
  base.operation = graph::Operation::token;
  base.token = std::string(short_token);
  base.params = {{"grant_type", "th_exchange_token"}, {"client_secret", std::string(app_secret)}};
  return base;
}

graph::Call refresh_call(graph::Call base, std::string_view token) {
  base.method = http::Method::get;
  base.path = "/refresh_access_token";
  base.versioning = graph::Versioning::unversioned;
  base.operation = graph::Operation::token;
  base.token = std::string(token);
  base.params = {{"grant_type", "th_refresh_token"}};
  return base;
}

autohost::Result<TokenAnswer> parse_token_answer(const json::value &answer, std::string_view what) {
  const json::object *o = answer.if_object();
  const json::value *token = o != nullptr ? o->if_contains("access_token") : nullptr;
  if (token == nullptr || !token->is_string() || token->as_string().empty()) {
    return Error::make(AH_RETRY_LATER, std::string(what) + ": the Threads API answered without "
                                                           "an access_token");
  }
  TokenAnswer out;
  out.access_token = std::string(token->as_string());
  if (out.access_token.find_first_of(" \t\r\n") != std::string::npos) {
    return Error::make(AH_RETRY_LATER,
                       std::string(what) + ": the Threads API answered with a malformed token");
  }
  // An expiry that is not a sensible count of seconds is treated as unstated.
  if (const json::value *e = o->if_contains("expires_in"))
    out.expires_in_s = json_seconds(*e).value_or(0);
  out.user_id = graph::id_string(o->if_contains("user_id"));
  return out;
}

RefreshFailure classify_refresh_failure(const graph::Failure &f) {
  if (!f.graph)
    return RefreshFailure::transient; // network, TLS, malformed answer
  const graph::GraphError &e = *f.graph;
  if (e.http_status == 429 || e.http_status == 408 || e.http_status >= 500) {
    return RefreshFailure::transient;
  }
  if (e.is_transient.value_or(false))
    return RefreshFailure::transient;
  switch (e.code.value_or(0)) {
  case 1:
  case 2:
  case 4:
  case 17:
  case 32:
  case 341:
  case 613:
    return RefreshFailure::transient; // availability and rate limits
  default:
    break;
  }
  return e.http_status >= 400 && e.http_status < 500 ? RefreshFailure::dead
                                                     : RefreshFailure::transient;
}

std::string error_message(const Error &error) {
  boost::system::error_code ec;
  const json::value body = json::parse(error.body, ec);
  if (!ec && body.is_object()) {
    if (const json::value *m = body.as_object().if_contains("message");
        m != nullptr && m->is_string()) {
      return std::string(m->as_string());
    }
  }
  return error.body;
}

} // namespace threads::auth
