// Request URL parsing with Boost.URL.
#include "http/url.hpp"

#include "http/ascii.hpp"
#include "http/redact.hpp"
#include "http/uri_parse.hpp"

#include <boost/url/grammar/charset.hpp>
#include <boost/url/grammar/hexdig_chars.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/url_view.hpp>

namespace threads::http {
namespace {

Error invalid(std::string_view url, std::string_view why) {
  std::string message = "invalid URL '";
  message.append(redact_url(url)).append("': ").append(why);
  return Error{ErrorKind::invalid_argument, std::move(message), Delivery::not_sent, 0};
}

} // namespace

std::string host_and_port(std::string_view host, bool host_is_ipv6, std::uint16_t port) {
  std::string out;
  if (host_is_ipv6) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  out.append(":").append(std::to_string(port));
  return out;
}

Result<Target> parse_target(std::string_view url, PlainHttp plain) {
  auto parsed = uri::parse_uri(url);
  if (!parsed) {
    return invalid(url, "not an absolute URL");
  }
  const boost::urls::url_view &u = *parsed;
  Target t;
  const std::string scheme = ascii::to_lower(u.scheme());
  if (scheme == "https") {
    t.tls = true;
  } else if (scheme == "http") {
    if (plain != PlainHttp::allow) {
      return invalid(url, "plain http is refused; use https");
    }
    t.tls = false;
  } else {
    return invalid(url, "scheme must be https");
  }
  if (u.has_userinfo()) {
    return invalid(url, "user info (user:password@) is not allowed in request URLs");
  }
  bool is_ipv6 = false;
  switch (u.host_type()) {
  case boost::urls::host_type::name:
    t.host = ascii::to_lower(u.encoded_host());
    break;
  case boost::urls::host_type::ipv4:
    t.host = u.encoded_host();
    t.host_is_ip = true;
    break;
  case boost::urls::host_type::ipv6:
    t.host = ascii::to_lower(u.encoded_host_address());
    t.host_is_ip = true;
    is_ipv6 = true;
    break;
  default:
    return invalid(url, "missing or unsupported host");
  }
  if (t.host.find('%') != std::string::npos) {
    return invalid(url, "percent-encoded host names are not supported");
  }
  // A trailing dot names the same host; certificates and NO_PROXY lists never carry it.
  if (!t.host_is_ip && !t.host.empty() && t.host.back() == '.') {
    t.host.pop_back();
  }
  if (t.host.empty()) { // "https://./" is the root alone, no host
    return invalid(url, "missing host");
  }
  if (!t.host_is_ip && t.host.back() == '.') { // "h..": an empty label names no host
    return invalid(url, "the host name ends in an empty label");
  }
  t.port = t.tls ? 443 : 80;
  if (u.has_port()) {
    const auto port = u.port_number();
    if (port == 0) {
      return invalid(url, "invalid port");
    }
    t.port = port;
  }
  const bool default_port = t.port == (t.tls ? 443 : 80);
  t.host_header = default_port ? (is_ipv6 ? "[" + t.host + "]" : t.host)
                               : host_and_port(t.host, is_ipv6, t.port);
  t.path = std::string(u.encoded_target());
  if (t.path.empty() || t.path.front() != '/') {
    t.path.insert(0, "/");
  }
  return t;
}

bool is_origin_form(std::string_view target) noexcept {
  namespace grammar = boost::urls::grammar;
  // path-abempty "?" query: a query may hold '/' and '?', a path segment '/' only, but the
  // first '?' ends the path, so one set serves both.
  static constexpr grammar::lut_chars allowed = boost::urls::pchars + '/' + '?';
  if (target.empty() || target.front() != '/') {
    return false;
  }
  const char *p = target.data();
  const char *const end = p + target.size();
  for (;;) {
    p = grammar::find_if_not(p, end, allowed);
    if (p == end) {
      return true;
    }
    if (*p != '%' || end - p < 3 || !grammar::hexdig_chars(p[1]) || !grammar::hexdig_chars(p[2])) {
      return false;
    }
    p += 3;
  }
}

Result<Target> TargetParser::parse(std::string_view url) {
  const auto authority = url.find("://");
  const auto rest = authority == std::string_view::npos ? std::string_view::npos
                                                        : url.find_first_of("/?#", authority + 3);
  if (rest == std::string_view::npos || !is_origin_form(url.substr(rest))) {
    return parse_target(url, plain_);
  }
  const std::string_view origin = url.substr(0, rest);
  if (origin_.empty() || origin != origin_) {
    auto parsed = parse_target(std::string(origin) + "/", plain_);
    if (!parsed) {
      return parse_target(url, plain_); // its message shows the whole URL
    }
    target_ = std::move(*parsed);
    origin_ = origin;
  }
  Target out = target_;
  out.path = url.substr(rest);
  return out;
}

} // namespace threads::http
