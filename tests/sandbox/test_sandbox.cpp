// The sandbox's own test: starts threads-sandbox and checks its main flows over real TLS.
#define BOOST_TEST_MODULE threads_sandbox
#include <boost/test/unit_test.hpp>

#include "test_support.hpp"

#include <boost/json.hpp>
#include <boost/json/src.hpp> // compiled into the test once; no Boost.JSON library is linked

#include <csignal>
#include <filesystem>
#include <set>

using namespace sandbox_test;
namespace json = boost::json;

namespace {

const std::string app_id = "1000000000000001";
const std::string app_secret = "sandbox-app-secret";
const std::string redirect_uri = "https://client.example/callback";

std::int64_t error_code(const HttpResult &r) {
  return r.json().at("error").at("code").to_number<std::int64_t>();
}

std::int64_t error_subcode(const HttpResult &r) {
  const json::value doc = r.json();
  const auto &error = doc.at("error").as_object();
  return error.contains("error_subcode") ? error.at("error_subcode").to_number<std::int64_t>() : 0;
}

std::string str(const json::value &v) { return std::string(v.as_string()); }

// GET /oauth/authorize and the code from the 302 Location (without its "#_").
std::string authorize(const SandboxProcess &sb, const std::string &extra = "") {
  const HttpResult r = get(sb, "/oauth/authorize?client_id=" + app_id +
                                   "&redirect_uri=" + redirect_uri + "&response_type=code" + extra);
  BOOST_TEST_REQUIRE(r.status == 302);
  const std::string location = r.headers.at("location");
  const auto start = location.find("code=") + 5;
  return location.substr(start, location.find_first_of("&#", start) - start);
}

HttpResult exchange_code_multipart(const SandboxProcess &sb, const std::string &code,
                                   const std::string &secret = app_secret) {
  return curl(sb, {"-X", "POST", "-F", "client_id=" + app_id, "-F", "client_secret=" + secret, "-F",
                   "grant_type=authorization_code", "-F", "redirect_uri=" + redirect_uri, "-F",
                   "code=" + code, sb.base_url + "/oauth/access_token"});
}

std::string create_text(const SandboxProcess &sb, const std::string &token,
                        const std::string &text) {
  const HttpResult r =
      post_form(sb, "/v1.0/me/threads", {{"media_type", "TEXT"}, {"text", text}}, token);
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  return str(r.json().at("id"));
}

std::string publish_text(const SandboxProcess &sb, const std::string &token,
                         const std::string &text) {
  const HttpResult r =
      post_form(sb, "/v1.0/me/threads",
                {{"media_type", "TEXT"}, {"text", text}, {"auto_publish_text", "true"}}, token);
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  return str(r.json().at("id"));
}

HttpResult publish(const SandboxProcess &sb, const std::string &token,
                   const std::string &creation_id) {
  return post_form(sb, "/v1.0/me/threads_publish", {{"creation_id", creation_id}}, token);
}

std::string status_of(const SandboxProcess &sb, const std::string &token, const std::string &id) {
  const HttpResult r = get(sb, "/v1.0/" + id + "?fields=status,error_message", token);
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  return str(r.json().at("status"));
}

std::size_t post_count(const SandboxProcess &sb) {
  return control(sb, "GET", "/__sandbox/posts").json().at("posts").as_array().size();
}

json::object token_check(const SandboxProcess &sb, const std::string &token) {
  return get(sb, "/__sandbox/tokens/check?access_token=" + token).json().as_object();
}

} // namespace

