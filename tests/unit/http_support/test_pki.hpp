// Throw-away certificates for the HTTP tests, made with the OpenSSL API when a test starts.
#pragma once

#include <string>

namespace http_test {

struct Identity {
  std::string certificate_pem; // leaf certificate
  std::string key_pem;
};

struct TestPki {
  std::string ca_pem;  // the test CA that clients are told to trust
  Identity localhost;  // SAN localhost and 127.0.0.1, issued by the test CA
  Identity wrong_host; // SAN wrong-host.invalid, issued by the test CA
  Identity unknown_ca; // SAN localhost, issued by a CA nobody trusts

  // EC P-256 keys, valid from an hour ago for a day. Throws std::runtime_error when OpenSSL
  // fails (test code only).
  static TestPki generate();
};

} // namespace http_test
