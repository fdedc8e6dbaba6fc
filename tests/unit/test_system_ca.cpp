// The system CA store as the HTTP client reads it when no ca_file is given: a hashed
// certificate directory alone (the built-in bundle left unread), a bundle named by
// SSL_CERT_FILE always, the built-in bundle when no directory is hashed; real handshakes
// against a loopback TLS server, the store placed with SSL_CERT_DIR and SSL_CERT_FILE as
// OpenSSL's own default paths honour them.
#define BOOST_TEST_MODULE system_ca
#include <boost/test/unit_test.hpp>

#include "http/client.hpp"

#include "test_server.hpp"
#include "text_match.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>

using namespace threads::http;
using namespace std::chrono_literals;
using autohost::test::contains;
using http_test::Reply;
using http_test::ServerOptions;
using http_test::TestPki;
using http_test::TestServer;
namespace fs = std::filesystem;

namespace {

const TestPki &pki() {
  static const TestPki generated = TestPki::generate();
  return generated;
}

// The name OpenSSL's hashed directory gives the test CA: its subject hash, ".0".
std::string hashed_name(const std::string &pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), -1), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert)
    throw std::runtime_error("cannot read the test CA");
  std::array<char, 16> name{};
  std::snprintf(name.data(), name.size(), "%08lx.0",
                X509_NAME_hash_ex(X509_get_subject_name(cert.get()), nullptr, nullptr, nullptr));
  return name.data();
}

// A system store of the test's own: a hashed directory and a bundle file in a private
// temporary directory, named by SSL_CERT_DIR and SSL_CERT_FILE while it lives.
class SystemStore {
public:
  // With `name_bundle`, SSL_CERT_FILE names bundle(); without, it is unset and OpenSSL's
  // built-in bundle is the one that applies.
  explicit SystemStore(bool name_bundle = true) {
    std::string pattern = (fs::temp_directory_path() / "autohost-system-ca-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
    fs::create_directory(directory());
    ::setenv("SSL_CERT_DIR", directory().c_str(), 1);
    if (name_bundle)
      ::setenv("SSL_CERT_FILE", bundle().c_str(), 1);
    else
      ::unsetenv("SSL_CERT_FILE");
  }
  SystemStore(const SystemStore &) = delete;
  SystemStore &operator=(const SystemStore &) = delete;
  ~SystemStore() {
    ::unsetenv("SSL_CERT_DIR");
    ::unsetenv("SSL_CERT_FILE");
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  fs::path directory() const { return root_ / "certs"; }
  fs::path bundle() const { return root_ / "bundle.pem"; }
  void put_in_directory(const std::string &pem) const {
    std::ofstream(directory() / hashed_name(pem)) << pem;
  }
  void write_bundle(const std::string &pems) const { std::ofstream(bundle()) << pems; }

private:
  fs::path root_;
};

// Counts the times a file is opened, with inotify.
class OpenCounter {
public:
  explicit OpenCounter(const fs::path &file) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ < 0 || ::inotify_add_watch(fd_, file.c_str(), IN_OPEN) < 0)
      throw std::runtime_error("cannot watch " + file.string());
  }
  OpenCounter(const OpenCounter &) = delete;
  OpenCounter &operator=(const OpenCounter &) = delete;
  ~OpenCounter() { ::close(fd_); }