BOOST_AUTO_TEST_CASE(ready_line_tls_and_keep_alive) {
  SandboxProcess sb;
  const auto ready = json::parse(sb.ready_line).as_object();
  BOOST_TEST(ready.size() == 3U);
  BOOST_TEST(sb.port > 0);
  BOOST_TEST(sb.base_url == "https://127.0.0.1:" + std::to_string(sb.port));
  BOOST_TEST(std::filesystem::exists(sb.ca_file));
  BOOST_TEST(sb.ca_file == (std::filesystem::path(sb.state_dir) / "ca.pem").string());

  BOOST_TEST(get(sb, "/__sandbox/health").status == 200);
  const HttpResult by_name =
      curl(sb, {"https://localhost:" + std::to_string(sb.port) + "/__sandbox/health"});
  BOOST_TEST(by_name.status == 200);

  // Without the test CA (system store only) the certificate cannot be verified: curl exit 60.
  const ProcessResult untrusted =
      run_process({"curl", "-sS", "--max-time", "10", sb.base_url + "/__sandbox/health"});
  BOOST_TEST(untrusted.exit_status == 60);
  // TLS 1.1 and older are refused.
  BOOST_TEST(
      curl(sb, {"--tlsv1", "--tls-max", "1.1", sb.base_url + "/__sandbox/health"}).curl_exit != 0);
  BOOST_TEST(
      curl(sb, {"--tlsv1.2", "--tls-max", "1.2", sb.base_url + "/__sandbox/health"}).status == 200);

  // Two requests in one curl run share one kept-alive connection.
  const ProcessResult twice = run_process(
      {"curl", "-sS", "--cacert", sb.ca_file, "-o", "/dev/null", "-o", "/dev/null", "-w",
       "%{num_connects}\\n", sb.base_url + "/__sandbox/health", sb.base_url + "/__sandbox/health"});
  BOOST_TEST(twice.exit_status == 0);
  BOOST_TEST(twice.out == "1\n0\n");

  BOOST_TEST(sb.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(wrong_server_name_fails_host_name_verification) {
  SandboxProcess sb({"--server-name", "wrong.example"});
  const std::string port = std::to_string(sb.port);
  BOOST_TEST(curl(sb, {sb.base_url + "/__sandbox/health"}).curl_exit == 60);
  BOOST_TEST(curl(sb, {"https://localhost:" + port + "/__sandbox/health"}).curl_exit == 60);
  const HttpResult named = curl(sb, {"--resolve", "wrong.example:" + port + ":127.0.0.1",
                                     "https://wrong.example:" + port + "/__sandbox/health"});
  BOOST_TEST(named.status == 200);
  BOOST_TEST(sb.stop(SIGINT) == 0);
}

BOOST_AUTO_TEST_CASE(bad_arguments_exit_2_naming_the_argument) {
  const char *exe = std::getenv("THREADS_SANDBOX");
  BOOST_TEST_REQUIRE(exe != nullptr);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{exe, "--bogus"}, "unknown argument '--bogus'"},
      {{exe, "--listen", "127.0.0.1:0"}, "--state-dir DIR is required"},
      {{exe, "--state-dir", "/tmp", "--listen", "nonsense"}, "--listen expects HOST:PORT"},
      {{exe, "--state-dir", "/tmp", "--app", "abc"}, "--app expects ID:SECRET"},
      {{exe, "--state-dir", "/tmp", "--listen", "127.0.0.1:99999"}, "not a port number"},
  };
  for (const auto &[argv, message] : cases) {
    const ProcessResult run = run_process(argv);
    BOOST_TEST(run.exit_status == 2, argv.back());
    BOOST_TEST(run.err.find(message) != std::string::npos, run.err);
    BOOST_TEST(run.out.empty());
  }
}

