// Secret-free renderings of URLs for logs and error messages.
#include "http/redact.hpp"

#include "http/ascii.hpp"
#include "http/uri_parse.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url.hpp>

#include <array>

namespace threads::http {
namespace {

constexpr std::string_view redacted = "REDACTED";

// Threads/Graph OAuth parameters plus the generic names secrets travel under elsewhere.
bool is_secret_name(std::string_view raw_name) {
  std::string name = ascii::to_lower(raw_name);
  if (auto decoded = boost::urls::make_pct_string_view(raw_name); decoded.has_value()) {
    name = ascii::to_lower(decoded->decode());
  }
  static constexpr std::array exact{std::string_view("code"), std::string_view("appsecret_proof"),
                                    std::string_view("sig"),  std::string_view("signature"),
                                    std::string_view("key"),  std::string_view("api_key")};
  static constexpr std::array parts{std::string_view("token"), std::string_view("secret"),
                                    std::string_view("password"), std::string_view("passwd")};
  for (auto e : exact) {
    if (name == e) {
      return true;
    }
  }
  for (auto p : parts) {
    if (name.find(p) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// `a=1&access_token=x` -> `a=1&access_token=REDACTED`, keeping the original encoding of the
// parameters that are not secret.
std::string redact_params(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  while (true) {
    const auto amp = encoded.find('&');
    const std::string_view param = encoded.substr(0, amp);
    const auto eq = param.find('=');
    const std::string_view name = param.substr(0, eq);
    if (eq != std::string_view::npos && is_secret_name(name)) {
      out.append(name).append("=").append(redacted);
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    out += '&';
    encoded.remove_prefix(amp + 1);
  }
  return out;
}

// Unparseable text may still hold a query string full of secrets: keep only what precedes it.
std::string redact_unparseable(std::string_view text) {
  const auto cut = text.find_first_of("?#");
  std::string_view head = text.substr(0, cut);
  if (head.find_first_of("@=") != std::string_view::npos) {
    return "<unparseable URL>";
  }
  std::string out(head);
  if (cut != std::string_view::npos) {
    out += "?REDACTED";
  }
  return out;
}

} // namespace

std::string redact_url(std::string_view url) noexcept {
  try {
    auto parsed = uri::parse_uri_reference(url);
    if (!parsed) {
      return redact_unparseable(url);
    }
    boost::urls::url u(*parsed);
    if (u.has_password()) {
      u.set_password(redacted);
    }
    if (u.has_query()) {
      u.set_encoded_query(redact_params(u.encoded_query()));
    }
    if (u.has_fragment()) {
      u.set_encoded_fragment(redact_params(u.encoded_fragment()));
    }
    return std::string(u.buffer());
  } catch (...) {
    // Only allocation can fail here; an empty string leaks nothing.
    return {};
  }
}

std::string without_userinfo(std::string_view url) noexcept {
  try {
    auto parsed = uri::parse_uri_reference(url);
    if (!parsed) {
      // Not a URL boost reads ("https://a@b@host"): nothing up to the last '@' is shown.
      const auto scheme = url.find("://");
      const auto at = url.rfind('@');
      if (scheme != std::string_view::npos && at != std::string_view::npos && at > scheme) {
        return redact_url(std::string(url.substr(0, scheme + 3)) + std::string(url.substr(at + 1)));
      }
      return redact_url(url);
    }
    boost::urls::url u(*parsed);
    u.remove_userinfo();
    return redact_url(u.buffer());
  } catch (...) {
    return {};
  }
}

std::string describe_request(Method method, std::string_view url) {
  return std::string(to_string(method)) + " " + redact_url(url);
}

} // namespace threads::http
