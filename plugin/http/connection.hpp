// One HTTP/1.1 connection (TLS or plain, direct or through a CONNECT tunnel): opening it
// and running one request/response exchange on it.
#pragma once

#include "http/executor.hpp"
#include "http/message.hpp"
#include "http/proxy.hpp"
#include "http/request_control.hpp"
#include "http/url.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace threads::http {

class Connection {
public:
  Connection(const Executor &executor, boost::asio::ssl::context &tls_context, bool tls,
             std::uint64_t id);

  // Plain connections use only the lowest layer of the TLS stream; one type keeps the pool
  // and the exchange code free of variants.
  boost::asio::ssl::stream<TcpStream> stream;
  boost::beast::flat_buffer buffer;
  bool tls;
  std::uint64_t id;
  Clock::time_point idle_since{};

  TcpStream &tcp() noexcept { return stream.next_layer(); }

  // False when the connection is closed or holds unread bytes, or (with `probe`) when the
  // peer has closed it or sent something unsolicited while it sat idle, which takes a
  // system call to see: checked before reuse so a request is not written into a dead socket.
  bool usable(bool probe) noexcept;
  void close() noexcept;
};

struct ConnectSpec {
  const Target &target;
  const ProxyEndpoint *proxy; // null for a direct connection
  const std::string &user_agent;
  std::chrono::milliseconds connect_timeout;
  Clock::time_point deadline; // the whole call's
};

// Resolves, connects, opens the proxy tunnel and completes the TLS handshake, all within
// connect_timeout (and the deadline).
Awaitable<Outcome<std::unique_ptr<Connection>>>
open_connection(boost::asio::ssl::context &tls_context, ConnectSpec spec, RequestControl &control,
                std::uint64_t id);

struct ExchangeSpec {
  Method method;        // with `url`, named in messages by describe_request (redacted)
  std::string_view url; // as requested: never shown other than through describe_request
  std::size_t max_body;
  bool head;
  std::chrono::milliseconds request_timeout;
  Clock::time_point deadline;
  bool reused; // the connection served an earlier request
};

struct Exchanged {
  Response response;
  bool keep_alive = false; // the connection may serve another request
};

// Writes `request` (the bytes of request_text) and reads the complete response within
// request_timeout (and deadline), both enforced by the watchdog that `control` is registered with
// (watchdog.hpp).
Awaitable<Outcome<Exchanged>> exchange(Connection &connection, std::string_view request,
                                       ExchangeSpec spec, RequestControl &control);

// Asio looks names up on a thread of its own, which it starts at an executor's first lookup;
// a lookup that cannot start it (no thread to be had, as under systemd's TasksMax) never
// completes, and its caller would wait for ever. This starts that thread for `executor`'s
// context at once, or throws (boost::system::system_error), so that no lane goes without it.
void start_name_resolution(const Executor &executor);

} // namespace threads::http