BOOST_AUTO_TEST_CASE(code_exchange_and_refresh_rules) {
  SandboxProcess sb;
  // The authorize redirect: ?code=...&state=...#_
  const HttpResult window =
      get(sb, "/oauth/authorize?client_id=" + app_id + "&redirect_uri=" + redirect_uri +
                  "&response_type=code&scope=threads_basic,threads_content_publish&state=csrf42");
  BOOST_TEST_REQUIRE(window.status == 302);
  const std::string location = window.headers.at("location");
  BOOST_TEST(location.rfind(redirect_uri + "?code=", 0) == 0, location);
  BOOST_TEST(location.find("&state=csrf42#_") != std::string::npos, location);
  const std::string code = authorize(sb, "&state=s");

  // Multipart exchange; user_id is a bare 17-digit number, written exactly.
  const HttpResult exchanged = exchange_code_multipart(sb, code);
  BOOST_TEST_REQUIRE(exchanged.status == 200, exchanged.body);
  BOOST_TEST(exchanged.body.find("\"user_id\":17841400000000001") != std::string::npos,
             exchanged.body);
  const std::string short_token = str(exchanged.json().at("access_token"));
  BOOST_TEST(short_token.rfind("TH", 0) == 0);
  BOOST_TEST(short_token.size() >= 40U);

  // Codes are single-use; the error has the non-standard shape.
  const HttpResult reused = exchange_code_multipart(sb, code);
  BOOST_TEST(reused.status == 400);
  BOOST_TEST(str(reused.json().at("error_message")) ==
             "Matching code was not found or was already used");
  BOOST_TEST(str(reused.json().at("error_type")) == "OAuthException");
  // Wrong secret, and the wrong (Meta) app id.
  BOOST_TEST(exchange_code_multipart(sb, authorize(sb), "wrong").json().at("error_message") ==
             "Error validating client secret.");
  const HttpResult wrong_app =
      curl(sb, {"-X", "POST", "-d", "client_id=999", "-d", "client_secret=x", "-d",
                "grant_type=authorization_code", "-d", "redirect_uri=" + redirect_uri, "-d",
                "code=" + authorize(sb), sb.base_url + "/oauth/access_token"});
  BOOST_TEST(wrong_app.json().at("error_code").to_number<std::int64_t>() == 1349026);
  // Form-urlencoded body and query string on a POST work too.
  BOOST_TEST(post_form(sb, "/oauth/access_token",
                       {{"client_id", app_id},
                        {"client_secret", app_secret},
                        {"grant_type", "authorization_code"},
                        {"redirect_uri", redirect_uri},
                        {"code", authorize(sb)}})
                 .status == 200);
  BOOST_TEST(curl(sb, {"-X", "POST",
                       sb.base_url + "/oauth/access_token?client_id=" + app_id + "&client_secret=" +
                           app_secret + "&grant_type=authorization_code&redirect_uri=" +
                           redirect_uri + "&code=" + authorize(sb)})
                 .status == 200);

  // Short -> long: 60 days.
  const HttpResult long_answer =
      get(sb, "/access_token?grant_type=th_exchange_token&client_secret=" + app_secret +
                  "&access_token=" + short_token);
  BOOST_TEST_REQUIRE(long_answer.status == 200, long_answer.body);
  BOOST_TEST(long_answer.json().at("expires_in").to_number<std::int64_t>() == 5184000);
  const std::string long_token = str(long_answer.json().at("access_token"));

  const auto refresh = [&](const std::string &token) {
    return get(sb, "/refresh_access_token?grant_type=th_refresh_token&access_token=" + token);
  };
  // 0 h: too young (400, code 190, no subcode).
  const HttpResult young = refresh(long_token);
  BOOST_TEST(young.status == 400);
  BOOST_TEST(error_code(young) == 190);
  BOOST_TEST(error_subcode(young) == 0);

  // The short token dies after an hour.
  advance_clock(sb, 25 * 3600);
  const HttpResult dead_short = get(sb, "/v1.0/me", short_token);
  BOOST_TEST(dead_short.status == 401);
  BOOST_TEST(error_code(dead_short) == 190);
  BOOST_TEST(error_subcode(dead_short) == 463);

  // 25 h: refresh gives a new string for another 60 days; the old one still works.
  const HttpResult refreshed = refresh(long_token);
  BOOST_TEST_REQUIRE(refreshed.status == 200, refreshed.body);
  const std::string new_token = str(refreshed.json().at("access_token"));
  BOOST_TEST(new_token != long_token);
  BOOST_TEST(refreshed.json().at("expires_in").to_number<std::int64_t>() == 5184000);
  BOOST_TEST(token_check(sb, long_token).at("valid").as_bool());
  BOOST_TEST(get(sb, "/v1.0/me", long_token).status == 200);

  // 61 days later both are expired, and an expired token cannot be refreshed.
  advance_clock(sb, 61 * 86400);
  const HttpResult expired = refresh(new_token);
  BOOST_TEST(expired.status == 401);
  BOOST_TEST(error_code(expired) == 190);
  BOOST_TEST(error_subcode(expired) == 463);
  BOOST_TEST(!token_check(sb, new_token).at("valid").as_bool());
  BOOST_TEST(str(token_check(sb, new_token).at("reason")) == "expired");

  // With revoke_on_refresh the old token dies at refresh.
  BOOST_TEST(control(sb, "POST", "/__sandbox/config", R"({"revoke_on_refresh":true})").status ==
             200);
  const std::string aged = issue_token(sb, R"({"kind":"long","age_s":90000})");
  BOOST_TEST_REQUIRE(refresh(aged).status == 200);
  BOOST_TEST(str(token_check(sb, aged).at("reason")) == "revoked");
  BOOST_TEST(get(sb, "/v1.0/me", aged).status == 401);
}

BOOST_AUTO_TEST_CASE(tokens_scopes_and_unknown_objects) {
  SandboxProcess sb;
  const std::string token = issue_token(sb);
  BOOST_TEST(get(sb, "/v1.0/me?fields=id,username", token).json().at("id") == "17841400000000001");
  BOOST_TEST(get(sb, "/v1.0/me?access_token=" + token).status == 200);
  BOOST_TEST(get(sb, "/v1.0/me").status == 401);

  const std::string basic_only = issue_token(sb, R"({"scopes":["threads_basic"]})");
  const HttpResult denied =
      post_form(sb, "/v1.0/me/threads", {{"media_type", "TEXT"}, {"text", "hi"}}, basic_only);
  BOOST_TEST(denied.status == 403);
  BOOST_TEST(error_code(denied) == 10);

  const HttpResult unknown = get(sb, "/v1.0/17899999999999999?fields=id", token);
  BOOST_TEST(unknown.status == 400);
  BOOST_TEST(error_code(unknown) == 100);
  BOOST_TEST(error_subcode(unknown) == 33);
  BOOST_TEST(error_code(get(sb, "/v1.0/me?fields=nonsense", token)) == 100);
}

