// The system store read on demand: OpenSSL's hashed-directory lookup, then the bundle file
// through a lookup method of our own that parses it at its first miss.
#include "http/system_ca.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

namespace threads::http {
namespace {

// Where OpenSSL's default paths point: the environment (ignored in set-uid processes, as
// OpenSSL ignores it there), else the paths OpenSSL was built with.
const char *default_path(const char *env_name, const char *built_in) {
  const char *value = ::secure_getenv(env_name);
  return value != nullptr ? value : built_in;
}

// One per lookup: the bundle to read and whether it was read.
struct LazyBundle {
  std::string file;
  std::once_flag read;
};

LazyBundle *bundle_of(X509_LOOKUP *lookup) {
  return static_cast<LazyBundle *>(X509_LOOKUP_get_method_data(lookup));
}

void free_bundle(X509_LOOKUP *lookup) {
  delete bundle_of(lookup); // NOLINT(cppcoreguidelines-owning-memory): OpenSSL holds it raw
}

// Called by the verifier when neither the store nor the directory knows `name`: reads the
// bundle into the store once (a missing or unreadable bundle adds nothing, as with OpenSSL's
// own default paths), then answers from the store. Like OpenSSL's lookups, it hands back
// the store's object without a reference of its own; the verifier takes one.
int find_in_bundle(X509_LOOKUP *lookup, X509_LOOKUP_TYPE type, const X509_NAME *name,
                   X509_OBJECT *found) {
  LazyBundle *bundle = bundle_of(lookup);
  X509_STORE *store = X509_LOOKUP_get_store(lookup);
  if (bundle == nullptr || store == nullptr || type != X509_LU_X509)
    return 0;
  std::call_once(bundle->read, [&] {
    ERR_set_mark();
    X509_load_cert_crl_file(lookup, bundle->file.c_str(), X509_FILETYPE_PEM);
    ERR_pop_to_mark();
  });
  if (X509_STORE_lock(store) != 1)
    return 0;
  int ok = 0;
  if (X509_OBJECT *known =
          X509_OBJECT_retrieve_by_subject(X509_STORE_get0_objects(store), type, name)) {
    X509 *certificate = X509_OBJECT_get0_X509(known);
    ok = X509_OBJECT_set1_X509(found, certificate);
    if (ok == 1)
      X509_free(certificate); // the store's reference is the one that keeps it
  }
  X509_STORE_unlock(store);
  return ok;
}

const X509_LOOKUP_METHOD *lazy_bundle_method() {
  static const std::unique_ptr<X509_LOOKUP_METHOD, decltype(&X509_LOOKUP_meth_free)> method = [] {
    std::unique_ptr<X509_LOOKUP_METHOD, decltype(&X509_LOOKUP_meth_free)> made(
        X509_LOOKUP_meth_new("autohost lazy CA bundle"), &X509_LOOKUP_meth_free);
    if (made && (X509_LOOKUP_meth_set_free(made.get(), &free_bundle) != 1 ||
                 X509_LOOKUP_meth_set_get_by_subject(made.get(), &find_in_bundle) != 1)) {
      made.reset();
    }
    return made;
  }();
  return method.get();
}

} // namespace

bool trust_system_store(SSL_CTX *ctx) noexcept {
  try {
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    const X509_LOOKUP_METHOD *lazy = lazy_bundle_method();
    if (store == nullptr || lazy == nullptr)
      return false;
    X509_LOOKUP *directory = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
    if (directory == nullptr)
      return false;
    // A directory that does not exist only finds nothing (OpenSSL checks at lookup time).
    ERR_set_mark();
    X509_LOOKUP_add_dir(directory,
                        default_path(X509_get_default_cert_dir_env(), X509_get_default_cert_dir()),
                        X509_FILETYPE_PEM);
    ERR_pop_to_mark();
    auto bundle = std::make_unique<LazyBundle>();
    bundle->file = default_path(X509_get_default_cert_file_env(), X509_get_default_cert_file());
    // OpenSSL keeps the method by pointer and never changes it; the API is not const.
    X509_LOOKUP *file = X509_STORE_add_lookup(store, const_cast<X509_LOOKUP_METHOD *>(lazy));
    if (file == nullptr || X509_LOOKUP_set_method_data(file, bundle.get()) != 1)
      return false;
    bundle.release(); // NOLINT(bugprone-unused-return-value): the lookup owns it now
    return true;
  } catch (...) {
    return false;
  }
}

} // namespace threads::http
