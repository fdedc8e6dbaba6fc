// Token resolution, validity and scope checks for the Graph endpoints.
#include "auth.hpp"

#include "text_rules.hpp"

namespace sandbox {

std::string_view request_token(const Context &ctx) {
  std::string_view header = ctx.request.authorization;
  if (ctx.world.config.accept_bearer && !header.empty()) {
    for (const std::string_view scheme : {"Bearer ", "OAuth "}) {
      if (starts_with_ignoring_case(header, scheme)) {
        header.remove_prefix(scheme.size());
        while (!header.empty() && header.front() == ' ') {
          header.remove_prefix(1);
        }
        return header;
      }
    }
  }
  return ctx.param("access_token");
}

Expected<const TokenRecord *, GraphError> find_valid_token(World &world, std::string_view value,
                                                           TimePoint now) {
  if (value.empty()) {
    return unexpected(errors::missing_token());
  }
  const auto it = world.tokens.find(std::string(value));
  if (it == world.tokens.end()) {
    // TH|<app id>|<app secret> is a documented way to pass an app token.
    if (value.substr(0, 3) == "TH|") {
      const auto bar = value.find('|', 3);
      if (bar != std::string_view::npos) {
        const AppRecord *app = world.find_app(value.substr(3, bar - 3));
        if (app != nullptr && value.substr(bar + 1) == app->secret) {
          TokenRecord token;
          token.value = value;
          token.kind = TokenKind::app;
          token.app_id = app->id;
          token.issued_at = now;
          token.expires_at = TimePoint::max();
          token.data_access_expires_at = TimePoint::max();
          return &(world.tokens[std::string(value)] = std::move(token));
        }
      }
    }
    return unexpected(errors::invalid_token());
  }
  const TokenRecord &token = it->second;
  if (token.revoked) {
    return unexpected(errors::revoked_token());
  }
  if (now >= token.expires_at) {
    return unexpected(errors::expired_token(token.expires_at, now));
  }
  return &token;
}

bool has_scope(const TokenRecord &token, std::string_view scope) {
  return token.scopes->find(std::string(scope)) != token.scopes->end();
}

Expected<Caller, Reply> require_scopes(Caller caller,
                                       std::initializer_list<std::string_view> scopes) {
  if (!has_scope(*caller.token, "threads_basic")) {
    return unexpected(graph_error_reply(errors::permission_denied("threads_basic")));
  }
  for (const auto scope : scopes) {
    if (!has_scope(*caller.token, scope)) {
      return unexpected(graph_error_reply(errors::permission_denied(scope)));
    }
  }
  return caller;
}

Expected<Caller, Reply> authenticate_user(const Context &ctx,
                                          std::initializer_list<std::string_view> scopes) {
  auto token = find_valid_token(ctx.world, request_token(ctx), ctx.now);
  if (!token) {
    return unexpected(graph_error_reply(token.error()));
  }
  if ((*token)->kind == TokenKind::app) {
    return unexpected(graph_error_reply(errors::app_token_not_allowed()));
  }
  UserRecord *user = ctx.world.find_user((*token)->user_id);
  if (user == nullptr) {
    return unexpected(graph_error_reply(errors::invalid_token()));
  }
  return require_scopes(Caller{*token, user}, scopes);
}

Expected<UserRecord *, Reply> resolve_self(const Context &ctx, const Caller &caller,
                                           std::string_view segment) {
  if (segment == "me" || segment == caller.user->id) {
    return caller.user;
  }
  return unexpected(graph_error_reply(errors::unsupported_request(ctx.request.method, segment)));
}

} // namespace sandbox
