// The long-lived exchange and the "nothing was stored" errors of the onboarding actions.
#include "actions/long_lived.hpp"

#include <boost/json.hpp>

#include <string>
#include <utility>

namespace threads::actions {
namespace json = boost::json;

autohost::Error nothing_stored(autohost::Error e, std::string_view action, std::string_view step) {
  boost::system::error_code ec;
  json::value body = json::parse(e.body, ec);
  if (ec || !body.is_object())
    body = json::object{{"message", e.body}};
  json::object &o = body.as_object();
  const json::value *m = o.if_contains("message");
  o["message"] = std::string(action) + ": " + std::string(step) + " failed: " +
                 (m != nullptr && m->is_string() ? std::string(m->as_string()) : std::string()) +
                 "; nothing was stored";
  e.body = json::serialize(body);
  return e;
}

autohost::Result<auth::TokenAnswer> exchange_for_long_lived(const ActionContext &ctx,
                                                            std::string_view action,
                                                            std::string_view app_secret,
                                                            std::string_view short_token) {
  auto exchanged = ctx.graph.call(auth::long_lived_exchange_call(
      ctx.make_call(http::Method::get, "", graph::Operation::token, ""), app_secret, short_token));
  if (!exchanged) {
    return nothing_stored(to_error(std::move(exchanged).error()), action,
                          "exchanging the short-lived token for a long-lived one");
  }
  auto answer = auth::parse_token_answer(exchanged.value(), "the long-lived exchange");
  if (!answer)
    return nothing_stored(std::move(answer).error(), action, "the long-lived exchange");
  return answer;
}

} // namespace threads::actions
