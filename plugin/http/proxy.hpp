// Proxy selection: the proxy URL, curl-compatible NO_PROXY matching, and the environment.
#pragma once

#include "http/error.hpp"
#include "http/options.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace threads::http {

struct ProxyEndpoint {
  std::string host; // lower-case; IPv6 without brackets
  bool host_is_ipv6 = false;
  std::uint16_t port = 1080;
  std::string authorization; // "Basic <base64>" from the URL's userinfo, or empty
  std::string display;       // the redacted proxy URL, for messages and logs
};

// nullopt for an empty URL. Accepts "http://[user[:password]@]host[:port]" and, like curl,
// a bare "host:port"; refuses other schemes (https:// and socks proxies are not supported).
Result<std::optional<ProxyEndpoint>> parse_proxy_url(std::string_view url);

// A NO_PROXY list as curl reads it: entries separated by commas or spaces; "*" bypasses the
// proxy for every host; a name matches itself and its subdomains (a leading dot is
// ignored, so ".example.com" and "example.com" mean the same); IP literals match IP hosts
// exactly or by CIDR ("10.0.0.0/8", "::1", "fe80::/10"); case and a trailing dot are
// ignored. Beyond curl: "name:port" (or "[v6]:port") applies only to that port.
class NoProxyList {
public:
  NoProxyList() = default;
  explicit NoProxyList(std::string_view list);

  // `host` as in Target: lower-case, IPv6 without brackets.
  [[nodiscard]] bool matches(std::string_view host, std::uint16_t port) const;

private:
  struct Entry {
    std::string name; // empty for IP entries
    bool is_ip = false;
    bool is_ipv6 = false;
    std::array<unsigned char, 16> address{};
    int prefix_bits = 0;
    std::optional<std::uint16_t> port;
  };
  bool all_ = false;
  std::vector<Entry> entries_;
};

// https_proxy / HTTPS_PROXY and no_proxy / NO_PROXY, the lower-case name first (curl's order).
ProxyConfig proxy_config_from_environment();

} // namespace threads::http
