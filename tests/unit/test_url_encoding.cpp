// Request URLs and form bodies are encoded by hand for speed, with Boost.URL as the
// reference:
// - for what the plugin sends, the result matches what url::set_path and params().append
//   (which the plugin used before) give, byte for byte, except that '+' is encoded (servers
//   read a bare '+' in a query or form as a space) and so are '[' and ']' in keys (Boost.URL
//   1.81 leaves them, and its own parser then refuses the URL);
// - whatever the path and parameters, Boost.URL parses the result back to exactly them,
//   reading the query by the form rules, as servers do.
#define BOOST_TEST_MODULE url_encoding
#include <boost/test/unit_test.hpp>

#include "graph/graph_client.hpp"
#include "graph/url_encoding.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <random>
#include <string>

using namespace threads;
using namespace threads::graph;
namespace urls = boost::urls;

namespace {

// What the plugin built before: the origin, the path set on it, the parameters appended.
std::string reference_url(std::string_view origin, const std::string &path, const Params &params) {
  urls::url u(origin);
  u.set_path(path);
  for (const auto &[k, v] : params) {
    u.params().append({k, v});
  }
  return std::string(u.buffer());
}

std::string ours(std::string_view origin, const std::string &path, const Params &params) {
  std::string out(origin);
  append_path(out, path);
  if (!params.empty()) {
    out += '?';
    out += encode_params(params);
  }
  return out;
}

// The URL parses, with `path` (a '/' before it when missing) and `params` in order.
void parses_back(const std::string &url, std::string path, const Params &params) {
  auto parsed = urls::parse_uri(url);
  BOOST_TEST_REQUIRE(parsed.has_value(), url);
  if (!path.empty() && path.front() != '/') {
    path.insert(0, "/");
  }
  BOOST_TEST(std::string(parsed->path()) == path, url);
  BOOST_TEST_REQUIRE(parsed->params().size() == params.size(), url);
  std::size_t i = 0;
  for (const auto &param : parsed->params(urls::encoding_opts(/*space_as_plus=*/true))) {
    BOOST_TEST(param.key == params[i].first, url);
    BOOST_TEST(param.value == params[i].second, url);
    BOOST_TEST(param.has_value);
    ++i;
  }
}

std::string byte_string(int b) { return std::string(1, static_cast<char>(b)); }

} // namespace

BOOST_AUTO_TEST_CASE(every_byte_in_a_path_a_key_and_a_value) {
  for (int b = 0; b < 256; ++b) {
    const std::string c = byte_string(b);
    const std::string path = "/v1.0/a" + c + "b/" + c;
    const Params params{{"k" + c, "v" + c + c}, {c, c}};
    const std::string url = ours("https://graph.example", path, params);
    if (c != "[" && c != "]" && c != "+") {
      BOOST_TEST(url == reference_url("https://graph.example", path, params), "byte " << b);
    }
    parses_back(url, path, params);
  }
}

BOOST_AUTO_TEST_CASE(text_users_send) {
  const Params params{{"q", "caf\xc3\xa9 & cr\xc3\xa8me = 100% +1 #tag ?/[]"},
                      {"fields", "id,username,threads_profile_picture_url"},
                      {"", ""},
                      {"empty", ""},
                      {"access_token", "THAAb+/=Zz%20"}};
  const std::string url = ours("https://127.0.0.1:8443", "/me/threads", params);
  BOOST_TEST(url == "https://127.0.0.1:8443/me/threads"
                    "?q=caf%C3%A9%20%26%20cr%C3%A8me%20=%20100%25%20%2B1%20%23tag%20?/%5B%5D"
                    "&fields=id,username,threads_profile_picture_url&=&empty="
                    "&access_token=THAAb%2B/=Zz%2520");
  parses_back(url, "/me/threads", params);
  BOOST_TEST(encode_params({}) == "");
  BOOST_TEST(encode_params({{"a b", "C++"}}) == "a%20b=C%2B%2B");
  BOOST_TEST(encode_params({{"a[]", "[]"}}) == "a%5B%5D=%5B%5D");
}

// Paths no call sends, where Boost.URL's set_path adds "." segments of its own: the URL
// still names exactly the path given.
BOOST_AUTO_TEST_CASE(odd_paths) {
  for (const std::string path : {"", "/", "//", "//x/y", "x", "x/y", "/./", "/../a", ".//"}) {
    parses_back(ours("https://h", path, {{"a", "b"}}), path, {{"a", "b"}});
  }
}

BOOST_AUTO_TEST_CASE(random_strings) {
  std::mt19937 rng(20261205);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 24);
  const auto text = [&] {
    std::string s(static_cast<std::size_t>(length(rng)), '\0');
    for (char &c : s) {
      c = static_cast<char>(byte(rng));
    }
    return s;
  };
  for (int i = 0; i < 2000; ++i) {
    const std::string path = "/s" + text() + "/" + text();
    const Params params{{text(), text()}, {text(), text()}};
    const std::string url = ours("https://h", path, params);
    const bool differs = std::any_of(params.begin(), params.end(), [](const auto &param) {
      return param.first.find_first_of("[]+") != std::string::npos ||
             param.second.find('+') != std::string::npos;
    });
    if (!differs) {
      BOOST_TEST_REQUIRE(url == reference_url("https://h", path, params));
    }
    parses_back(url, path, params);
    const std::string odd = text() + "/" + text(); // any path at all, parsed back
    parses_back(ours("https://h", odd, params), odd, params);
  }
}

// The whole URL of a call: version, path, parameters and the token last when it goes in the
// query; a POST's parameters go in its body, not the URL.
BOOST_AUTO_TEST_CASE(a_calls_url) {
  auto http = http::Client::create({});
  BOOST_TEST_REQUIRE(http.has_value());
  Config config;
  config.graph_base_url = "https://graph.example:8443";
  config.api_version = "v1.0";
  GraphClient client(config, *http);
  Call get;
  get.method = http::Method::get;
  get.path = "/123/threads";
  get.params = {{"fields", "id,text"}, {"since", "2026-12-05 10:00"}};
  BOOST_TEST(client.url_for(get) ==
             "https://graph.example:8443/v1.0/123/threads?fields=id,text&since=2026-12-05%2010:00");
  Call token_call = get;
  token_call.versioning = Versioning::unversioned;
  token_call.path = "/refresh_access_token";
  token_call.params = {};
  BOOST_TEST(client.url_for(token_call) == "https://graph.example:8443/refresh_access_token");
  Call post = get;
  post.method = http::Method::post;
  BOOST_TEST(client.url_for(post) == "https://graph.example:8443/v1.0/123/threads");
}
