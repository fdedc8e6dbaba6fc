// Request parameters gathered from the query string and the body, merged as Graph does.
#pragma once

#include "expected.hpp"

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace sandbox {

using Params = std::map<std::string, std::string, std::less<>>;

// Query parameters first; body parameters (x-www-form-urlencoded, multipart/form-data or a
// JSON object) override them. The error names what could not be parsed.
Expected<Params, std::string> gather_params(std::string_view encoded_query,
                                            std::string_view content_type, std::string_view body);

// Clients (curl -g, hand-written forms) send characters RFC 3986 forbids in a URL or form,
// such as the braces of `fields=children{id}` or a raw JSON poll_attachment; this
// percent-encodes them (and nothing else) so such requests are read instead of refused.
std::string escape_forbidden_uri_chars(std::string_view text);

// `a=1&b=two+words`, with percent escapes and '+' as space.
Expected<Params, std::string> parse_form(std::string_view encoded);

Expected<Params, std::string> parse_multipart(std::string_view content_type, std::string_view body);

} // namespace sandbox