BOOST_AUTO_TEST_CASE(container_lifecycle) {
  SandboxProcess sb;
  const std::string token = issue_token(sb);
  const std::string container = create_text(sb, token, "Hello from the sandbox");
  BOOST_TEST(status_of(sb, token, container) == "IN_PROGRESS");

  const HttpResult early = publish(sb, token, container);
  BOOST_TEST(early.status == 400);
  BOOST_TEST(error_code(early) == 24);
  BOOST_TEST(error_subcode(early) == 4279009);

  advance_clock(sb, 2);
  BOOST_TEST(status_of(sb, token, container) == "FINISHED");
  const HttpResult published = publish(sb, token, container);
  BOOST_TEST_REQUIRE(published.status == 200, published.body);
  const std::string media_id = str(published.json().at("id"));
  BOOST_TEST(status_of(sb, token, container) == "PUBLISHED");

  // A second publish of the same container creates nothing.
  const HttpResult again = publish(sb, token, container);
  BOOST_TEST(again.status == 400);
  BOOST_TEST(error_subcode(again) == 4279009);
  BOOST_TEST(post_count(sb) == 1U);
  BOOST_TEST(control(sb, "GET", "/__sandbox/stats").json().at("publishes").at("total") == 1);

  const json::value media =
      get(sb, "/v1.0/" + media_id + "?fields=id,media_type,text,timestamp,permalink,shortcode",
          token)
          .json();
  BOOST_TEST(str(media.at("media_type")) == "TEXT_POST");
  BOOST_TEST(str(media.at("timestamp")).substr(19) == "+0000");

  // Containers expire after 24 h.
  const std::string stale = create_text(sb, token, "too late");
  advance_clock(sb, 25 * 3600);
  BOOST_TEST(status_of(sb, token, stale) == "EXPIRED");
  BOOST_TEST(error_subcode(publish(sb, token, stale)) == 4279009);

  // Injected processing failure.
  add_fault(
      sb,
      R"({"group":"create","mode":"container_error","error_message":"FAILED_DOWNLOADING_VIDEO"})");
  const HttpResult video =
      post_form(sb, "/v1.0/me/threads",
                {{"media_type", "VIDEO"}, {"video_url", "https://media.example/v.mp4"}}, token);
  const std::string video_id = str(video.json().at("id"));
  BOOST_TEST(status_of(sb, token, video_id) == "IN_PROGRESS");
  advance_clock(sb, 11);
  const json::value failed =
      get(sb, "/v1.0/" + video_id + "?fields=status,error_message", token).json();
  BOOST_TEST(str(failed.at("status")) == "ERROR");
  BOOST_TEST(str(failed.at("error_message")) == "FAILED_DOWNLOADING_VIDEO");

  // Validation as the real API does it.
  const HttpResult too_long = post_form(
      sb, "/v1.0/me/threads", {{"media_type", "TEXT"}, {"text", std::string(501, 'a')}}, token);
  BOOST_TEST(too_long.status == 400);
  BOOST_TEST(error_code(too_long) == 100);
  std::string emoji_text;
  for (int i = 0; i < 500; ++i) {
    emoji_text += "\xF0\x9F\x98\x80"; // 500 emoji, 2000 bytes
  }
  BOOST_TEST(
      post_form(sb, "/v1.0/me/threads", {{"media_type", "TEXT"}, {"text", emoji_text}}, token)
          .status == 200);
  std::string links;
  for (int i = 0; i < 6; ++i) {
    links += " https://site" + std::to_string(i) + ".example/";
  }
  const HttpResult too_many_links =
      post_form(sb, "/v1.0/me/threads", {{"media_type", "TEXT"}, {"text", links}}, token);
  BOOST_TEST(too_many_links.status == 400);
  BOOST_TEST(str(too_many_links.json().at("error").at("message")).find("LINK_LIMIT_EXCEEDED") !=
             std::string::npos);

  // A mixed carousel: 2 children, published as one album.
  std::vector<std::string> children;
  for (const auto &[type, key] :
       {std::pair{"IMAGE", "image_url"}, std::pair{"VIDEO", "video_url"}}) {
    const HttpResult child = post_form(
        sb, "/v1.0/me/threads",
        {{"media_type", type}, {key, "https://media.example/x"}, {"is_carousel_item", "true"}},
        token);
    BOOST_TEST_REQUIRE(child.status == 200, child.body);
    children.push_back(str(child.json().at("id")));
  }
  BOOST_TEST(post_form(sb, "/v1.0/me/threads",
                       {{"media_type", "CAROUSEL"}, {"children", children[0]}}, token)
                 .status == 400);
  const auto make_carousel = [&] {
    return post_form(sb, "/v1.0/me/threads",
                     {{"media_type", "CAROUSEL"},
                      {"children", children[0] + "," + children[1]},
                      {"text", "album"}},
                     token);
  };
  // Items still processing: refused, as Threads refuses them (4279004), naming the item.
  advance_clock(sb, 5); // the image is FINISHED, the video (10 s) is not
  const HttpResult early_carousel = make_carousel();
  BOOST_TEST(early_carousel.status == 400);
  BOOST_TEST(error_subcode(early_carousel) == 4279004);
  BOOST_TEST(early_carousel.body.find(children[1] + " is IN_PROGRESS") != std::string::npos,
             early_carousel.body);
  advance_clock(sb, 5);
  const HttpResult carousel = make_carousel();
  BOOST_TEST_REQUIRE(carousel.status == 200, carousel.body);
  const std::string carousel_id = str(carousel.json().at("id"));
  BOOST_TEST(status_of(sb, token, carousel_id) == "FINISHED");
  const HttpResult album = publish(sb, token, carousel_id);
  BOOST_TEST_REQUIRE(album.status == 200, album.body);
  const json::value album_media =
      get(sb, "/v1.0/" + str(album.json().at("id")) + "?fields=media_type,children{id,media_type}",
          token)
          .json();
  BOOST_TEST(str(album_media.at("media_type")) == "CAROUSEL_ALBUM");
  BOOST_TEST(album_media.at("children").at("data").as_array().size() == 2U);
  BOOST_TEST(post_count(sb) == 2U);
}