  int opens() {
    alignas(inotify_event) std::array<char, 4096> buffer{};
    while (::poll(std::array{pollfd{fd_, POLLIN, 0}}.data(), 1, 0) > 0) {
      const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
      for (ssize_t at = 0; at < n;) {
        const auto *event = reinterpret_cast<const inotify_event *>(buffer.data() + at);
        if ((event->mask & IN_OPEN) != 0)
          ++opens_;
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    return opens_;
  }

private:
  int fd_;
  int opens_ = 0;
};

Client system_store_client() {
  ClientOptions options;
  options.proxy = ProxyConfig{};
  options.connect_timeout = 2s;
  options.request_timeout = 2s;
  options.total_timeout = 10s;
  auto client = Client::create(std::move(options));
  if (!client)
    BOOST_FAIL("Client::create failed: " << client.error().message);
  return std::move(*client);
}

int status_of(const Result<Response> &r) {
  if (!r)
    BOOST_FAIL("expected a response, got " << r.error().message);
  return r->status;
}

Request get(std::string url) {
  Request r;
  r.url = std::move(url);
  return r;
}

ServerOptions tls_server() { return ServerOptions{true, &pki().localhost, false}; }

} // namespace

// OpenSSL's built-in bundle, watched when this machine has one (a minimal Debian may not).
std::optional<OpenCounter> built_in_bundle_opens() {
  std::error_code ec;
  if (!fs::exists(X509_get_default_cert_file(), ec))
    return std::nullopt;
  return std::make_optional<OpenCounter>(X509_get_default_cert_file());
}

BOOST_AUTO_TEST_CASE(a_hashed_directory_alone_answers_and_the_built_in_bundle_is_not_read) {
  const SystemStore store(false);
  store.put_in_directory(pki().ca_pem);
  // A list, as SSL_CERT_DIR may be: a missing directory first.
  ::setenv("SSL_CERT_DIR", ("/nonexistent/certs:" + store.directory().string()).c_str(), 1);
  auto built_in = built_in_bundle_opens();
  TestServer server(tls_server(), [](const auto &) { return Reply::ok(); });
  Client client = system_store_client();
  BOOST_TEST(status_of(client.send(get(server.url("/x")))) == 200);
  if (built_in)
    BOOST_TEST(built_in->opens() == 0);
}

BOOST_AUTO_TEST_CASE(naming_the_built_in_bundle_is_the_same_as_not_naming_it) {
  auto built_in = built_in_bundle_opens();
  if (!built_in) {
    BOOST_TEST_MESSAGE("no built-in bundle on this machine: nothing to name");
    return;
  }
  const SystemStore store;
  store.put_in_directory(pki().ca_pem);
  // By a link of its own, as /etc/ssl/certs/ca-certificates.crt names /usr/lib/ssl/cert.pem.
  fs::create_symlink(fs::canonical(X509_get_default_cert_file()), store.bundle());
  TestServer server(tls_server(), [](const auto &) { return Reply::ok(); });
  Client client = system_store_client();
  BOOST_TEST(status_of(client.send(get(server.url("/x")))) == 200);
  BOOST_TEST(built_in->opens() == 0);
}

BOOST_AUTO_TEST_CASE(without_a_hashed_directory_the_built_in_bundle_is_read) {
  const SystemStore store(false);
  std::ofstream(store.directory() / "not-hashed.pem") << pki().ca_pem;
  auto built_in = built_in_bundle_opens();
  TestServer server(tls_server(), [](const auto &) { return Reply::ok(); });
  Client client = system_store_client();
  // The built-in bundle does not know the test CA, and a file without a hashed name is
  // never looked at.
  const Result<Response> refused = client.send(get(server.url("/x")));
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST(contains(refused.error().message, "unable to get local issuer certificate"));
  if (built_in)
    BOOST_TEST(built_in->opens() == 1);
  else
    BOOST_TEST_MESSAGE("no built-in bundle on this machine: its reading is not observed");
}

BOOST_AUTO_TEST_CASE(a_bundle_named_by_ssl_cert_file_is_read_once_beside_a_hashed_directory) {
  const SystemStore store;
  store.put_in_directory(pki().wrong_host.certificate_pem);
  // The CA after another certificate: the whole bundle is read, not its first entry.
  store.write_bundle(pki().wrong_host.certificate_pem + pki().ca_pem);
  OpenCounter bundle_opens(store.bundle());
  TestServer first(tls_server(), [](const auto &) { return Reply::ok(); });
  TestServer second(tls_server(), [](const auto &) { return Reply::ok(); });
  Client client = system_store_client();
  BOOST_TEST(status_of(client.send(get(first.url("/x")))) == 200);
  BOOST_TEST(status_of(client.send(get(second.url("/x")))) == 200);
  BOOST_TEST(first.connections() == 1U);
  BOOST_TEST(second.connections() == 1U);
  BOOST_TEST(bundle_opens.opens() == 1);
}

BOOST_AUTO_TEST_CASE(an_issuer_in_neither_place_is_refused_and_named) {
  const SystemStore store;
  store.put_in_directory(pki().wrong_host.certificate_pem);
  store.write_bundle(pki().wrong_host.certificate_pem);
  TestServer server(tls_server(), [](const auto &) { return Reply::ok(); });
  Client client = system_store_client();
  const Result<Response> refused = client.send(get(server.url("/x")));
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST((refused.error().kind == ErrorKind::tls));
  BOOST_TEST(contains(refused.error().message,
                      "certificate verify failed: unable to get local issuer certificate"));
  BOOST_TEST(server.requests().empty());
}

BOOST_AUTO_TEST_CASE(a_missing_directory_and_bundle_refuse_the_peer_not_the_client) {
  const SystemStore store;
  fs::remove(store.directory());
  TestServer server(tls_server(), [](const auto &) { return Reply::ok(); });
  Client client = system_store_client();
  const Result<Response> refused = client.send(get(server.url("/x")));
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST(contains(refused.error().message, "certificate verify failed"));
  // Trusting the CA afterwards is seen by the next handshake: the directory is read at
  // lookup time (the named bundle, missing, added nothing when the client was made).
  fs::create_directory(store.directory());
  store.put_in_directory(pki().ca_pem);
  BOOST_TEST(status_of(client.send(get(server.url("/y")))) == 200);
}
