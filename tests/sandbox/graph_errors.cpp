// Builds the Graph error envelope and the OAuth error shapes, with the messages the real API uses.
#include "graph_errors.hpp"

#include "random_ids.hpp"
#include "text_rules.hpp"

#include <boost/json.hpp>

namespace sandbox {
namespace json = boost::json;

namespace {

Reply json_reply(unsigned status, const json::value &body) {
  Reply reply;
  reply.status = status;
  reply.body = json::serialize(body);
  return reply;
}

} // namespace

unsigned default_http_status(const GraphError &error) {
  if (error.code == 190 || error.code == 102) {
    return 401;
  }
  if (error.code == 10 || (error.code >= 200 && error.code <= 299)) {
    return 403;
  }
  return 400;
}

Reply graph_error_reply(const GraphError &error) {
  return graph_error_reply(default_http_status(error), error);
}

Reply graph_error_reply(unsigned http_status, const GraphError &error) {
  json::object inner;
  inner["message"] = error.message;
  inner["type"] = error.type;
  inner["code"] = error.code;
  if (error.subcode) {
    inner["error_subcode"] = *error.subcode;
  }
  inner["is_transient"] = error.is_transient;
  if (!error.user_title.empty()) {
    inner["error_user_title"] = error.user_title;
  }
  if (!error.user_msg.empty()) {
    inner["error_user_msg"] = error.user_msg;
  }
  const std::string trace = random_trace_id();
  inner["fbtrace_id"] = trace;
  Reply reply = json_reply(http_status, json::object{{"error", std::move(inner)}});
  if (http_status == 401) {
    // As Graph does; keep the header to one printable line whatever the message holds.
    std::string text;
    for (char c : error.message) {
      text += (c == '"' || static_cast<unsigned char>(c) < 0x20) ? '\'' : c;
    }
    reply.headers.emplace_back("WWW-Authenticate",
                               R"(OAuth "Facebook Platform" "invalid_token" ")" + text + "\"");
  }
  return reply;
}

Reply oauth_exchange_error(std::string_view message) {
  return json_reply(
      400,
      json::object{{"error_type", "OAuthException"}, {"code", 400}, {"error_message", message}});
}

Reply oauth_window_error(std::string_view message, std::int64_t code) {
  return json_reply(400, json::object{{"error_message", message}, {"error_code", code}});
}

namespace errors {

GraphError unsupported_request(std::string_view method, std::string_view object_id) {
  GraphError e;
  e.code = 100;
  e.subcode = 33;
  e.type = "THApiException";
  e.message = "Unsupported " + ascii_lower(method) + " request. Object with ID '" +
              std::string(object_id) +
              "' does not exist, cannot be loaded due to missing permissions, or does not "
              "support this operation";
  return e;
}

GraphError unsupported_method(std::string_view method) {
  GraphError e;
  e.code = 100;
  e.type = "THApiException";
  e.message = "Unsupported request - method type: " + ascii_lower(method);
  return e;
}

GraphError unknown_path(std::string_view path) {
  GraphError e;
  e.code = 100;
  e.type = "THApiException";
  e.message = "Unknown path components: " + std::string(path);
  return e;
}

GraphError missing_parameter(std::string_view name) {
  GraphError e;
  e.code = 100;
  e.type = "THApiException";
  e.message = "The parameter " + std::string(name) + " is required";
  return e;
}

GraphError invalid_parameter(std::string_view name, std::string_view why) {
  GraphError e;
  e.code = 100;
  e.type = "THApiException";
  // Graph says just "Invalid parameter"; the sandbox names the parameter in `message` too,
  // since that is what clients show.
  e.message = "Invalid parameter " + std::string(name) + ": " + std::string(why);
  e.user_title = "Invalid parameter: " + std::string(name);
  e.user_msg = std::string(why);
  return e;
}

GraphError nonexisting_field(std::string_view field, std::string_view node_type) {
  GraphError e;
  e.code = 100;
  e.type = "THApiException";
  e.message = "Tried accessing nonexisting field (" + std::string(field) + ") on node type (" +
              std::string(node_type) + ")";
  return e;
}

GraphError missing_token() {
  GraphError e;
  e.code = 190;
  e.message = "An active access token must be used to query information about the current user.";
  return e;
}

GraphError invalid_token() {
  GraphError e;
  e.code = 190;
  e.message = "Invalid OAuth access token - Cannot parse access token";
  return e;
}

GraphError expired_token(TimePoint expired_at, TimePoint now) {
  GraphError e;
  e.code = 190;
  e.subcode = 463;
  e.message = "Error validating access token: Session has expired on " +
              graph_timestamp(expired_at) + ". The current time is " + graph_timestamp(now) + ".";
  return e;
}

GraphError revoked_token() {
  GraphError e;
  e.code = 190;
  e.subcode = 460;
  e.message = "Error validating access token: The session has been invalidated because the "
              "access token was refreshed.";
  return e;
}

GraphError app_token_not_allowed() {
  GraphError e;
  e.code = 190;
  e.message = "Invalid OAuth access token - an app access token cannot be used for this request; "
              "use a user access token";
  return e;
}

GraphError permission_denied(std::string_view scope) {
  GraphError e;
  e.code = 10;
  e.message = "Application does not have permission for this action";
  e.user_msg = "This request needs the " + std::string(scope) + " permission.";
  return e;
}

GraphError media_not_found(std::string_view id) {
  GraphError e;
  e.code = 24;
  e.subcode = 4279009;
  e.message = "The requested resource does not exist";
  e.user_title = "Media Not Found";
  e.user_msg = "The media with id " + std::string(id) + " cannot be found.";
  return e;
}

GraphError carousel_items_invalid(std::string_view item_id, std::string_view status) {
  GraphError e;
  e.code = 100;
  e.subcode = 4279004;
  e.message = "The carousel child items are invalid or expired";
  e.user_title = "Invalid carousel items";
  e.user_msg = "Carousel item " + std::string(item_id) + " is " + std::string(status) +
               "; every item must be FINISHED before the carousel is created.";
  return e;
}

GraphError quota_exceeded(std::string_view what, std::int64_t limit) {
  GraphError e;
  e.code = 17;
  e.subcode = 2207042;
  e.message = "User request limit reached";
  e.user_title = ascii_upper(what.substr(0, 1)) + std::string(what.substr(1)) + " limit reached";
  e.user_msg = "This account has reached the limit of " + std::to_string(limit) + " " +
               std::string(what) + " in 24 hours.";
  return e;
}

} // namespace errors
} // namespace sandbox
