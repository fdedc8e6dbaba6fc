// The OpenSSL client context and per-connection verification settings.
#include "http/tls_context.hpp"

#include "http/system_ca.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <filesystem>

namespace threads::http {

Result<boost::asio::ssl::context> make_tls_context(const std::string &ca_file) {
  namespace ssl = boost::asio::ssl;
  // Without a flag to the contrary, OpenSSL also loads its configuration file here, as
  // SSL_CTX_new would; a later call (or an earlier one by the host) keeps the first's flags.
  if (OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, nullptr) != 1) {
    return Error{ErrorKind::tls, "cannot initialise OpenSSL", Delivery::not_sent, 0};
  }
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  ctx.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    if (!trust_system_store(ctx.native_handle())) {
      return Error{ErrorKind::tls, "cannot set up the system CA store", Delivery::not_sent, 0};
    }
    return ctx;
  }
  std::error_code fs_ec;
  if (!std::filesystem::is_regular_file(ca_file, fs_ec)) {
    return Error{ErrorKind::invalid_argument,
                 "ca_file '" + ca_file + "' does not exist or is not a file", Delivery::not_sent,
                 0};
  }
  ctx.load_verify_file(ca_file, ec);
  if (ec) {
    return Error{ErrorKind::invalid_argument,
                 "ca_file '" + ca_file + "' holds no usable PEM certificate: " + ec.message(),
                 Delivery::not_sent, 0};
  }
  return ctx;
}

bool prepare_tls_session(SSL *ssl, const Target &target) noexcept {
  if (target.host_is_ip) {
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target.host.c_str()) == 1;
  }
  if (SSL_set_tlsext_host_name(ssl, target.host.c_str()) != 1) {
    return false;
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(ssl, target.host.c_str()) == 1;
}

std::string describe_tls_failure(const boost::system::error_code &ec, const SSL *ssl) {
  if (ssl != nullptr) {
    const long result = SSL_get_verify_result(ssl);
    if (result != X509_V_OK) {
      return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
    }
  }
  return ec.message();
}

} // namespace threads::http
