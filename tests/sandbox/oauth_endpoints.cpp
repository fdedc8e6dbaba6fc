// The OAuth window, code exchange, app token, long-lived exchange, refresh and debug_token.
#include "auth.hpp"
#include "endpoints.hpp"
#include "random_ids.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <charconv>

namespace sandbox {
namespace json = boost::json;

namespace {

constexpr std::int64_t wrong_app_code = 1349026;
constexpr std::int64_t not_a_tester_code = 1349245;
constexpr std::int64_t window_parameter_code = 100;

std::string no_application_data(std::string_view client_id) {
  return "No application data was given for client_id '" + std::string(client_id) +
         "': use the Threads app id and secret, not the Meta app pair";
}

// Scopes arrive comma-separated or space-separated (threads-api.md 1.1).
std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> scopes;
  std::string current;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '+') {
      if (!current.empty()) {
        scopes.push_back(std::move(current));
        current.clear();
      }
    } else {
      current += c;
    }
  }
  if (!current.empty()) {
    scopes.push_back(std::move(current));
  }
  return scopes;
}

json::object token_answer(const TokenRecord &token, TimePoint now) {
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(token.expires_at - now);
  return json::object{
      {"access_token", token.value}, {"token_type", "bearer"}, {"expires_in", left.count()}};
}

std::optional<std::uint64_t> parse_user_id(std::string_view id) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
  if (ec != std::errc{} || end != id.data() + id.size()) {
    return std::nullopt;
  }
  return value;
}

Reply redirect(std::string location) {
  Reply reply;
  reply.status = 302;
  reply.content_type = "text/html; charset=utf-8";
  reply.body = "<html><body>Redirecting</body></html>";
  reply.headers.emplace_back("Location", std::move(location));
  return reply;
}

Reply client_credentials(Context &ctx) {
  const AppRecord *app = ctx.world.find_app(ctx.param("client_id"));
  if (app == nullptr) {
    return oauth_window_error(no_application_data(ctx.param("client_id")), wrong_app_code);
  }
  if (ctx.param("client_secret") != app->secret) {
    return oauth_exchange_error("Error validating client secret.");
  }
  TokenRecord token;
  token.value = "TH|" + app->id + "|" + random_base62(40);
  token.kind = TokenKind::app;
  token.app_id = app->id;
  token.issued_at = ctx.now;
  token.expires_at = TimePoint::max();
  token.data_access_expires_at = TimePoint::max();
  const std::string value = token.value;
  ctx.world.tokens[value] = std::move(token);
  return json_reply(json::object{{"access_token", value}, {"token_type", "bearer"}});
}

Reply exchange_code(Context &ctx) {
  for (const std::string_view required : {"client_id", "client_secret", "code", "redirect_uri"}) {
    if (ctx.param(required).empty()) {
      return oauth_exchange_error("Missing " + std::string(required) + " parameter.");
    }
  }
  const AppRecord *app = ctx.world.find_app(ctx.param("client_id"));
  if (app == nullptr) {
    return oauth_window_error(no_application_data(ctx.param("client_id")), wrong_app_code);
  }
  if (ctx.param("client_secret") != app->secret) {
    return oauth_exchange_error("Error validating client secret.");
  }
  const auto it = ctx.world.codes.find(std::string(ctx.param("code")));
  if (it == ctx.world.codes.end() || it->second.used || ctx.now >= it->second.expires_at ||
      it->second.app_id != app->id) {
    return oauth_exchange_error("Matching code was not found or was already used");
  }
  AuthCode &code = it->second;
  if (ctx.param("redirect_uri") != code.redirect_uri) {
    return oauth_exchange_error("Error validating verification code. Please make sure your "
                                "redirect_uri is identical to the one you used in the OAuth "
                                "dialog request");
  }
  code.used = true;
  const TokenRecord &token = ctx.world.issue_user_token(
      app->id, code.user_id, TokenKind::short_lived,
      std::make_shared<const std::set<std::string>>(code.scopes), ctx.now);
  json::object body{{"access_token", token.value}};
  // The documented sample sends user_id as a bare 17-digit number (beyond 2^53): written
  // from an integer, never through a double.
  const auto numeric = parse_user_id(code.user_id);
  if (ctx.world.config.exchange_user_id_as_string || !numeric) {
    body["user_id"] = code.user_id;
  } else {
    body["user_id"] = *numeric;
  }
  if (ctx.world.config.exchange_returns_expires_in) {
    body["token_type"] = "bearer";
    body["expires_in"] = std::chrono::duration_cast<std::chrono::seconds>(short_token_life).count();
  }
  return json_reply(body);
}

} // namespace

