// The account summary the account actions return; it never carries a token.
#include "actions/account_summary.hpp"

#include "auth/time_text.hpp"

#include <boost/json.hpp>

namespace threads::actions {
namespace json = boost::json;

std::string account_summary(std::string_view account, const auth::TokenRecord &r,
                            std::int64_t now_ms) {
  json::array scopes;
  for (const auto &s : r.scopes)
    scopes.emplace_back(s);
  json::object o{{"account", account},
                 {"app", r.app},
                 {"user_id", r.user_id},
                 {"username", r.username},
                 {"kind", r.kind == auth::TokenKind::long_lived ? "long" : "short"},
                 {"status", r.status == auth::AccountStatus::active ? "active" : "needs_reauth"},
                 {"issued_at", auth::iso8601(r.issued_at_ms)},
                 {"expires_at", auth::iso8601(r.expires_at_ms)},
                 {"expires_in_s", r.expires_at_ms == 0
                                      ? json::value(nullptr)
                                      : json::value((r.expires_at_ms - now_ms) / 1000)},
                 {"scopes", std::move(scopes)}};
  return json::serialize(o);
}

} // namespace threads::actions
