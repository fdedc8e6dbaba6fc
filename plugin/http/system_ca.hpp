// The system's trusted CAs for a client context, read as certificates are verified.
#pragma once

#include <openssl/ssl.h>

namespace threads::http {

// Trusts the system store as OpenSSL's default paths do (SSL_CERT_DIR, else OpenSSL's
// certificate directory; SSL_CERT_FILE, else its bundle file), but reads it on demand:
// an issuer is looked up in the directory's hashed names first (one small file per CA
// needed), and the bundle file is parsed only when the directory has no match, once for the
// context. Parsing Debian's bundle of ~140 CAs up front took 23 ms of every process that
// made a client; a handshake needs one or two of them. Returns false when OpenSSL cannot
// add the lookups (out of memory).
bool trust_system_store(SSL_CTX *ctx) noexcept;

} // namespace threads::http