Reply oauth_authorize(Context &ctx) {
  const AppRecord *app = ctx.world.find_app(ctx.param("client_id"));
  if (app == nullptr) {
    return oauth_window_error(no_application_data(ctx.param("client_id")), wrong_app_code);
  }
  const std::string_view redirect_uri = ctx.param("redirect_uri");
  auto target = boost::urls::parse_absolute_uri(redirect_uri);
  if (redirect_uri.empty() || !target ||
      (target->scheme() != "https" && target->scheme() != "http")) {
    return oauth_window_error("Invalid redirect_uri: it must be an absolute http(s) URL, exactly "
                              "as registered",
                              window_parameter_code);
  }
  if (ctx.param("response_type") != "code") {
    return oauth_window_error("Invalid response_type: it must be 'code'", window_parameter_code);
  }
  std::set<std::string> scopes;
  if (ctx.has_param("scope")) {
    for (auto &scope : split_scopes(ctx.param("scope"))) {
      if (!is_known_scope(scope)) {
        return oauth_window_error("Invalid Scopes: " + scope, window_parameter_code);
      }
      scopes.insert(std::move(scope));
    }
    if (scopes.count("threads_basic") == 0) {
      return oauth_window_error("Invalid Scopes: threads_basic is required", window_parameter_code);
    }
  } else {
    scopes.insert(all_scopes().begin(), all_scopes().end());
  }
  // The user may untick permissions in the window: what is granted can be less than asked.
  for (const auto &declined : split_scopes(ctx.param("sandbox_decline"))) {
    if (declined != "threads_basic") {
      scopes.erase(declined);
    }
  }
  UserRecord *user = ctx.world.find_user(default_user_id);
  if (ctx.has_param("sandbox_user")) {
    user = ctx.world.find_user_by_name(ctx.param("sandbox_user"));
    if (user == nullptr) {
      user = ctx.world.find_user(ctx.param("sandbox_user"));
    }
    if (user == nullptr) {
      return oauth_window_error(
          "Invalid Request: The user has not accepted the invite to test the app",
          not_a_tester_code);
    }
  }

  boost::urls::url location(*target);
  const std::string_view deny = ctx.param("sandbox_deny");
  if (deny == "true" || deny == "1") {
    location.params().append({"error", "access_denied"});
    location.params().append({"error_reason", "user_denied"});
    location.params().append({"error_description", "The user denied your request"});
  } else {
    const std::string code = random_base62(96);
    ctx.world.codes[code] =
        AuthCode{app->id, user->id, std::string(redirect_uri), scopes, ctx.now + auth_code_life};
    location.params().append({"code", code});
  }
  if (ctx.has_param("state")) {
    location.params().append({"state", ctx.param("state")});
  }
  location.set_fragment("_");
  return redirect(std::string(location.buffer()));
}

Reply oauth_access_token(Context &ctx) {
  const std::string_view grant = ctx.param("grant_type");
  if (grant == "client_credentials") {
    return client_credentials(ctx);
  }
  if (grant == "authorization_code" || (grant.empty() && ctx.has_param("code"))) {
    return exchange_code(ctx);
  }
  return oauth_exchange_error("Unsupported grant_type '" + std::string(grant) +
                              "': use authorization_code or client_credentials");
}

Reply exchange_token(Context &ctx) {
  if (ctx.param("grant_type") != "th_exchange_token") {
    return graph_error_reply(errors::invalid_parameter("grant_type", "must be th_exchange_token"));
  }
  if (ctx.param("client_secret").empty()) {
    return graph_error_reply(errors::missing_parameter("client_secret"));
  }
  auto token = find_valid_token(ctx.world, request_token(ctx), ctx.now);
  if (!token) {
    return graph_error_reply(token.error());
  }
  const TokenRecord &short_token = **token;
  if (short_token.kind != TokenKind::short_lived) {
    return graph_error_reply(errors::invalid_parameter(
        "access_token", "only a short-lived user token can be exchanged for a long-lived one"));
  }
  const AppRecord *app = ctx.world.find_app(short_token.app_id);
  if (app == nullptr || ctx.param("client_secret") != app->secret) {
    GraphError e;
    e.code = 101;
    e.message = "Error validating client secret.";
    return graph_error_reply(e);
  }
  if (!has_scope(short_token, "threads_basic")) {
    return graph_error_reply(errors::permission_denied("threads_basic"));
  }
  const TokenRecord &long_token = ctx.world.issue_user_token(
      short_token.app_id, short_token.user_id, TokenKind::long_lived, short_token.scopes, ctx.now);
  return json_reply(token_answer(long_token, ctx.now));
}

