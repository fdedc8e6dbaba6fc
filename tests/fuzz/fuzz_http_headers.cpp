// libFuzzer harness: header and environment values the HTTP layer reads - Retry-After, the
// proxy URL, NO_PROXY - and request URLs (paging links come from the server). The first
// byte picks the parser, the rest is the value.
#include "fuzz_check.hpp"
#include "http/proxy.hpp"
#include "http/redact.hpp"
#include "http/retry_policy.hpp"
#include "http/url.hpp"

#include <chrono>

namespace {

using namespace threads::http;

void retry_after(std::string_view value) {
  const auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 20000);
  const auto wait = parse_retry_after(value, now);
  // Negative waits never come out; absurd ones are clamped to a year, as delta-seconds are.
  if (wait) {
    fuzz::require(wait->count() >= 0, "Retry-After gave a negative wait", value);
    fuzz::require(*wait <= std::chrono::hours(24 * 365), "Retry-After gave more than a year",
                  value);
  }
}

void proxy_url(std::string_view value) {
  auto proxy = parse_proxy_url(value);
  if (!proxy) {
    fuzz::require(!proxy.error().message.empty(), "a proxy URL error without a message", value);
    return;
  }
  if (!proxy->has_value())
    return;
  const ProxyEndpoint &p = **proxy;
  fuzz::require(!p.host.empty(), "a proxy without a host", value);
  // The endpoint written back as a URL gives the same endpoint.
  const std::string again = "http://" + host_and_port(p.host, p.host_is_ipv6, p.port);
  auto reparsed = parse_proxy_url(again);
  fuzz::require(reparsed && reparsed->has_value() && (*reparsed)->host == p.host &&
                    (*reparsed)->port == p.port && (*reparsed)->host_is_ipv6 == p.host_is_ipv6,
                "a parsed proxy does not parse back the same", again);
}

void no_proxy(std::string_view value) {
  // "LIST\nHOST": the list, then a host to match against it on a few ports.
  const auto nl = value.find('\n');
  const std::string_view list = value.substr(0, nl);
  const std::string_view host = nl == std::string_view::npos ? "" : value.substr(nl + 1);
  const NoProxyList parsed(list);
  for (std::uint16_t port : {0, 80, 443, 65535})
    (void)parsed.matches(host, port);
  fuzz::require(NoProxyList("*").matches(host, 443), "'*' does not match every host");
}

void request_url(std::string_view value) {
  (void)redact_url(value);
  auto target = parse_target(value, PlainHttp::allow);
  if (!target) {
    fuzz::require(target.error().kind == ErrorKind::invalid_argument,
                  "a refused URL is not invalid_argument", value);
    return;
  }
  fuzz::require(!target->host.empty() && !target->path.empty(), "a target without host or path",
                value);
  const std::string again =
      std::string(target->tls ? "https://" : "http://") + target->host_header + target->path;
  auto reparsed = parse_target(again, PlainHttp::allow);
  fuzz::require(reparsed && reparsed->host == target->host && reparsed->port == target->port &&
                    reparsed->path == target->path && reparsed->tls == target->tls,
                "a parsed URL does not parse back the same", again);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0)
    return 0;
  const std::string_view value = fuzz::text_of(data + 1, size - 1);
  switch (data[0] % 4) {
  case 0:
    retry_after(value);
    break;
  case 1:
    proxy_url(value);
    break;
  case 2:
    no_proxy(value);
    break;
  default:
    request_url(value);
    break;
  }
  return 0;
}
