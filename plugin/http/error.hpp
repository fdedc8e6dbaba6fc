// Errors of the HTTP layer: a category the caller maps to a plugin status, plus a human message.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace threads::http {

// What went wrong, coarse enough for the caller to choose a plugin status from it alone.
enum class ErrorKind {
  invalid_argument,   // a bad URL, header or option: fixing the call is the only cure
  dns,                // the host name did not resolve
  connect,            // TCP connect failed (refused, unreachable)
  tls,                // handshake failed; certificate problems say "certificate verify failed: ..."
  proxy,              // the proxy could not be reached, broke off, or answered 502-504
  proxy_refused,      // the proxy refused the tunnel (403, 407, ...): its settings must change
  timeout,            // the message says which: connect, read or total (the deadline)
  reset,              // the peer reset or closed the connection before a complete response
  response_too_large, // the body exceeded ClientOptions::max_response_bytes
  malformed_response, // not valid HTTP/1.1, or truncated mid-message
  cancelled,          // the request's cancellation check fired, or the client is shutting down
  internal,           // a bug or resource exhaustion; the message says what
};

// The stable lower-case name of a kind ("response_too_large"), for logs and JSON bodies.
std::string_view to_string(ErrorKind kind) noexcept;

// Whether any byte of the request may have reached the server. A non-idempotent caller (a
// publish) that gets `maybe_sent` must check the outcome before sending the request again.
enum class Delivery { not_sent, maybe_sent };

struct Error {
  ErrorKind kind = ErrorKind::internal;
  // One line for humans. URLs in it are redacted (see redact_url); it names the host and
  // the step that failed.
  std::string message;
  Delivery delivery = Delivery::not_sent;
  // Attempts made before giving up (1 when the request was not retried).
  int attempts = 0;
};

// Every fallible call of this layer returns a Result; none of them throws.
template <class T> using Result = boost::system::result<T, Error>;

// Lets Result<T>::value() compile; it throws std::runtime_error(message). Prefer checking
// has_value() and using operator*: exceptions must not cross the plugin seam.
[[noreturn]] void throw_exception_from_error(const Error &error, const boost::source_location &loc);

} // namespace threads::http