Reply refresh_token(Context &ctx) {
  if (ctx.param("grant_type") != "th_refresh_token") {
    return graph_error_reply(errors::invalid_parameter("grant_type", "must be th_refresh_token"));
  }
  auto found = find_valid_token(ctx.world, request_token(ctx), ctx.now);
  if (!found) {
    return graph_error_reply(found.error());
  }
  TokenRecord &old_token = ctx.world.tokens.at((*found)->value);
  if (old_token.kind != TokenKind::long_lived) {
    GraphError e;
    e.code = 190;
    e.message = "Error validating access token: only long-lived access tokens can be refreshed; "
                "exchange a short-lived token first";
    return graph_error_reply(400, e);
  }
  if (ctx.now - old_token.issued_at < refresh_min_age) {
    // UNCONFIRMED in the docs; the sandbox answers 400 with code 190 and no subcode, so a
    // client cannot mistake it for the 401 expired-token error (190/463).
    GraphError e;
    e.code = 190;
    e.message = "Error validating access token: the access token cannot be refreshed yet; a "
                "long-lived token can be refreshed once it is at least 24 hours old";
    return graph_error_reply(400, e);
  }
  if (!has_scope(old_token, "threads_basic")) {
    return graph_error_reply(errors::permission_denied("threads_basic"));
  }
  if (ctx.world.config.refresh_keeps_token_string) {
    old_token.issued_at = ctx.now;
    old_token.expires_at = ctx.now + long_token_life;
    old_token.data_access_expires_at = ctx.now + permission_grant_life;
    return json_reply(token_answer(old_token, ctx.now));
  }
  const std::string app_id = old_token.app_id;
  const std::string user_id = old_token.user_id;
  const auto scopes = old_token.scopes;
  if (ctx.world.config.revoke_on_refresh) {
    old_token.revoked = true;
  }
  const TokenRecord &fresh =
      ctx.world.issue_user_token(app_id, user_id, TokenKind::long_lived, scopes, ctx.now);
  return json_reply(token_answer(fresh, ctx.now));
}

Reply debug_token(Context &ctx) {
  auto caller = find_valid_token(ctx.world, request_token(ctx), ctx.now);
  if (!caller) {
    return graph_error_reply(caller.error());
  }
  if (ctx.param("input_token").empty()) {
    return graph_error_reply(errors::missing_parameter("input_token"));
  }
  const auto it = ctx.world.tokens.find(std::string(ctx.param("input_token")));
  if (it == ctx.world.tokens.end()) {
    return json_reply(json::object{
        {"data", json::object{{"error", json::object{{"code", 190},
                                                     {"message", "Invalid OAuth access token."}}},
                              {"is_valid", false},
                              {"scopes", json::array{}}}}});
  }
  if (ctx.world.config.apps_in_dev_mode && (*caller)->kind != TokenKind::app) {
    // Reported for development-mode apps even for Threads testers (threads-go#28).
    GraphError e;
    e.code = 100;
    e.type = "OAuthException";
    e.message = "The app associated with this request is in dev mode";
    return graph_error_reply(e);
  }
  const TokenRecord &input = it->second;
  if (input.app_id != (*caller)->app_id) {
    return graph_error_reply(errors::invalid_parameter(
        "input_token", "the token belongs to another app than the access_token"));
  }
  const auto unix_or_zero = [](TimePoint t) {
    return t == TimePoint::max() ? std::int64_t{0} : unix_seconds(t);
  };
  json::array scopes;
  for (const auto &scope : *input.scopes)
    scopes.push_back(json::string(scope));
  // The documented fields (threads-api.md 1.8): no app_id, unlike Facebook's debug_token;
  // `application` is the app's name.
  json::object data{{"type", input.kind == TokenKind::app ? "APP" : "USER"},
                    {"application", "threads-sandbox app " + input.app_id},
                    {"data_access_expires_at", unix_or_zero(input.data_access_expires_at)},
                    {"expires_at", unix_or_zero(input.expires_at)},
                    {"is_valid", !input.revoked && ctx.now < input.expires_at},
                    {"issued_at", unix_seconds(input.issued_at)},
                    {"scopes", std::move(scopes)}};
  if (!input.user_id.empty()) {
    data["user_id"] = input.user_id;
  }
  if (input.revoked || ctx.now >= input.expires_at) {
    const GraphError e =
        input.revoked ? errors::revoked_token() : errors::expired_token(input.expires_at, ctx.now);
    data["error"] = json::object{{"code", e.code}, {"message", e.message}, {"subcode", *e.subcode}};
  }
  return json_reply(json::object{{"data", std::move(data)}});
}

} // namespace sandbox
