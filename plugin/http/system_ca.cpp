// The system store: OpenSSL's hashed-directory lookup, and a bundle file only where the
// user named one or the directory is not hashed.
#include "http/system_ca.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace threads::http {
namespace {

// A name c_rehash and update-ca-certificates give a certificate: 8 hex digits, ".", digits.
bool is_hashed_name(std::string_view name) {
  const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  if (name.size() < 10 || name[8] != '.')
    return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (i != 8 && !(i < 8 ? hex(name[i]) : digit(name[i])))
      return false;
  }
  return true;
}

// Whether some directory of the colon-separated `list` holds a hashed name.
bool has_hashed_directory(std::string_view list) {
  namespace fs = std::filesystem;
  while (!list.empty()) {
    const std::size_t colon = list.find(':');
    const std::string directory(list.substr(0, colon));
    list.remove_prefix(colon == std::string_view::npos ? list.size() : colon + 1);
    std::error_code ec;
    for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
      if (is_hashed_name(it->path().filename().native()))
        return true;
    }
  }
  return false;
}

// Whether `named` is OpenSSL's built-in bundle by another path (Debian's
// /etc/ssl/certs/ca-certificates.crt is /usr/lib/ssl/cert.pem): environments that set
// SSL_CERT_FILE to it for every tool ask for nothing the hashed directory does not hold.
bool is_built_in_bundle(const char *named) {
  std::error_code ec;
  return std::filesystem::equivalent(named, X509_get_default_cert_file(), ec);
}

// Loads `file` into `store`; a missing or unreadable file adds nothing, as with OpenSSL's
// own default paths, and leaves no error behind.
void load_bundle(X509_STORE *store, const char *file) {
  ERR_set_mark();
  X509_STORE_load_file(store, file);
  ERR_pop_to_mark();
}

} // namespace

bool trust_system_store(SSL_CTX *ctx) noexcept {
  try {
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    if (store == nullptr)
      return false;
    // Where OpenSSL's default paths point: the environment (ignored in set-uid processes, as
    // OpenSSL ignores it there), else the paths OpenSSL was built with.
    const char *named_dir = ::secure_getenv(X509_get_default_cert_dir_env());
    const char *directory = named_dir != nullptr ? named_dir : X509_get_default_cert_dir();
    const char *named_file = ::secure_getenv(X509_get_default_cert_file_env());

    X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
    if (lookup == nullptr)
      return false;
    // A directory that does not exist only finds nothing (OpenSSL looks at lookup time).
    ERR_set_mark();
    X509_LOOKUP_add_dir(lookup, directory, X509_FILETYPE_PEM);
    ERR_pop_to_mark();

    if (named_file != nullptr && !is_built_in_bundle(named_file)) {
      load_bundle(store, named_file);
    } else if (!has_hashed_directory(directory)) {
      load_bundle(store, named_file != nullptr ? named_file : X509_get_default_cert_file());
    }
    return true;
  } catch (...) {
    return false;
  }
}

} // namespace threads::http
