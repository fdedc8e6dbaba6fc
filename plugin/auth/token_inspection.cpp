// debug_token: the call, its answer, and granted scopes against wanted ones.
#include "auth/token_inspection.hpp"
#include "auth/json_seconds.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace threads::auth {
namespace json = boost::json;
using autohost::Error;

namespace {

// A time the answer does not state sensibly (missing, negative, past year 9999) is unknown: 0.
std::int64_t seconds_field(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  return v == nullptr ? 0 : json_seconds(*v).value_or(0);
}

} // namespace

std::string app_access_token(const AppCredentials &app) {
  return "TH|" + app.app_id + "|" + app.app_secret;
}

graph::Call debug_token_call(graph::Call base, std::string_view caller, std::string_view token) {
  base.method = http::Method::get;
  base.path = "/debug_token";
  base.versioning = graph::Versioning::versioned; // documented under /v1.0/
  base.operation = graph::Operation::read;
  base.token = std::string(caller);
  base.params = {{"input_token", std::string(token)}};
  return base;
}

autohost::Result<TokenInfo> parse_token_info(const json::value &answer) {
  const json::value *data = answer.is_object() ? answer.as_object().if_contains("data") : nullptr;
  if (data == nullptr || !data->is_object())
    return Error::make(AH_RETRY_LATER, "debug_token answered without data");
  const json::object &d = data->as_object();
  TokenInfo info;
  if (const json::value *valid = d.if_contains("is_valid"); valid != nullptr && valid->is_bool())
    info.valid = valid->as_bool();
  info.user_id = graph::id_string(d.if_contains("user_id"));
  info.app_id = graph::id_string(d.if_contains("app_id"));
  info.issued_at_s = seconds_field(d, "issued_at");
  info.expires_at_s = seconds_field(d, "expires_at");
  if (const json::value *s = d.if_contains("scopes"); s != nullptr && s->is_array()) {
    for (const auto &scope : s->as_array()) {
      if (scope.is_string())
        info.scopes.emplace_back(scope.as_string());
    }
  }
  if (info.valid && info.user_id.empty())
    return Error::make(AH_RETRY_LATER, "debug_token did not name the user");
  return info;
}

std::vector<std::string> missing_scopes(const std::vector<std::string> &wanted,
                                        const std::vector<std::string> &granted) {
  std::vector<std::string> out;
  for (const auto &w : wanted) {
    if (std::find(granted.begin(), granted.end(), w) == granted.end())
      out.push_back(w);
  }
  return out;
}

} // namespace threads::auth
