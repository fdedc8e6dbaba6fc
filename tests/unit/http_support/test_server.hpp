// A scriptable HTTP/1.1 server (TLS or plain) on loopback, for the HTTP client tests.
#pragma once

#include "test_pki.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace http_test {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::size_t connection = 0; // 1-based index of the TCP connection it came on
  std::chrono::steady_clock::time_point at;

  // The first header called `name` (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

// What the server does with one request.
struct Reply {
  enum class Kind {
    respond,  // a normal response
    reset,    // RST the connection (SO_LINGER 0) without answering
    stall,    // never answer; hold the connection until the client gives up
    truncate, // announce Content-Length: declared_length, send `body`, then drop the TCP link
    raw,      // send `body` as it is (status line and headers included); close if `close`
  };
  Kind kind = Kind::respond;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;      // answer with Connection: close and close afterwards
  bool drop_after = false; // answer with keep-alive, then close the socket anyway
  std::size_t declared_length = 0;

  static Reply ok(std::string body = "ok") {
    Reply r;
    r.body = std::move(body);
    return r;
  }
  static Reply status_with(int status, std::vector<std::pair<std::string, std::string>> headers) {
    Reply r;
    r.status = status;
    r.headers = std::move(headers);
    r.body = "status " + std::to_string(status);
    return r;
  }
  static Reply raw_bytes(std::string bytes, bool close = false) {
    Reply r;
    r.kind = Kind::raw;
    r.body = std::move(bytes);
    r.close = close;
    return r;
  }
  static Reply of(Kind kind) {
    Reply r;
    r.kind = kind;
    return r;
  }
};

using Handler = std::function<Reply(const ReceivedRequest &)>;

struct ServerOptions {
  bool tls = true;
  // The certificate to present (TLS only); the caller keeps it alive.
  const Identity *identity = nullptr;
  // Accept TCP connections but never start the TLS handshake.
  bool stall_handshake = false;
};

// Listens on 127.0.0.1 on a free port and serves on its own thread. The handler runs on
// that thread, one request at a time.
class TestServer {
public:
  TestServer(ServerOptions options, Handler handler);
  ~TestServer();
  TestServer(const TestServer &) = delete;
  TestServer &operator=(const TestServer &) = delete;

  std::uint16_t port() const;
  // "https://localhost:<port><path>" (or http:// without TLS).
  std::string url(std::string_view path, std::string_view host = "localhost") const;
  std::size_t connections() const;
  std::vector<ReceivedRequest> requests() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An HTTP CONNECT proxy on 127.0.0.1 that tunnels bytes to the requested host:port.
class TestProxy {
public:
  // With `required_authorization` ("Basic ..."), other requests get 407.
  explicit TestProxy(std::string required_authorization = {});
  ~TestProxy();
  TestProxy(const TestProxy &) = delete;
  TestProxy &operator=(const TestProxy &) = delete;

  std::uint16_t port() const;
  // Every CONNECT target seen ("localhost:1234"), and the Proxy-Authorization sent with it.
  std::vector<std::string> targets() const;
  std::vector<std::string> authorizations() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace http_test
