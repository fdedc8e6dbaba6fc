// Parsing of request URLs into what a connection needs: scheme, host, port, request target.
#pragma once

#include "http/error.hpp"
#include "http/options.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace threads::http {

struct Target {
  bool tls = true;
  std::string host; // lower-case; an IPv6 literal without brackets
  bool host_is_ip = false;
  std::uint16_t port = 443;
  std::string host_header; // "host", "host:port" or "[v6]:port", as sent in Host and CONNECT
  std::string path;        // origin-form request target: path and query, never empty
};

// Refuses anything but absolute http(s) URLs with a host; http only when `plain` allows it;
// userinfo is refused because credentials do not belong in request URLs. Error messages
// carry the redacted URL.
Result<Target> parse_target(std::string_view url, PlainHttp plain);

// parse_target with a memory of the last origin ("https://host:port") it parsed: a URL on
// that origin whose rest is a valid origin-form request target (path and query, RFC 3986
// characters and percent-encodings) is split there instead of parsed whole, which is most
// of a request's planning on a keep-alive connection. Gives what parse_target gives for
// every input. One per thread (the client keeps one per lane).
class TargetParser {
public:
  explicit TargetParser(PlainHttp plain) : plain_(plain) {}
  Result<Target> parse(std::string_view url);

private:
  PlainHttp plain_;
  std::string origin_; // empty until an origin parsed
  Target target_;      // origin_'s, with the path "/"
};

// Whether `target` is an origin-form request target: '/' first, then only path and query
// characters and well-formed percent-encodings.
bool is_origin_form(std::string_view target) noexcept;

// "host:port" with brackets around IPv6 literals.
std::string host_and_port(std::string_view host, bool host_is_ipv6, std::uint16_t port);

} // namespace threads::http
