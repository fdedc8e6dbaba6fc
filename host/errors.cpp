// Host-side construction and reading of JSON error bodies.
#include "errors.hpp"

#include <boost/json.hpp>

namespace autohost::host {
namespace json = boost::json;

namespace {

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b = byte(0);
  if (b < 0x80)
    return 1;
  std::size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
  if (n == 0 || b > 0xF4 || s.size() < n)
    return 0;
  // The second byte's range depends on the first (overlongs, surrogates, the maximum).
  const unsigned char lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
  const unsigned char hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
  if (byte(1) < lo || byte(1) > hi)
    return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80)
      return 0;
  }
  return n;
}

// Error texts quote what the user or a file gave, which need not be UTF-8; JSON must be, or
// the body that stderr's last line promises to be JSON is not. Bad bytes become U+FFFD.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t n = utf8_sequence(text);
    out.append(n == 0 ? std::string_view("\xEF\xBF\xBD") : text.substr(0, n));
    text.remove_prefix(n == 0 ? 1 : n);
  }
  return out;
}

} // namespace

Error make_error(ah_status status, std::string_view code, std::string_view message) {
  json::object body;
  body["code"] = valid_utf8(code);
  body["message"] = valid_utf8(message);
  return Error{status, json::serialize(body)};
}

namespace {
std::string field(const Error &error, std::string_view name) {
  boost::system::error_code ec;
  const json::value body = json::parse(error.body, ec);
  if (ec || !body.is_object())
    return {};
  const json::value *v = body.as_object().if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}
} // namespace

std::string error_message(const Error &error) {
  std::string message = field(error, "message");
  return message.empty() ? error.body : message;
}

std::string error_code(const Error &error) {
  std::string code = field(error, "code");
  return code.empty() ? std::string(status_name(error.status)) : code;
}

} // namespace autohost::host
