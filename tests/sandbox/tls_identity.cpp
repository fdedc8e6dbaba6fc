// Generates the test CA and server certificate with the OpenSSL 3 API (no openssl CLI needed).
#include "tls_identity.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <array>
#include <memory>

namespace sandbox {
namespace {

template <auto Free> struct Deleter {
  template <class T> void operator()(T *p) const { Free(p); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

constexpr long validity_seconds = 2L * 365 * 24 * 3600;

std::string openssl_error(std::string_view what) {
  std::string message(what);
  if (const unsigned long code = ERR_get_error(); code != 0) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    message += ": ";
    message += text.data();
  }
  ERR_clear_error();
  return message;
}

bool is_ip_literal(std::string_view name) {
  std::array<unsigned char, 16> buffer{};
  const std::string text(name);
  return inet_pton(AF_INET, text.c_str(), buffer.data()) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1;
}

Expected<PKeyPtr, std::string> make_key() {
  PKeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    return unexpected(openssl_error("generating an EC key"));
  }
  return key;
}

bool add_extension(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) {
    return false;
  }
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A v3 certificate for `key` with subject CN `common_name`; self-signed when `issuer` is null.
Expected<X509Ptr, std::string> make_certificate(EVP_PKEY *key, const std::string &common_name,
                                                X509 *issuer) {
  X509Ptr cert(X509_new());
  BignumPtr serial(BN_new());
  if (!cert || !serial || X509_set_version(cert.get(), 2) != 1 ||
      BN_rand(serial.get(), 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return unexpected(openssl_error("creating a certificate"));
  }
  // Back-dated an hour so small clock differences between processes do not matter.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity_seconds);
  X509_NAME *name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char *>("threads-sandbox"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char *>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  if (X509_set_pubkey(cert.get(), key) != 1) {
    return unexpected(openssl_error("setting the certificate key"));
  }
  return cert;
}

Expected<std::string, std::string> to_pem(X509 *cert, EVP_PKEY *key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  const bool ok = bio && (cert == nullptr || PEM_write_bio_X509(bio.get(), cert) == 1) &&
                  (key == nullptr || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0,
                                                              nullptr, nullptr) == 1);
  if (!ok) {
    return unexpected(openssl_error("writing PEM"));
  }
  char *data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

} // namespace

Expected<TlsIdentity, std::string> generate_tls_identity(std::string_view server_name) {
  auto ca_key = make_key();
  auto server_key = make_key();
  if (!ca_key || !server_key) {
    return unexpected(!ca_key ? ca_key.error() : server_key.error());
  }
  auto ca = make_certificate(ca_key->get(), "threads-sandbox test CA", nullptr);
  if (!ca) {
    return unexpected(ca.error());
  }
  if (!add_extension(ca->get(), ca->get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !add_extension(ca->get(), ca->get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_extension(ca->get(), ca->get(), NID_subject_key_identifier, "hash") ||
      X509_sign(ca->get(), ca_key->get(), EVP_sha256()) == 0) {
    return unexpected(openssl_error("signing the CA certificate"));
  }

  const std::string name = server_name.empty() ? "localhost" : std::string(server_name);
  const std::string san = server_name.empty()          ? "DNS:localhost,IP:127.0.0.1"
                          : is_ip_literal(server_name) ? "IP:" + name
                                                       : "DNS:" + name;
  auto server = make_certificate(server_key->get(), name, ca->get());
  if (!server) {
    return unexpected(server.error());
  }
  if (!add_extension(server->get(), ca->get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(server->get(), ca->get(), NID_key_usage, "critical,digitalSignature") ||
      !add_extension(server->get(), ca->get(), NID_ext_key_usage, "serverAuth") ||
      !add_extension(server->get(), ca->get(), NID_subject_alt_name, san.c_str()) ||
      !add_extension(server->get(), ca->get(), NID_authority_key_identifier, "keyid:always") ||
      X509_sign(server->get(), ca_key->get(), EVP_sha256()) == 0) {
    return unexpected(openssl_error("signing the server certificate"));
  }

  auto ca_pem = to_pem(ca->get(), nullptr);
  auto cert_pem = to_pem(server->get(), nullptr);
  auto key_pem = to_pem(nullptr, server_key->get());
  if (!ca_pem || !cert_pem || !key_pem) {
    return unexpected(std::string("writing the certificates as PEM failed"));
  }
  return TlsIdentity{std::move(*ca_pem), std::move(*cert_pem), std::move(*key_pem)};
}

} // namespace sandbox
