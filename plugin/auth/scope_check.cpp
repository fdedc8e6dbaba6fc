// Refusing an action before any request when the account was not granted a scope it needs.
#include "auth/scope_check.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace threads::auth {
namespace json = boost::json;

std::string reauthorise_for_scopes(std::string_view account,
                                   const std::vector<std::string> &scopes) {
  json::object input{{"scopes", json::value_from(scopes)}};
  return "autohost invoke threads.auth_url --account " + std::string(account) + " --input '" +
         json::serialize(input) +
         "', open the URL and grant every permission, then autohost invoke "
         "threads.exchange_code --input '{\"code\": \"<the redirect URL>\"}'";
}

autohost::Result<autohost::Done> require_scopes(std::string_view account, std::string_view action,
                                                const TokenRecord &record,
                                                const std::vector<std::string_view> &needed) {
  if (record.scopes_checked_at_ms == 0)
    return autohost::Done{};
  std::vector<std::string> missing;
  for (const auto scope : needed) {
    if (std::find(record.scopes.begin(), record.scopes.end(), scope) == record.scopes.end())
      missing.emplace_back(scope);
  }
  if (missing.empty())
    return autohost::Done{};
  std::vector<std::string> wanted = record.scopes;
  wanted.insert(wanted.end(), missing.begin(), missing.end());
  const std::string fix = reauthorise_for_scopes(account, wanted);
  std::string names;
  for (const auto &m : missing)
    names += (names.empty() ? "" : ", ") + m;
  json::object body{{"code", "missing_scope"},
                    {"scope", missing.front()},
                    {"missing_scopes", json::value_from(missing)},
                    {"account", account},
                    {"message", std::string(action) + ": account '" + std::string(account) +
                                    "' was not granted " + names + ", which " +
                                    std::string(action) +
                                    " needs; nothing was sent. Re-authorise it asking for " +
                                    (missing.size() == 1 ? "it" : "them") + ": " + fix},
                    {"fix", fix}};
  return autohost::Error{AH_AUTH_REQUIRED, json::serialize(body)};
}

} // namespace threads::auth
