// The Graph API error catalogue: every envelope shape, every known code and subcode, and
// every container error message maps to the documented status and useful advice.
#define BOOST_TEST_MODULE graph_error
#include <boost/test/unit_test.hpp>

#include "graph/graph_error.hpp"

#include <autohost/cut_text.hpp>

#include <boost/json.hpp>

using namespace threads::graph;
namespace json = boost::json;

namespace {

GraphError graph(long long code, std::optional<long long> subcode = std::nullopt, int http = 400,
                 std::optional<bool> transient = std::nullopt) {
  GraphError e;
  e.http_status = http;
  e.code = code;
  e.subcode = subcode;
  e.is_transient = transient;
  e.message = "server says no";
  return e;
}

ah_status status_of(const GraphError &e, Operation op = Operation::read) {
  return classify(e, op).status;
}

} // namespace

BOOST_AUTO_TEST_CASE(parses_the_graph_envelope) {
  const auto e = parse_error(400, R"({"error":{"message":"The requested resource does not exist",
    "type":"OAuthException","code":24,"error_subcode":4279009,"is_transient":false,
    "error_user_title":"Media Not Found","error_user_msg":"The media with id 1 cannot be found.",
    "fbtrace_id":"AbCdEf"}})");
  BOOST_REQUIRE(e);
  BOOST_TEST(*e->code == 24);
  BOOST_TEST(*e->subcode == 4279009);
  BOOST_TEST(e->type == "OAuthException");
  BOOST_TEST(e->user_title == "Media Not Found");
  BOOST_TEST(e->fbtrace_id == "AbCdEf");
  BOOST_TEST(*e->is_transient == false);
}

BOOST_AUTO_TEST_CASE(parses_both_oauth_shapes) {
  const auto exchange = parse_error(400, R"({"error_type":"OAuthException","code":400,
    "error_message":"Matching code was not found or was already used"})");
  BOOST_REQUIRE(exchange);
  BOOST_TEST(*exchange->code == 400);
  BOOST_TEST(exchange->type == "OAuthException");
  BOOST_TEST(exchange->message == "Matching code was not found or was already used");
  BOOST_TEST(status_of(*exchange, Operation::token) == AH_INVALID_INPUT);
  BOOST_TEST(classify(*exchange, Operation::token).advice.find("single-use") != std::string::npos);

  const auto window = parse_error(400, R"({"error_message":"No application data was given ...",
    "error_code":1349026})");
  BOOST_REQUIRE(window);
  BOOST_TEST(*window->code == 1349026);
}

BOOST_AUTO_TEST_CASE(non_json_and_success_bodies) {
  BOOST_TEST(!parse_error(200, R"({"id":"1"})").has_value());
  BOOST_TEST(!parse_error(200, "not json").has_value());
  const auto html = parse_error(502, "<html>Bad Gateway</html>");
  BOOST_REQUIRE(html);
  BOOST_TEST(!html->code.has_value());
  BOOST_TEST(status_of(*html) == AH_RETRY_LATER);
  const auto codes_as_strings =
      parse_error(400, R"({"error":{"code":"190","error_subcode":"463"}})");
  BOOST_TEST(*codes_as_strings->code == 190);
  BOOST_TEST(classify(*codes_as_strings, Operation::read).code == "token_expired");
}

