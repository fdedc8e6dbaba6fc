// The system's trusted CAs for a client context, without parsing the whole bundle.
#pragma once

#include <openssl/ssl.h>

namespace threads::http {

// Trusts the system store as OpenSSL's default paths do, except that the built-in bundle
// file is left unread when the certificate directory is hashed (holds names such as
// "3513523f.0", as Debian's update-ca-certificates and c_rehash write them): that directory
// is then the same set of CAs, and OpenSSL reads from it only the one or two a handshake
// needs. Parsing Debian's bundle of ~145 CAs took 23 ms of every process that made a
// client. Exactly:
// - the directory (SSL_CERT_DIR, a colon-separated list, else OpenSSL's) is always added;
// - a bundle named by SSL_CERT_FILE is always read, as the user asked for it, unless it is
//   the built-in bundle by another path (some environments name it for every tool);
// - OpenSSL's built-in bundle is read only when no directory of the list is hashed.
// Returns false when OpenSSL cannot add the directory lookup (out of memory).
bool trust_system_store(SSL_CTX *ctx) noexcept;

} // namespace threads::http