// A FINISHED container that Threads still will not publish for a while (publish_not_ready_s),
// and spoiler ranges counted in UTF-16 code units.
BOOST_AUTO_TEST_CASE(publish_not_ready_window_and_spoiler_units) {
  SandboxProcess sb;
  const std::string token = issue_token(sb);
  BOOST_TEST(control(sb, "POST", "/__sandbox/config", R"({"publish_not_ready_s":-1})").status ==
             400);
  BOOST_TEST_REQUIRE(
      control(sb, "POST", "/__sandbox/config", R"({"publish_not_ready_s":20})").status == 200);
  const std::string container = create_text(sb, token, "wait for it");
  advance_clock(sb, 2);
  BOOST_TEST(status_of(sb, token, container) == "FINISHED");
  BOOST_TEST(error_subcode(publish(sb, token, container)) == 4279009);
  advance_clock(sb, 18);
  BOOST_TEST(publish(sb, token, container).status == 200);

  // "Spoiler: " is 9 units; each of the two emoji is a surrogate pair (2 units); "cafe" and
  // a combining acute accent are 5 units, one user-perceived character fewer.
  const std::string text = "Spoiler: \xF0\x9F\x98\x80\xF0\x9F\x98\x80 cafe\xCC\x81";
  const auto spoiler = [&](int offset, int length) {
    return post_form(
        sb, "/v1.0/me/threads",
        {{"media_type", "TEXT"},
         {"text", text},
         {"text_entities", R"([{"entity_type":"SPOILER","offset":)" + std::to_string(offset) +
                               R"(,"length":)" + std::to_string(length) + "}]"}},
        token);
  };
  BOOST_TEST(spoiler(9, 4).status == 200);  // both emoji
  BOOST_TEST(spoiler(14, 5).status == 200); // "cafe" and its accent, to the end
  const HttpResult split = spoiler(10, 2);  // starts inside the first emoji
  BOOST_TEST(split.status == 400);
  BOOST_TEST(split.body.find("splits a character") != std::string::npos, split.body);
  BOOST_TEST(spoiler(14, 6).status == 400); // one unit past the end
}

