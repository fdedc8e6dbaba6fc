// The long-lived exchange and the "nothing was stored" errors of the onboarding actions.
#include "actions/long_lived.hpp"

#include <boost/json.hpp>

#include <string>
#include <utility>

namespace threads::actions {
namespace json = boost::json;
using autohost::Result;

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

std::string username_of(const ActionContext &ctx, const std::string &token) {
  auto me = ctx.make_call(http::Method::get, "/me", graph::Operation::read, token);
  me.params = {{"fields", "id,username"}};
  auto profile = ctx.graph.call(me);
  const json::value *u =
      profile && profile->is_object() ? profile->as_object().if_contains("username") : nullptr;
  return u != nullptr && u->is_string() ? std::string(u->as_string()) : std::string();
}

Result<Inspection> inspect_token(const ActionContext &ctx, std::string_view action,
                                 const auth::StoredApp *app, std::string_view token) {
  auto ask = [&](std::string_view caller) {
    return ctx.graph.call(auth::debug_token_call(
        ctx.make_call(http::Method::get, "", graph::Operation::read, ""), caller, token));
  };
  std::string refused_as_app;
  bool other_app = false;
  if (app != nullptr) {
    auto answer = ask(auth::app_access_token(app->credentials));
    if (answer) {
      auto info = auth::parse_token_info(answer.value());
      if (!info)
        return nothing_stored(std::move(info).error(), action, "checking the token");
      return Inspection{std::move(info).value(), true};
    }
    graph::Failure failure = std::move(answer).error();
    if (!failure.graph) // no answer: asking again another way would not help
      return nothing_stored(std::move(failure.error), action, "checking the token");
    refused_as_app = "as app '" + app->name + "': " + auth::error_message(failure.error);
    other_app = failure.graph->code.value_or(0) == 100;
  }
  auto answer = ask(token);
  if (!answer) {
    autohost::Error e = std::move(answer).error().error;
    if (!refused_as_app.empty()) {
      boost::system::error_code ec;
      json::value body = json::parse(e.body, ec);
      if (ec || !body.is_object())
        body = json::object{};
      body.as_object()["message"] = "debug_token refused it " + refused_as_app +
                                    "; and with the token itself: " + auth::error_message(e);
      e.body = json::serialize(body);
    }
    return nothing_stored(std::move(e), action, "checking the token");
  }
  auto info = auth::parse_token_info(answer.value());
  if (!info)
    return nothing_stored(std::move(info).error(), action, "checking the token");
  return Inspection{std::move(info).value(), false, other_app};
}

} // namespace threads::actions
