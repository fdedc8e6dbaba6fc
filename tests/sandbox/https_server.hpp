// The TLS listener and connection loop: Asio + Beast coroutines, HTTP/1.1 keep-alive.
#pragma once

#include "http_message.hpp"
#include "tls_identity.hpp"

#include <functional>
#include <memory>
#include <string>

namespace sandbox {

// Called on an I/O thread for every request; must be thread-safe.
using RequestHandler = std::function<Reply(const Request &)>;

class HttpsServer {
public:
  // Binds and listens on `host`:`port` (port 0 picks a free one) with TLS 1.2 or newer, and
  // installs the SIGINT/SIGTERM handlers. Throws std::runtime_error naming what failed.
  HttpsServer(const std::string &host, unsigned short port, const TlsIdentity &identity,
              RequestHandler handler, unsigned threads);
  ~HttpsServer();
  HttpsServer(const HttpsServer &) = delete;
  HttpsServer &operator=(const HttpsServer &) = delete;

  unsigned short port() const;

  // Serves on `threads` threads until SIGINT or SIGTERM; then returns promptly, abandoning
  // open connections (stalled ones included).
  void run();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace sandbox