BOOST_AUTO_TEST_CASE(paging_next_urls_work_verbatim) {
  SandboxProcess sb;
  const std::string token = issue_token(sb);
  std::set<std::string> published;
  for (int i = 0; i < 5; ++i) {
    published.insert(publish_text(sb, token, "post " + std::to_string(i)));
    advance_clock(sb, 1);
  }
  std::set<std::string> seen;
  std::string url =
      sb.base_url + "/v1.0/me/threads?fields=id,text,timestamp&limit=2&access_token=" + token;
  std::vector<std::size_t> page_sizes;
  std::string second_page_previous;
  while (!url.empty()) {
    const HttpResult page = curl(sb, {url});
    BOOST_TEST_REQUIRE(page.status == 200, page.body);
    const json::value doc = page.json();
    const auto &body = doc.as_object();
    const auto &data = body.at("data").as_array();
    page_sizes.push_back(data.size());
    for (const auto &item : data) {
      seen.insert(str(item.at("id")));
    }
    const auto *paging = body.if_contains("paging");
    const bool has_next = paging != nullptr && paging->as_object().contains("next");
    if (page_sizes.size() == 2) {
      second_page_previous = str(paging->at("previous"));
    }
    url = has_next ? str(paging->at("next")) : "";
  }
  BOOST_TEST(page_sizes == (std::vector<std::size_t>{2, 2, 1}), boost::test_tools::per_element());
  BOOST_TEST(seen == published);
  const HttpResult back = curl(sb, {second_page_previous});
  BOOST_TEST(back.json().at("data").as_array().size() == 2U);
  BOOST_TEST(str(back.json().at("data").at(0).at("text")) == "post 4"); // newest first
}

BOOST_AUTO_TEST_CASE(fault_modes) {
  SandboxProcess sb;
  const std::string token = issue_token(sb);

  add_fault(sb, R"({"group":"read","mode":"http_500"})");
  const HttpResult e500 = get(sb, "/v1.0/me", token);
  BOOST_TEST(e500.status == 500);
  BOOST_TEST(e500.json().at("error").at("is_transient").as_bool());
  BOOST_TEST(get(sb, "/v1.0/me", token).status == 200); // count defaults to 1

  add_fault(sb, R"({"group":"any","mode":"http_503","count":2})");
  BOOST_TEST(get(sb, "/v1.0/me", token).status == 503);
  BOOST_TEST(get(sb, "/v1.0/me", token).status == 503);
  BOOST_TEST(get(sb, "/v1.0/me", token).status == 200);

  add_fault(sb, R"({"group":"read","mode":"http_429","retry_after_s":7})");
  const HttpResult e429 = get(sb, "/v1.0/me", token);
  BOOST_TEST(e429.status == 429);
  BOOST_TEST(e429.headers.at("retry-after") == "7");

  add_fault(sb, R"({"group":"read","mode":"reset"})");
  const HttpResult reset = get(sb, "/v1.0/me", token);
  BOOST_TEST(reset.curl_exit != 0);
  BOOST_TEST(reset.status == 0);

  add_fault(sb, R"({"group":"read","mode":"stall","stall_s":5})");
  const HttpResult stalled =
      curl(sb, {"--max-time", "1", sb.base_url + "/v1.0/me?access_token=" + token});
  BOOST_TEST(stalled.curl_exit == 28); // operation timed out

  add_fault(sb, R"({"group":"read","mode":"malformed_json"})");
  const HttpResult malformed = get(sb, "/v1.0/me", token);
  BOOST_TEST(malformed.status == 200);
  BOOST_CHECK_THROW(malformed.json(), std::exception);

  add_fault(sb, R"({"group":"read","mode":"truncated"})");
  BOOST_TEST(get(sb, "/v1.0/me", token).curl_exit == 18); // partial file

  add_fault(
      sb,
      R"({"group":"status","mode":"graph_error","code":2,"is_transient":true,"http_status":500,"message":"Service temporarily unavailable"})");
  const std::string container = create_text(sb, token, "faulty");
  const HttpResult graph = get(sb, "/v1.0/" + container + "?fields=status", token);
  BOOST_TEST(graph.status == 500);
  BOOST_TEST(error_code(graph) == 2);
  BOOST_TEST(graph.json().at("error").at("is_transient").as_bool());

  // The publish happens, the answer is a 500; a retry must not post twice.
  advance_clock(sb, 2);
  add_fault(sb, R"({"group":"publish","mode":"publish_succeeds_then_500"})");
  const HttpResult lost = publish(sb, token, container);
  BOOST_TEST(lost.status == 500);
  BOOST_TEST(post_count(sb) == 1U);
  BOOST_TEST(status_of(sb, token, container) == "PUBLISHED");
  BOOST_TEST(error_subcode(publish(sb, token, container)) == 4279009);
  BOOST_TEST(post_count(sb) == 1U);

  // Any mode can run the request first; here the connection is reset after publishing.
  const std::string second = create_text(sb, token, "reset after publish");
  advance_clock(sb, 2);
  add_fault(sb, R"({"group":"publish","mode":"reset","execute":true})");
  BOOST_TEST(publish(sb, token, second).curl_exit != 0);
  BOOST_TEST(post_count(sb) == 2U);

  add_fault(sb, R"({"group":"create","mode":"http_500","count":5})");
  BOOST_TEST(control(sb, "GET", "/__sandbox/faults").json().at("faults").as_array().size() == 1U);
  BOOST_TEST(control(sb, "DELETE", "/__sandbox/faults").status == 200);
  BOOST_TEST(
      post_form(sb, "/v1.0/me/threads", {{"media_type", "TEXT"}, {"text", "ok"}}, token).status ==
      200);
  BOOST_TEST(control(sb, "POST", "/__sandbox/faults", R"({"mode":"nonsense"})").status == 400);

  const json::value stats = control(sb, "GET", "/__sandbox/stats").json();
  BOOST_TEST(stats.at("publishes").at("total") == 2);
  BOOST_TEST(stats.at("publishes").at("by_user").at("17841400000000001") == 2);
  BOOST_TEST(stats.at("requests").at("publish").to_number<std::int64_t>() == 3);
}

