// Who is calling: the user token (Bearer header or access_token parameter), its validity now,
// its scopes, and the path's user segment ("me" or the caller's own id).
#pragma once

#include "context.hpp"
#include "expected.hpp"
#include "graph_errors.hpp"

#include <initializer_list>
#include <string_view>

namespace sandbox {

struct Caller {
  const TokenRecord *token = nullptr;
  UserRecord *user = nullptr;
};

// The token the request carries: the Authorization header (Bearer or OAuth scheme) when
// config.accept_bearer is on and the header is present, else the access_token parameter.
std::string_view request_token(const Context &ctx);

// A known token that has not expired or been revoked; `TH|<app id>|<app secret>` is
// accepted as an app token, as documented.
Expected<const TokenRecord *, GraphError> find_valid_token(World &world, std::string_view value,
                                                           TimePoint now);

bool has_scope(const TokenRecord &token, std::string_view scope);

// A valid user token holding threads_basic and every scope in `scopes`; otherwise the Graph
// error reply (190 with 401, or 10 with 403).
Expected<Caller, Reply> authenticate_user(const Context &ctx,
                                          std::initializer_list<std::string_view> scopes = {});

Expected<Caller, Reply> require_scopes(Caller caller,
                                       std::initializer_list<std::string_view> scopes);

// The path's user segment must be "me" or the caller's id: Graph only lets a token read and
// write its own user; anything else is the 100/33 "does not exist" error.
Expected<UserRecord *, Reply> resolve_self(const Context &ctx, const Caller &caller,
                                           std::string_view segment);

} // namespace sandbox
