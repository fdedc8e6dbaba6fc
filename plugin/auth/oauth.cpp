// OAuth onboarding helpers (threads-api.md 1.1-1.2).
#include "auth/oauth.hpp"

#include <boost/json.hpp>
#include <boost/url.hpp>

#include <sys/random.h>

#include <algorithm>
#include <array>

namespace threads::auth {
namespace json = boost::json;
namespace urls = boost::urls;
using autohost::Error;

const std::vector<std::string> &known_scopes() {
  static const std::vector<std::string> all = {"threads_basic",
                                               "threads_content_publish",
                                               "threads_manage_replies",
                                               "threads_read_replies",
                                               "threads_manage_insights",
                                               "threads_keyword_search",
                                               "threads_manage_mentions",
                                               "threads_delete",
                                               "threads_location_tagging",
                                               "threads_profile_discovery",
                                               "threads_share_to_instagram"};
  return all;
}

const std::vector<std::string> &default_scopes() {
  static const std::vector<std::string> scopes = {
      "threads_basic",        "threads_content_publish", "threads_manage_replies",
      "threads_read_replies", "threads_manage_insights", "threads_delete"};
  return scopes;
}

autohost::Result<std::vector<std::string>> normalise_scopes(const std::vector<std::string> &asked) {
  const auto &known = known_scopes();
  std::vector<std::string> out = {"threads_basic"};
  for (const auto &scope : asked) {
    if (std::find(known.begin(), known.end(), scope) == known.end()) {
      std::string list;
      for (const auto &k : known)
        list += (list.empty() ? "" : ", ") + k;
      json::object body{{"code", "invalid_input"},
                        {"field", "scopes"},
                        {"message", "'" + scope + "' is not a Threads scope; known: " + list}};
      return Error{AH_INVALID_INPUT, json::serialize(body)};
    }
    if (std::find(out.begin(), out.end(), scope) == out.end())
      out.push_back(scope);
  }
  return out;
}

autohost::Result<std::string> generate_state() {
  std::array<unsigned char, 32> bytes{};
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::make(AH_INTERNAL, "the kernel gave no random bytes for the OAuth state");
    }
    got += static_cast<std::size_t>(n);
  }
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char b : bytes) {
    bits = (bits << 8U) | b;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += alphabet[(bits >> static_cast<unsigned>(count)) & 63U];
    }
  }
  if (count > 0)
    out += alphabet[(bits << static_cast<unsigned>(6 - count)) & 63U];
  return out;
}

std::string authorize_url(std::string_view oauth_base_url, std::string_view app_id,
                          std::string_view redirect_uri, const std::vector<std::string> &scopes,
                          std::string_view state) {
  // Every value is encoded strictly (all but unreserved characters), as OAuth servers
  // expect for redirect_uri; Boost.URL alone would leave '=' and '/' in values.
  auto enc = [](std::string_view v) { return urls::encode(v, urls::unreserved_chars); };
  std::string scope;
  for (const auto &s : scopes)
    scope += (scope.empty() ? "" : ",") + s;
  urls::url u(oauth_base_url);
  u.set_path("/oauth/authorize");
  u.set_encoded_query("client_id=" + enc(app_id) + "&redirect_uri=" + enc(redirect_uri) +
                      "&scope=" + enc(scope) + "&response_type=code&state=" + enc(state));
  return std::string(u.buffer());
}

autohost::Result<RedirectParts> parse_redirect(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  // Meta appends "#_" to the redirect; it is not part of the code.
  if (const auto hash = text.find('#'); hash != std::string_view::npos)
    text = text.substr(0, hash);
  RedirectParts out;
  const bool looks_like_url =
      text.find("://") != std::string_view::npos || text.find('?') != std::string_view::npos ||
      text.find("code=") != std::string_view::npos || text.find("error=") != std::string_view::npos;
  if (!looks_like_url) {
    out.code = std::string(text);
    return out;
  }
  // A copy: the view parse_query returns must not see past the query (Boost 1.81 reads
  // the last parameter to the end of the underlying buffer otherwise).
  std::string query(text);
  if (const auto q = query.find('?'); q != std::string::npos)
    query.erase(0, q + 1);
  auto params = urls::parse_query(query);
  if (!params) {
    return Error::make(AH_INVALID_INPUT, "exchange_code: the redirect URL's query cannot be read");
  }
  for (const auto &p : *params) {
    const std::string key = p.key.decode();
    std::string value = p.value.decode();
    // Form encoding: '+' is a space (error_description=The+user+denied...).
    if (key == "error_description")
      std::replace(value.begin(), value.end(), '+', ' ');
    if (key == "code")
      out.code = std::move(value);
    if (key == "state")
      out.state = std::move(value);
    if (key == "error")
      out.error = std::move(value);
    if (key == "error_description")
      out.error_description = std::move(value);
  }
  return out;
}

} // namespace threads::auth