BOOST_AUTO_TEST_CASE(quotas_in_a_rolling_day) {
  SandboxProcess sb;
  const std::string token = issue_token(sb);
  BOOST_TEST(control(sb, "POST", "/__sandbox/config", R"({"quota":{"posts":2}})").status == 200);
  publish_text(sb, token, "one");
  publish_text(sb, token, "two");
  const HttpResult over =
      post_form(sb, "/v1.0/me/threads",
                {{"media_type", "TEXT"}, {"text", "three"}, {"auto_publish_text", "true"}}, token);
  BOOST_TEST(over.status == 400);
  BOOST_TEST(error_code(over) == 17);
  const json::value limit =
      get(sb, "/v1.0/me/threads_publishing_limit?fields=quota_usage,config", token).json();
  BOOST_TEST(limit.at("data").at(0).at("quota_usage") == 2);
  BOOST_TEST(limit.at("data").at(0).at("config").at("quota_total") == 2);
  BOOST_TEST(limit.at("data").at(0).at("config").at("quota_duration") == 86400);
  advance_clock(sb, 86401);
  publish_text(sb, token, "three, a day later");
  BOOST_TEST(post_count(sb) == 3U);
}

BOOST_AUTO_TEST_CASE(reset_restores_the_start_state) {
  SandboxProcess sb;
  const std::string token = issue_token(sb);
  publish_text(sb, token, "before reset");
  const HttpResult user = control(sb, "POST", "/__sandbox/users", R"({"username":"alice"})");
  BOOST_TEST(user.status == 200);
  BOOST_TEST(control(sb, "POST", "/__sandbox/users", R"({"username":"alice"})").status == 409);
  BOOST_TEST(control(sb, "POST", "/__sandbox/reset").status == 200);
  BOOST_TEST(post_count(sb) == 0U);
  BOOST_TEST(get(sb, "/v1.0/me", token).status == 401);
  BOOST_TEST(control(sb, "GET", "/__sandbox/users").json().at("users").as_array().size() == 1U);
}

