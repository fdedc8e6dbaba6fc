// The Graph API error catalogue (shared/threads-api.md section 4, G-err): envelopes, codes,
// subcodes and container error messages mapped to statuses and advice.
#include "graph/graph_error.hpp"

#include <autohost/cut_text.hpp>

#include <boost/json.hpp>

namespace threads::graph {
namespace json = boost::json;

namespace {

// A text of the server's answer, cut to a few KiB: it reaches stderr, logs and stored runs.
std::string text_of(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  if (v == nullptr)
    return {};
  if (v->is_string())
    return autohost::cut_text(v->as_string());
  return {};
}

std::optional<long long> int_of(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  if (v == nullptr)
    return std::nullopt;
  if (v->is_int64())
    return v->as_int64();
  if (v->is_uint64())
    return static_cast<long long>(v->as_uint64());
  if (v->is_string()) {
    try {
      return std::stoll(std::string(v->as_string()));
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Verdict verdict(ah_status status, std::string code, std::string advice,
                std::optional<int> retry_after = std::nullopt) {
  return Verdict{status, std::move(code), std::move(advice), retry_after};
}

constexpr std::string_view reauthorise =
    "re-authorise the account (autohost invoke threads.auth_url, then threads.exchange_code)";

Verdict token_problem(std::optional<long long> subcode) {
  switch (subcode.value_or(0)) {
  case 458:
    return verdict(AH_AUTH_REQUIRED, "app_removed",
                   "the user removed the app from their account; " + std::string(reauthorise));
  case 459:
    return verdict(AH_AUTH_REQUIRED, "user_checkpointed",
                   "the user must log in on threads.net to clear a security checkpoint");
  case 460:
    return verdict(AH_AUTH_REQUIRED, "password_changed",
                   "the user changed their password; " + std::string(reauthorise));
  case 463:
    return verdict(AH_AUTH_REQUIRED, "token_expired",
                   "the token expired and can no longer be refreshed; " + std::string(reauthorise));
  case 464:
    return verdict(AH_AUTH_REQUIRED, "user_unconfirmed",
                   "the user must confirm their account on threads.net");
  case 467:
    return verdict(AH_AUTH_REQUIRED, "token_invalid",
                   "the token is not valid (revoked or malformed); " + std::string(reauthorise));
  default:
    return verdict(AH_AUTH_REQUIRED, "token_invalid",
                   "the token was rejected; " + std::string(reauthorise));
  }
}

Verdict by_http_status(int status) {
  if (status == 401 || status == 403) {
    return verdict(AH_AUTH_REQUIRED, "unauthorized",
                   "the server refused the credentials; " + std::string(reauthorise));
  }
  if (status == 404)
    return verdict(AH_NOT_FOUND, "not_found", "check the id");
  if (status == 408)
    return verdict(AH_RETRY_LATER, "timeout", "try again");
  if (status == 429) {
    return verdict(AH_RATE_LIMITED, "rate_limited", "wait before sending more requests", 60);
  }
  if (status >= 500) {
    return verdict(AH_RETRY_LATER, "server_error", "a temporary server problem; try again later",
                   30);
  }
  if (status >= 400) {
    return verdict(AH_INVALID_INPUT, "rejected",
                   "the server rejected the request; check the input");
  }
  return verdict(AH_INTERNAL, "unexpected_response", "unexpected response from the server");
}

// The answers to a setup mistake (wrong app credentials, a pending tester invite), which
// come with several codes; nullopt when `e` is not one.
std::optional<Verdict> setup_mistake(const GraphError &e) {
  const long long code = e.code.value_or(-1);
  const long long sub = e.subcode.value_or(0);
  // Wrong credentials pair: the Meta app has a Facebook and a Threads id/secret.
  if (code == 1349026 || code == 4476002 || sub == 1349026 || sub == 4476002) {
    return verdict(AH_INVALID_INPUT, "wrong_app_credentials",
                   "use the Threads app id and secret, not the Facebook ones (Meta app dashboard, "
                   "Use cases > Access the Threads API > Settings)");
  }
  // A refused client secret is the other half of the same mistake (code 101 from the
  // long-lived exchange, the OAuth shape's "Error validating client secret." at code exchange).
  if (code == 101 || e.message.find("client secret") != std::string::npos) {
    return verdict(AH_INVALID_INPUT, "app_secret_rejected",
                   "the app secret was refused: use the Threads app id and secret, not the "
                   "Facebook ones (Meta app dashboard, Use cases > Access the Threads API > "
                   "Settings); fix them with threads.register_app");
  }
  if (code == 1349245) {
    return verdict(AH_AUTH_REQUIRED, "tester_invite_pending",
                   "the user must accept the Threads Tester invite (Threads app: Settings > "
                   "Account > Website permissions > Invites)");
  }
  return std::nullopt;
}

} // namespace

std::optional<GraphError> parse_error(int http_status, std::string_view body) {
  GraphError e;
  e.http_status = http_status;
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  const bool failed_status = http_status < 200 || http_status >= 300;
  if (ec || !doc.is_object()) {
    if (!failed_status)
      return std::nullopt;
    e.message = "HTTP " + std::to_string(http_status) + " with a body that is not a JSON error";
    return e;
  }
  const json::object &o = doc.as_object();
  if (const json::value *inner = o.if_contains("error"); inner != nullptr && inner->is_object()) {
    const json::object &err = inner->as_object();
    e.code = int_of(err, "code");
    e.subcode = int_of(err, "error_subcode");
    e.type = text_of(err, "type");
    e.message = text_of(err, "message");
    e.user_title = text_of(err, "error_user_title");
    e.user_message = text_of(err, "error_user_msg");
    e.fbtrace_id = text_of(err, "fbtrace_id");
    if (const json::value *t = err.if_contains("is_transient"); t != nullptr && t->is_bool()) {
      e.is_transient = t->as_bool();
    }
    return e;
  }
  if (o.contains("error_message")) {
    // The OAuth endpoints' shapes: {"error_type","code","error_message"} from the code
    // exchange, {"error_message","error_code"} from the authorize window.
    e.message = text_of(o, "error_message");
    e.type = text_of(o, "error_type");
    e.code = o.contains("error_code") ? int_of(o, "error_code") : int_of(o, "code");
    return e;
  }
  if (!failed_status)
    return std::nullopt;
  e.message = "HTTP " + std::to_string(http_status) + " without an error envelope";
  return e;
}

std::string http_answer_labels(int http_status, std::string_view body) {
  std::string api_code;
  if (http_status < 200 || http_status >= 300) {
    if (auto e = parse_error(http_status, body); e && e->code)
      api_code = std::to_string(*e->code);
  }
  const json::object labels{{"http_status", std::to_string(http_status)}, {"api_code", api_code}};
  return json::serialize(labels);
}

Verdict classify(const GraphError &e, Operation operation) {
  const long long code = e.code.value_or(-1);
  const long long sub = e.subcode.value_or(0);

  if (auto mistake = setup_mistake(e))
    return std::move(*mistake);
  if (code == 24 && sub == 4279009) {
    if (operation == Operation::publish) {
      return verdict(AH_RETRY_LATER, "container_not_ready",
                     "the container is not visible to the publish endpoint yet; retry shortly", 10);
    }
    return verdict(AH_NOT_FOUND, "media_not_found", "check the media id");
  }
  switch (code) {
  case 4:
  case 17:
  case 32:
  case 613:
    return verdict(AH_RATE_LIMITED, "rate_limited",
                   "the API rate limit for this app and account is reached; wait before retrying",
                   300);
  default:
    break;
  }
  if (e.is_transient.value_or(false)) {
    return verdict(AH_RETRY_LATER, "transient", "a temporary problem at Meta; try again later", 30);
  }
  switch (code) {
  case 190:
  case 102:
    return token_problem(e.subcode);
  case 1:
  case 2:
    return verdict(AH_RETRY_LATER, "service_unavailable",
                   "the Threads API is temporarily unavailable; try again later", 60);
  case 341:
    return verdict(AH_RATE_LIMITED, "app_limit", "the application limit is reached; wait", 3600);
  case 368:
    return verdict(AH_RATE_LIMITED, "temporarily_blocked",
                   "Meta temporarily blocked this account for a policy reason; retry much later "
                   "and review the content",
                   86400);
  case 3:
  case 10:
    return verdict(AH_AUTH_REQUIRED, "permission_denied",
                   "the app lacks a permission for this action; re-authorise granting the needed "
                   "scope (see threads.auth_url)");
  case 506:
    return verdict(AH_INVALID_INPUT, "duplicate_post",
                   "Threads refused a duplicate post; change the content");
  case 1609005:
    return verdict(AH_INVALID_INPUT, "link_unreachable",
                   "Meta could not fetch the link; check that the URL is public");
  case 100:
    if (sub == 33) {
      return verdict(AH_NOT_FOUND, "object_not_found",
                     "the object does not exist, is not visible to this account, or does not "
                     "support this operation");
    }
    return verdict(AH_INVALID_INPUT, "invalid_parameter", "check the input fields");
  default:
    break;
  }
  if (code >= 200 && code <= 299) {
    return verdict(AH_AUTH_REQUIRED, "permission_denied",
                   "a permission is missing; re-authorise granting the needed scope");
  }
  if (e.message.find("LINK_LIMIT_EXCEEDED") != std::string::npos) {
    return verdict(AH_INVALID_INPUT, "too_many_links", "a post may contain at most 5 links");
  }
  if (operation == Operation::token && e.http_status >= 400 && e.http_status < 500) {
    return verdict(AH_INVALID_INPUT, "token_request_rejected",
                   "the token request was refused; authorization codes are single-use and valid "
                   "for one hour; start again with threads.auth_url");
  }
  return by_http_status(e.http_status);
}

std::string error_body(const GraphError &e, const Verdict &v) {
  json::object body;
  body["code"] = v.code;
  std::string message = e.message.empty() ? std::string("the Threads API refused the request")
                                          : "Threads API: " + e.message;
  if (!e.user_message.empty() && e.user_message != e.message)
    message += " (" + e.user_message + ")";
  if (!v.advice.empty())
    message += "; " + v.advice;
  body["message"] = message;
  body["http_status"] = e.http_status;
  if (e.code)
    body["threads_code"] = *e.code;
  if (e.subcode)
    body["threads_subcode"] = *e.subcode;
  if (!e.type.empty())
    body["threads_type"] = e.type;
  if (!e.fbtrace_id.empty())
    body["fbtrace_id"] = e.fbtrace_id;
  if (e.is_transient)
    body["is_transient"] = *e.is_transient;
  if (v.retry_after_s)
    body["retry_after_s"] = *v.retry_after_s;
  return json::serialize(body);
}

Verdict classify_container_error(std::string_view m) {
  if (m == "FAILED_DOWNLOADING_VIDEO") {
    return verdict(AH_INVALID_INPUT, std::string(m),
                   "Meta could not download the video; check that the URL is public and "
                   "serves the file directly");
  }
  if (m == "FAILED_PROCESSING_AUDIO") {
    return verdict(AH_INVALID_INPUT, std::string(m),
                   "the audio track could not be processed; use AAC, 48 kHz max, mono or stereo");
  }
  if (m == "FAILED_PROCESSING_VIDEO") {
    return verdict(AH_INVALID_INPUT, std::string(m),
                   "the video could not be processed; use MP4/MOV with H.264 or HEVC, moov atom "
                   "first, no edit lists");
  }
  if (m == "INVALID_ASPEC_RATIO" || m == "INVALID_ASPECT_RATIO") {
    return verdict(AH_INVALID_INPUT, "INVALID_ASPECT_RATIO",
                   "the aspect ratio must be between 0.01:1 and 10:1 (9:16 recommended)");
  }
  if (m == "INVALID_BIT_RATE") {
    return verdict(AH_INVALID_INPUT, std::string(m), "the video bit rate must be at most 100 Mbps");
  }
  if (m == "INVALID_DURATION") {
    return verdict(AH_INVALID_INPUT, std::string(m),
                   "the video must last more than 0 s and at most 300 s");
  }
  if (m == "INVALID_FRAME_RATE") {
    return verdict(AH_INVALID_INPUT, std::string(m),
                   "the frame rate must be between 23 and 60 FPS");
  }
  if (m == "INVALID_AUDIO_CHANNELS" || m == "INVALID_AUDIO_CHANNEL_LAYOUT") {
    return verdict(AH_INVALID_INPUT, std::string(m), "the audio must be mono or stereo");
  }
  // UNKNOWN and anything new: a fresh container may well succeed.
  return verdict(AH_RETRY_LATER, m.empty() ? "UNKNOWN" : autohost::cut_text(m, 128),
                 "Meta could not process the media for an unknown reason; a new attempt creates "
                 "a new container",
                 60);
}

} // namespace threads::graph
