// PostgreSQL store locations: recognising a URL and keeping its password out of any text.
#pragma once

#include <string>
#include <string_view>

namespace autohost::store::pg {

// True for postgresql://... and postgres://... (libpq's two URI schemes, lower case as libpq
// requires). Anything else is a path to an SQLite store.
bool is_postgres_url(std::string_view location) noexcept;

// The location with every secret replaced by "***": the password of the user info
// (user:secret@host), and the values of `password` and `sslpassword` in the query string,
// with the parameter names matched after percent-decoding as libpq does (`pass%77ord=`),
// in a URL of any scheme. A text with '=' but no "://" is read as a libpq keyword/value
// string (password=... or password='...'); one with neither is a path, left as it is.
// Safe for logs and error messages; when the text is malformed it redacts more, not less.
std::string redact(std::string_view location);

// `text` (typically a message from libpq) with each secret of `location` removed, raw and
// percent-decoded: libpq may quote the part of a URL it could not parse.
std::string scrub(std::string text, std::string_view location);

} // namespace autohost::store::pg