BOOST_AUTO_TEST_CASE(conversations_mentions_insights_search_delete_repost) {
  SandboxProcess sb;
  const std::string me = issue_token(sb);
  BOOST_TEST_REQUIRE(control(sb, "POST", "/__sandbox/users", R"({"username":"bob"})").status ==
                     200);
  const std::string bob = issue_token(sb, R"({"username":"bob"})");

  const std::string root = publish_text(sb, me, "hello @bob #sandbox");
  const auto reply = [&](const std::string &token, const std::string &to, const std::string &text) {
    const HttpResult r = post_form(sb, "/v1.0/me/threads",
                                   {{"media_type", "TEXT"},
                                    {"text", text},
                                    {"reply_to_id", to},
                                    {"auto_publish_text", "true"}},
                                   token);
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    return str(r.json().at("id"));
  };
  const std::string top = reply(bob, root, "top-level reply");
  advance_clock(sb, 1);
  const std::string nested = reply(me, top, "nested reply");

  BOOST_TEST(get(sb, "/v1.0/" + root + "/replies", me).json().at("data").as_array().size() == 1U);
  const json::value conversation =
      get(sb, "/v1.0/" + root + "/conversation?reverse=false&fields=id,root_post", me).json();
  BOOST_TEST(conversation.at("data").as_array().size() == 2U);
  BOOST_TEST(str(conversation.at("data").at(1).at("id")) == nested);

  BOOST_TEST(post_form(sb, "/v1.0/" + top + "/manage_reply", {{"hide", "true"}}, me).status == 200);
  BOOST_TEST(str(get(sb, "/v1.0/" + top + "?fields=hide_status", me).json().at("hide_status")) ==
             "HIDDEN");
  BOOST_TEST(str(get(sb, "/v1.0/me/mentions", bob).json().at("data").at(0).at("id")) == root);

  BOOST_TEST(
      control(sb, "POST", "/__sandbox/posts/" + root + "/metrics", R"({"likes":4})").status == 200);
  const json::value insights =
      get(sb, "/v1.0/" + root + "/insights?metric=likes,replies", me).json();
  BOOST_TEST(insights.at("data").at(0).at("values").at(0).at("value") == 4);
  BOOST_TEST(insights.at("data").at(1).at("values").at(0).at("value") == 2);

  const json::value found =
      get(sb, "/v1.0/keyword_search?q=sandbox&search_mode=TAG&fields=id,topic_tag", me).json();
  BOOST_TEST(found.at("data").as_array().size() == 1U);

  const HttpResult repost = curl(sb, {"-X", "POST", "-H", "Authorization: Bearer " + bob,
                                      sb.base_url + "/v1.0/" + root + "/repost"});
  BOOST_TEST_REQUIRE(repost.status == 200, repost.body);
  BOOST_TEST(str(get(sb, "/v1.0/" + str(repost.json().at("id")) + "?fields=media_type", bob)
                     .json()
                     .at("media_type")) == "REPOST_FACADE");

  const HttpResult deleted = curl(
      sb, {"-X", "DELETE", "-H", "Authorization: Bearer " + me, sb.base_url + "/v1.0/" + root});
  BOOST_TEST(str(deleted.json().at("deleted_id")) == root);
  BOOST_TEST(error_subcode(get(sb, "/v1.0/" + root, me)) == 33);
  BOOST_TEST(
      control(sb, "GET", "/__sandbox/posts").json().at("posts").at(0).at("deleted").as_bool());
}

// The modes the exactly-once and refresh-race suites use: a server that deduplicates
// nothing for the client, an answer held back while the request has taken effect, and
// the expired-token error in its 401 and 400 forms.
BOOST_AUTO_TEST_CASE(no_server_dedup_delayed_answers_and_expired_token_faults) {
  SandboxProcess sb;
  const std::string token = issue_token(sb);
  const HttpResult set =
      control(sb, "POST", "/__sandbox/config", R"({"no_server_dedup":true,"container_life_s":30})");
  BOOST_TEST_REQUIRE(set.status == 200, set.body);
  BOOST_TEST(set.json().at("no_server_dedup").as_bool());
  BOOST_TEST(control(sb, "POST", "/__sandbox/config", R"({"container_life_s":0})").status == 400);

  const std::string container = create_text(sb, token, "said twice");
  advance_clock(sb, 2);
  BOOST_TEST_REQUIRE(publish(sb, token, container).status == 200);
  BOOST_TEST(status_of(sb, token, container) == "PUBLISHED");
  const HttpResult again = publish(sb, token, container);
  BOOST_TEST(again.status == 200, again.body);
  BOOST_TEST(post_count(sb) == 2U); // a second post, as a server without dedup would make
  advance_clock(sb, 30);
  BOOST_TEST(status_of(sb, token, container) == "EXPIRED");
  BOOST_TEST(error_subcode(publish(sb, token, container)) == 4279009);
  BOOST_TEST(post_count(sb) == 2U);

  // delay: the refresh happens at once (the old token is revoked), the answer comes later.
  control(sb, "POST", "/__sandbox/config", R"({"revoke_on_refresh":true})");
  const std::string old_token = issue_token(sb, R"({"age_s":90000})");
  add_fault(sb, R"({"group":"refresh","mode":"delay","stall_s":1})");
  const HttpResult refreshed =
      get(sb, "/refresh_access_token?grant_type=th_refresh_token&access_token=" + old_token, "");
  BOOST_TEST_REQUIRE(refreshed.status == 200, refreshed.body);
  BOOST_TEST(str(token_check(sb, old_token).at("reason")) == "revoked");
  BOOST_TEST(str(token_check(sb, str(refreshed.json().at("access_token"))).at("reason")) == "ok");

  for (const unsigned status : {401U, 400U}) {
    add_fault(sb, R"({"group":"read","mode":"expired_token","http_status":)" +
                      std::to_string(status) + "}");
    const HttpResult expired = get(sb, "/v1.0/me", token);
    BOOST_TEST(expired.status == status);
    BOOST_TEST(error_code(expired) == 190);
    BOOST_TEST(error_subcode(expired) == 463);
  }
  BOOST_TEST(control(sb, "POST", "/__sandbox/faults",
                     R"({"group":"read","mode":"expired_token","http_status":500})")
                 .status == 400);
}
