// libFuzzer harness: what a user pastes into exchange_code (the redirect URL or a bare code).
#include "auth/oauth.hpp"
#include "fuzz_check.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace {

std::string encoded(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text = fuzz::text_of(data, size);
  auto parts = threads::auth::parse_redirect(text);
  if (!parts) {
    fuzz::require_clean_error(parts.error(), "parse_redirect");
    return 0;
  }
  // Whatever code and state came out, a redirect carrying them gives them back unchanged.
  const std::string url = "https://example.com/cb?code=" + encoded(parts->code) +
                          "&state=" + encoded(parts->state) + "#_";
  auto again = threads::auth::parse_redirect(url);
  fuzz::require(again.has_value(), "a redirect URL built from parsed parts is refused", url);
  fuzz::require(again->code == parts->code && again->state == parts->state,
                "code or state changed on a round trip", url);
  return 0;
}
