// A throwaway test CA and a server certificate it signs, generated with OpenSSL at start-up.
#pragma once

#include "expected.hpp"

#include <string>
#include <string_view>

namespace sandbox {

struct TlsIdentity {
  std::string ca_pem;   // the CA certificate clients trust (written to DIR/ca.pem)
  std::string cert_pem; // the server certificate, signed by the CA
  std::string key_pem;  // the server's private key
};

// Fresh P-256 keys every run. With an empty `server_name` the certificate names DNS
// localhost and IP 127.0.0.1; otherwise it names only `server_name` (as an IP address when it
// is one), so a client connecting to 127.0.0.1 or localhost must fail host-name checks.
Expected<TlsIdentity, std::string> generate_tls_identity(std::string_view server_name);

} // namespace sandbox