BOOST_AUTO_TEST_CASE(token_codes_require_reauthorisation_with_subcode_advice) {
  const std::vector<std::pair<long long, std::string>> subcodes = {
      {458, "app_removed"},   {459, "user_checkpointed"}, {460, "password_changed"},
      {463, "token_expired"}, {464, "user_unconfirmed"},  {467, "token_invalid"},
      {0, "token_invalid"}};
  for (long long code : {190LL, 102LL}) {
    for (const auto &[sub, name] : subcodes) {
      const auto v =
          classify(graph(code, sub == 0 ? std::nullopt : std::optional(sub)), Operation::read);
      BOOST_TEST(v.status == AH_AUTH_REQUIRED);
      BOOST_TEST(v.code == name);
      BOOST_TEST(!v.advice.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(rate_limits_and_transient_failures_are_retryable) {
  for (long long code : {4LL, 17LL, 32LL, 613LL, 341LL, 368LL}) {
    const auto v = classify(graph(code), Operation::read);
    BOOST_TEST(v.status == AH_RATE_LIMITED, code);
    BOOST_TEST(v.retry_after_s.has_value());
  }
  for (long long code : {1LL, 2LL})
    BOOST_TEST(status_of(graph(code)) == AH_RETRY_LATER);
  // Throttling stays rate_limited even when flagged transient (Graph sends 4 with it).
  BOOST_TEST(status_of(graph(4, std::nullopt, 429, true)) == AH_RATE_LIMITED);
  // is_transient wins over a code that would otherwise be permanent.
  BOOST_TEST(status_of(graph(100, std::nullopt, 500, true)) == AH_RETRY_LATER);
}

BOOST_AUTO_TEST_CASE(permissions_and_bad_requests_are_permanent) {
  BOOST_TEST(status_of(graph(10)) == AH_AUTH_REQUIRED);
  BOOST_TEST(status_of(graph(3)) == AH_AUTH_REQUIRED);
  for (long long code = 200; code <= 299; code += 33) {
    BOOST_TEST(status_of(graph(code)) == AH_AUTH_REQUIRED, code);
  }
  BOOST_TEST(status_of(graph(100)) == AH_INVALID_INPUT);
  BOOST_TEST(status_of(graph(100, 33)) == AH_NOT_FOUND);
  BOOST_TEST(status_of(graph(506)) == AH_INVALID_INPUT);
  BOOST_TEST(classify(graph(506), Operation::create_container).code == "duplicate_post");
  BOOST_TEST(status_of(graph(1609005)) == AH_INVALID_INPUT);
}

BOOST_AUTO_TEST_CASE(not_ready_only_means_not_ready_when_publishing) {
  BOOST_TEST(status_of(graph(24, 4279009), Operation::publish) == AH_RETRY_LATER);
  BOOST_TEST(classify(graph(24, 4279009), Operation::publish).code == "container_not_ready");
  BOOST_TEST(status_of(graph(24, 4279009), Operation::read) == AH_NOT_FOUND);
}

BOOST_AUTO_TEST_CASE(wrong_app_pair_says_use_the_threads_credentials) {
  for (long long code : {1349026LL, 4476002LL}) {
    const auto v = classify(graph(code), Operation::token);
    BOOST_TEST(v.status == AH_INVALID_INPUT);
    BOOST_TEST(v.advice.find("Threads app id and secret, not the Facebook ones") !=
               std::string::npos);
  }
  BOOST_TEST(status_of(graph(1349245), Operation::token) == AH_AUTH_REQUIRED);
}

BOOST_AUTO_TEST_CASE(a_refused_app_secret_points_at_the_credentials_too) {
  // Code 101 from th_exchange_token; the OAuth shape (code 400) at code exchange.
  const auto long_lived = classify(graph(101), Operation::token);
  BOOST_TEST(long_lived.code == "app_secret_rejected");
  BOOST_TEST(long_lived.advice.find("not the Facebook ones") != std::string::npos);
  auto parsed = parse_error(
      400,
      R"({"error_type":"OAuthException","code":400,"error_message":"Error validating client secret."})");
  BOOST_REQUIRE(parsed.has_value());
  const auto exchange = classify(*parsed, Operation::token);
  BOOST_TEST(exchange.status == AH_INVALID_INPUT);
  BOOST_TEST(exchange.code == "app_secret_rejected");
}

BOOST_AUTO_TEST_CASE(http_status_is_the_fallback) {
  auto bare = [](int http) {
    GraphError e;
    e.http_status = http;
    return classify(e, Operation::read).status;
  };
  BOOST_TEST(bare(401) == AH_AUTH_REQUIRED);
  BOOST_TEST(bare(403) == AH_AUTH_REQUIRED);
  BOOST_TEST(bare(404) == AH_NOT_FOUND);
  BOOST_TEST(bare(429) == AH_RATE_LIMITED);
  BOOST_TEST(bare(500) == AH_RETRY_LATER);
  BOOST_TEST(bare(503) == AH_RETRY_LATER);
  BOOST_TEST(bare(422) == AH_INVALID_INPUT);
}

BOOST_AUTO_TEST_CASE(link_limit_is_named) {
  GraphError e = graph(-1);
  e.code.reset();
  e.message = "THREADS_API__LINK_LIMIT_EXCEEDED";
  BOOST_TEST(classify(e, Operation::create_container).code == "too_many_links");
}

BOOST_AUTO_TEST_CASE(container_error_messages) {
  for (const char *m :
       {"FAILED_DOWNLOADING_VIDEO", "FAILED_PROCESSING_AUDIO", "FAILED_PROCESSING_VIDEO",
        "INVALID_ASPEC_RATIO", "INVALID_BIT_RATE", "INVALID_DURATION", "INVALID_FRAME_RATE",
        "INVALID_AUDIO_CHANNELS", "INVALID_AUDIO_CHANNEL_LAYOUT"}) {
    const auto v = classify_container_error(m);
    BOOST_TEST(v.status == AH_INVALID_INPUT, m);
    BOOST_TEST(!v.advice.empty());
  }
  BOOST_TEST(classify_container_error("INVALID_ASPEC_RATIO").code == "INVALID_ASPECT_RATIO");
  BOOST_TEST(classify_container_error("UNKNOWN").status == AH_RETRY_LATER);
  BOOST_TEST(classify_container_error("SOMETHING_NEW").status == AH_RETRY_LATER);
}

BOOST_AUTO_TEST_CASE(error_body_carries_the_details_for_support) {
  const auto e = *parse_error(400, R"({"error":{"message":"Invalid OAuth access token.",
    "type":"OAuthException","code":190,"error_subcode":467,"fbtrace_id":"Trace1"}})");
  const json::object body = json::parse(error_body(e, classify(e, Operation::read))).as_object();
  BOOST_TEST(body.at("code").as_string() == "token_invalid");
  BOOST_TEST(body.at("threads_code").as_int64() == 190);
  BOOST_TEST(body.at("threads_subcode").as_int64() == 467);
  BOOST_TEST(body.at("fbtrace_id").as_string() == "Trace1");
  BOOST_TEST(body.at("http_status").as_int64() == 400);
  const std::string message(body.at("message").as_string());
  BOOST_TEST(message.find("Invalid OAuth access token.") != std::string::npos);
  BOOST_TEST(message.find("re-authorise") != std::string::npos);
}

// A hostile server's 7 MB message never reaches the error body whole: each server text is
// cut to 4 KiB before a UTF-8 character (never inside one) and marked with its size.
BOOST_AUTO_TEST_CASE(huge_server_texts_are_cut_at_a_character_boundary) {
  std::string huge;
  for (int i = 0; i < 1000000; ++i)
    huge += "\xe2\x82\xac"; // U+20AC, three bytes
  const std::string marker = " ... [cut, 3000000 bytes]";
  const auto e = parse_error(
      500, json::serialize(json::object{
               {"error", json::object{{"message", huge}, {"code", 1}, {"fbtrace_id", huge}}}}));
  BOOST_REQUIRE(e);
  for (const std::string *text : {&e->message, &e->fbtrace_id}) {
    BOOST_TEST(text->size() <= autohost::max_error_text_bytes + marker.size());
    BOOST_REQUIRE(text->size() > marker.size());
    BOOST_TEST(text->substr(text->size() - marker.size()) == marker);
    const std::string kept = text->substr(0, text->size() - marker.size());
    BOOST_TEST(kept.size() % 3 == 0);
    BOOST_TEST(kept == huge.substr(0, kept.size()));
  }
  const std::string body = error_body(*e, classify(*e, Operation::read));
  BOOST_TEST(body.size() < 3 * autohost::max_error_text_bytes);
  BOOST_TEST(json::parse(body).is_object());

  // Short texts are untouched, and a container error's status is cut to a short code.
  BOOST_TEST(autohost::cut_text("short") == "short");
  BOOST_TEST(classify_container_error(huge).code.size() < 200);
}
