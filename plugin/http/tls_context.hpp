// TLS set-up: the shared client context (trust store, protocol floor) and per-connection
// SNI and host-name verification.
#pragma once

#include "http/error.hpp"
#include "http/url.hpp"

#include <boost/asio/ssl/context.hpp>

#include <string>

namespace threads::http {

// A client context that verifies peers against `ca_file` when given, else the system store.
// TLS 1.2 is the floor. There is deliberately no way to disable verification.
// The first to initialise OpenSSL in the process, it asks OpenSSL not to free its tables
// at exit (OPENSSL_INIT_NO_ATEXIT): that cleanup only returns memory the process is about
// to lose anyway, and was 0.7 ms of a one-call `autohost invoke` (about 7 %).
Result<boost::asio::ssl::context> make_tls_context(const std::string &ca_file);

// Sets SNI (host names only; RFC 6066 forbids IP literals there) and asks OpenSSL to
// check the certificate against the host name or IP address during the handshake.
// Returns false when OpenSSL refuses the name.
bool prepare_tls_session(SSL *ssl, const Target &target) noexcept;

// Explains a failed handshake: "certificate verify failed: <OpenSSL's reason>" when the
// peer's certificate was rejected, otherwise the error's own message.
std::string describe_tls_failure(const boost::system::error_code &ec, const SSL *ssl);

} // namespace threads::http
