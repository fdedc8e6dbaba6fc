// Random identifiers and secrets shaped like the real service's: numeric ids, TH tokens, codes.
#pragma once

#include <string>
#include <string_view>

namespace sandbox {

// `n` random characters from [0-9A-Za-z], from OpenSSL's CSPRNG.
std::string random_base62(std::size_t n);

// A 17-digit decimal id starting with `prefix`. The last digit is odd, so the id is never
// exactly representable as a double: a client that parses ids through double gets caught.
std::string random_numeric_id(std::string_view prefix);

// "TH" + 60 base62 characters, the shape of a user access token.
std::string random_user_token();

// 11 characters from the URL-safe alphabet, the shape of a post shortcode.
std::string random_shortcode();

// The value of `fbtrace_id` in error envelopes and the X-FB-Trace-ID header.
std::string random_trace_id();

} // namespace sandbox
