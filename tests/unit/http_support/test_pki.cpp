// Generates the test CAs and server certificates in memory with OpenSSL 3.
#include "test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace http_test {
namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509 *cert) const { X509_free(cert); }
};
struct BioDeleter {
  void operator()(BIO *bio) const { BIO_free(bio); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

void check(bool ok, const char *what) {
  if (!ok) {
    throw std::runtime_error(std::string("OpenSSL failed: ") + what);
  }
}

Key make_key() {
  Key key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

void add_extension(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(added == 1, "X509_add_ext");
}

// A certificate for `key` named `common_name`; self-signed when issuer is null.
Cert make_cert(const std::string &common_name, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
               const char *subject_alt_names, long serial) {
  Cert cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600) != nullptr, "notAfter");
  X509_NAME *name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char *>(common_name.c_str()), -1,
                                   -1, 0) == 1,
        "subject");
  X509 *signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer");
  check(X509_set_pubkey(cert.get(), key) == 1, "pubkey");
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer == nullptr) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), signer, NID_subject_alt_name, subject_alt_names);
  }
  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0,
        "X509_sign");
  return cert;
}

std::string bio_text(BIO *bio) {
  char *data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string cert_pem(X509 *cert) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return bio_text(bio.get());
}

std::string key_pem(EVP_PKEY *key) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return bio_text(bio.get());
}

Identity issue(const std::string &cn, const char *sans, X509 *ca, EVP_PKEY *ca_key, long serial) {
  Key key = make_key();
  Cert cert = make_cert(cn, key.get(), ca, ca_key, sans, serial);
  return Identity{cert_pem(cert.get()), key_pem(key.get())};
}

} // namespace

TestPki TestPki::generate() {
  TestPki pki;
  Key ca_key = make_key();
  Cert ca = make_cert("autohost test CA", ca_key.get(), nullptr, nullptr, nullptr, 1);
  pki.ca_pem = cert_pem(ca.get());
  pki.localhost = issue("localhost", "DNS:localhost,IP:127.0.0.1", ca.get(), ca_key.get(), 2);
  pki.wrong_host = issue("wrong-host.invalid", "DNS:wrong-host.invalid", ca.get(), ca_key.get(), 3);

  Key other_key = make_key();
  Cert other = make_cert("untrusted test CA", other_key.get(), nullptr, nullptr, nullptr, 4);
  pki.unknown_ca =
      issue("localhost", "DNS:localhost,IP:127.0.0.1", other.get(), other_key.get(), 5);
  return pki;
}

} // namespace http_test
