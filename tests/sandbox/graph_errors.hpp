// Error bodies in the shapes graph.threads.net uses: the Graph envelope and the two OAuth shapes.
#pragma once

#include "clock.hpp"
#include "http_message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sandbox {

// {"error":{"message","type","code","error_subcode","is_transient","error_user_title",
// "error_user_msg","fbtrace_id"}}; empty optional parts are left out.
struct GraphError {
  int code = 1;
  std::optional<int> subcode;
  std::string message;
  std::string type = "OAuthException";
  bool is_transient = false;
  std::string user_title;
  std::string user_msg;
};

// The HTTP status the sandbox pairs with an error: 401 for the 190 family, 403 for
// permission code 10, 400 for everything else (the Graph convention).
unsigned default_http_status(const GraphError &error);

Reply graph_error_reply(const GraphError &error);
Reply graph_error_reply(unsigned http_status, const GraphError &error);

// The code-exchange shape: {"error_type":"OAuthException","code":400,"error_message":...}.
Reply oauth_exchange_error(std::string_view message);

// The authorize-window shape: {"error_message":...,"error_code":N}.
Reply oauth_window_error(std::string_view message, std::int64_t code);

namespace errors {

// 100/33: an object id that does not exist, is not visible to the token, or lacks the edge.
GraphError unsupported_request(std::string_view method, std::string_view object_id);
// 100: a path that exists but not for this HTTP method ("Unsupported request - method type: get").
GraphError unsupported_method(std::string_view method);
GraphError unknown_path(std::string_view path);
GraphError missing_parameter(std::string_view name);
GraphError invalid_parameter(std::string_view name, std::string_view why);
GraphError nonexisting_field(std::string_view field, std::string_view node_type);

GraphError missing_token();
GraphError invalid_token();
GraphError expired_token(TimePoint expired_at, TimePoint now);
GraphError revoked_token();
GraphError app_token_not_allowed();
GraphError permission_denied(std::string_view scope);

// 24/4279009 "The requested resource does not exist" / "Media Not Found".
GraphError media_not_found(std::string_view id);

// 100/4279004 "carousel child items are invalid or expired": a carousel listing an item that
// is not FINISHED (still IN_PROGRESS, ERROR, EXPIRED or PUBLISHED). The code is UNCONFIRMED;
// the subcode and wording are the field report's.
GraphError carousel_items_invalid(std::string_view item_id, std::string_view status);

// 17/2207042: a rolling-24 h publishing quota is used up (the real code is UNCONFIRMED).
GraphError quota_exceeded(std::string_view what, std::int64_t limit);

} // namespace errors
} // namespace sandbox
