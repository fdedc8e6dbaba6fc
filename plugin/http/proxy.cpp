// Proxy URL parsing, NO_PROXY matching and reading the proxy environment variables.
#include "http/proxy.hpp"

#include "http/ascii.hpp"
#include "http/redact.hpp"
#include "http/uri_parse.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <charconv>
#include <cstdlib>

namespace threads::http {
namespace {

Error proxy_error(std::string_view url, std::string_view why) {
  std::string message = "invalid proxy URL '";
  message.append(redact_url(url)).append("': ").append(why);
  return Error{ErrorKind::invalid_argument, std::move(message), Delivery::not_sent, 0};
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                                reinterpret_cast<const unsigned char *>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Parses an IPv4 or IPv6 literal into 16 bytes (IPv4 uses the first 4).
bool parse_ip(std::string_view text, bool &is_ipv6, std::array<unsigned char, 16> &out) {
  if (text.size() > 45) {
    return false;
  }
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    is_ipv6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    is_ipv6 = true;
    return true;
  }
  return false;
}

bool prefix_equal(const std::array<unsigned char, 16> &a, const std::array<unsigned char, 16> &b,
                  int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[static_cast<std::size_t>(i)] != b[static_cast<std::size_t>(i)]) {
      return false;
    }
  }
  if (bits == 0) {
    return true;
  }
  const auto mask = static_cast<unsigned char>(0xFFU << static_cast<unsigned>(8 - bits));
  const auto idx = static_cast<std::size_t>(i);
  return (a[idx] & mask) == (b[idx] & mask);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::string first_env(const char *lower, const char *upper) {
  for (const char *name : {lower, upper}) {
    // Read once while the client is created; nothing here calls setenv.
    if (const char *value = std::getenv(name); value != nullptr && *value != '\0') { // NOLINT
      return value;
    }
  }
  return {};
}

} // namespace

Result<std::optional<ProxyEndpoint>> parse_proxy_url(std::string_view url) {
  url = ascii::trim(url);
  if (url.empty()) {
    return std::optional<ProxyEndpoint>{};
  }
  std::string with_scheme(url);
  if (with_scheme.find("://") == std::string::npos) {
    with_scheme.insert(0, "http://"); // curl treats a scheme-less proxy as http
  }
  auto parsed = uri::parse_absolute_uri(with_scheme);
  if (!parsed) {
    return proxy_error(url, "not a URL");
  }
  const boost::urls::url_view &u = *parsed;
  if (ascii::to_lower(u.scheme()) != "http") {
    return proxy_error(url, "only http:// proxies are supported (CONNECT tunnel)");
  }
  ProxyEndpoint p;
  switch (u.host_type()) {
  case boost::urls::host_type::name:
    // A percent-encoded name decodes to bytes no resolver takes and cannot be written back.
    if (u.encoded_host().find('%') != boost::core::string_view::npos) {
      return proxy_error(url, "the host name has percent-encoded characters");
    }
    p.host = ascii::to_lower(u.host());
    break;
  case boost::urls::host_type::ipv4:
    p.host = u.encoded_host();
    break;
  case boost::urls::host_type::ipv6:
    p.host = ascii::to_lower(u.encoded_host_address());
    p.host_is_ipv6 = true;
    break;
  default:
    return proxy_error(url, "missing host");
  }
  if (p.host.empty()) {
    return proxy_error(url, "missing host");
  }
  if (u.has_port()) {
    if (u.port_number() == 0) {
      return proxy_error(url, "invalid port");
    }
    p.port = u.port_number();
  }
  if (u.has_userinfo()) {
    std::string credentials = u.user();
    credentials.append(":").append(u.password());
    p.authorization = "Basic " + base64(credentials);
  }
  p.display = redact_url(with_scheme);
  return std::optional<ProxyEndpoint>(std::move(p));
}

NoProxyList::NoProxyList(std::string_view list) {
  while (!list.empty()) {
    const auto sep = list.find_first_of(", \t");
    std::string_view token = list.substr(0, sep);
    list.remove_prefix(sep == std::string_view::npos ? list.size() : sep + 1);
    if (token.empty()) {
      continue;
    }
    if (token == "*") {
      all_ = true;
      continue;
    }
    Entry e;
    // Split an optional port: "[v6]:port", "name:port"; a bare IPv6 has several colons.
    if (token.front() == '[') {
      const auto close = token.find(']');
      if (close == std::string_view::npos) {
        continue;
      }
      std::string_view rest = token.substr(close + 1);
      token = token.substr(1, close - 1);
      if (rest.size() > 1 && rest.front() == ':') {
        e.port = parse_port(rest.substr(1));
        if (!e.port) {
          continue;
        }
      }
    } else if (const auto colon = token.find(':');
               colon != std::string_view::npos &&
               token.find(':', colon + 1) == std::string_view::npos) {
      e.port = parse_port(token.substr(colon + 1));
      if (!e.port) {
        continue;
      }
      token = token.substr(0, colon);
    }
    std::string_view address = token;
    std::optional<int> bits;
    if (const auto slash = token.find('/'); slash != std::string_view::npos) {
      address = token.substr(0, slash);
      int value = 0;
      const std::string_view digits = token.substr(slash + 1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec != std::errc() || ptr != digits.data() + digits.size()) {
        continue;
      }
      bits = value;
    }
    if (parse_ip(address, e.is_ipv6, e.address)) {
      e.is_ip = true;
      const int max_bits = e.is_ipv6 ? 128 : 32;
      e.prefix_bits = bits.value_or(max_bits);
      if (e.prefix_bits < 0 || e.prefix_bits > max_bits) {
        continue;
      }
    } else {
      if (bits) {
        continue; // a CIDR suffix on a name is meaningless
      }
      if (token.starts_with("*.")) {
        token.remove_prefix(1);
      }
      while (!token.empty() && token.front() == '.') {
        token.remove_prefix(1);
      }
      while (!token.empty() && token.back() == '.') {
        token.remove_suffix(1);
      }
      if (token.empty()) {
        continue;
      }
      e.name = ascii::to_lower(token);
    }
    entries_.push_back(std::move(e));
  }
}

bool NoProxyList::matches(std::string_view host, std::uint16_t port) const {
  if (all_) {
    return true;
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  while (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  std::array<unsigned char, 16> host_address{};
  bool host_is_ipv6 = false;
  const bool host_is_ip = parse_ip(host, host_is_ipv6, host_address);
  for (const Entry &e : entries_) {
    if (e.port && *e.port != port) {
      continue;
    }
    if (host_is_ip) {
      if (e.is_ip && e.is_ipv6 == host_is_ipv6 &&
          prefix_equal(e.address, host_address, e.prefix_bits)) {
        return true;
      }
      continue;
    }
    if (e.is_ip || e.name.size() > host.size()) {
      continue;
    }
    const std::string_view tail = host.substr(host.size() - e.name.size());
    if (ascii::iequals(tail, e.name) &&
        (tail.size() == host.size() || host[host.size() - tail.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

ProxyConfig proxy_config_from_environment() {
  return ProxyConfig{first_env("https_proxy", "HTTPS_PROXY"), first_env("no_proxy", "NO_PROXY")};
}

} // namespace threads::http
