// The scriptable loopback HTTP server and CONNECT proxy, on Asio coroutines.
#include "test_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <atomic>
#include <mutex>
#include <thread>

namespace http_test {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using net::ip::tcp;

auto nothrow(error_code &ec) { return net::redirect_error(net::use_awaitable, ec); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Owns an io_context and the thread that runs it; stopping abandons whatever is pending.
struct Loop {
  net::io_context io{1};
  std::thread thread;
  void start() {
    thread = std::thread([this] { io.run(); });
  }
  void stop() {
    io.stop();
    if (thread.joinable()) {
      thread.join();
    }
  }
};

tcp::acceptor listen_on_loopback(net::io_context &io) {
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return acceptor;
}

// Waits until the peer closes (or the loop stops), ignoring anything it sends.
net::awaitable<void> hold_open(tcp::socket &socket) {
  std::array<char, 1024> sink{};
  error_code ec;
  while (!ec) {
    co_await socket.async_read_some(net::buffer(sink), nothrow(ec));
  }
}

} // namespace

std::string ReceivedRequest::header(std::string_view name) const {
  for (const auto &[n, v] : headers) {
    if (iequals(n, name)) {
      return v;
    }
  }
  return {};
}

struct TestServer::Impl {
  Impl(ServerOptions o, Handler h)
      : options(o), handler(std::move(h)), tls(net::ssl::context::tls_server),
        acceptor(listen_on_loopback(loop.io)) {
    if (options.tls) {
      const Identity &id = *options.identity;
      tls.use_certificate_chain(net::buffer(id.certificate_pem));
      tls.use_private_key(net::buffer(id.key_pem), net::ssl::context::pem);
    }
    net::co_spawn(loop.io, accept_loop(), net::detached);
    loop.start();
  }
  ~Impl() { loop.stop(); }

  net::awaitable<void> accept_loop() {
    while (true) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(nothrow(ec));
      if (ec) {
        co_return;
      }
      const std::size_t index = ++accepted;
      net::co_spawn(loop.io, session(std::move(socket), index), net::detached);
    }
  }

  net::awaitable<void> session(tcp::socket socket, std::size_t index) {
    if (options.stall_handshake) {
      co_await hold_open(socket);
      co_return;
    }
    if (!options.tls) {
      co_await serve(socket, index);
      co_return;
    }
    net::ssl::stream<tcp::socket> stream(std::move(socket), tls);
    error_code ec;
    co_await stream.async_handshake(net::ssl::stream_base::server, nothrow(ec));
    if (!ec) {
      co_await serve(stream, index);
    }
  }

  template <class Stream> net::awaitable<void> serve(Stream &stream, std::size_t index) {
    beast::flat_buffer buffer;
    tcp::socket &socket = beast::get_lowest_layer(stream);
    while (true) {
      bhttp::request<bhttp::string_body> request;
      error_code ec;
      co_await bhttp::async_read(stream, buffer, request, nothrow(ec));
      if (ec) {
        co_return;
      }
      ReceivedRequest received;
      received.method = std::string(request.method_string());
      received.target = std::string(request.target());
      for (const auto &field : request) {
        received.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      received.body = request.body();
      received.connection = index;
      received.at = std::chrono::steady_clock::now();
      {
        const std::lock_guard lock(mutex);
        log.push_back(received);
      }
      const Reply reply = handler(received);
      switch (reply.kind) {
      case Reply::Kind::reset:
        socket.set_option(net::socket_base::linger(true, 0), ec);
        socket.close(ec);
        co_return;
      case Reply::Kind::stall:
        co_await hold_open(socket);
        co_return;
      case Reply::Kind::truncate: {
        std::string raw = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                          std::to_string(reply.declared_length) + "\r\n\r\n" + reply.body;
        co_await net::async_write(stream, net::buffer(raw), nothrow(ec));
        socket.close(ec); // no close_notify: a cut, not an orderly end
        co_return;
      }
      case Reply::Kind::raw:
        co_await net::async_write(stream, net::buffer(reply.body), nothrow(ec));
        if (ec || reply.close) {
          socket.close(ec);
          co_return;
        }
        continue;
      case Reply::Kind::respond:
        break;
      }
      bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(reply.status), 11};
      for (const auto &[name, value] : reply.headers) {
        response.set(name, value);
      }
      response.body() = reply.body;
      response.keep_alive(request.keep_alive() && !reply.close);
      response.prepare_payload();
      co_await bhttp::async_write(stream, response, nothrow(ec));
      if (ec || !response.keep_alive() || reply.drop_after) {
        socket.close(ec);
        co_return;
      }
    }
  }

  ServerOptions options;
  Handler handler;
  net::ssl::context tls; // outlives the loop, whose pending sessions hold streams on it
  Loop loop;
  tcp::acceptor acceptor;
  std::atomic<std::size_t> accepted{0};
  mutable std::mutex mutex;
  std::vector<ReceivedRequest> log;
};

TestServer::TestServer(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(options, std::move(handler))) {}
TestServer::~TestServer() = default;

std::uint16_t TestServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string TestServer::url(std::string_view path, std::string_view host) const {
  return std::string(impl_->options.tls ? "https://" : "http://") + std::string(host) + ":" +
         std::to_string(port()) + std::string(path);
}

std::size_t TestServer::connections() const { return impl_->accepted.load(); }

std::vector<ReceivedRequest> TestServer::requests() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->log;
}

namespace {

// Copies bytes one way until either side ends, then half-closes the destination.
net::awaitable<void> pump(std::shared_ptr<std::pair<tcp::socket, tcp::socket>> pair,
                          bool downstream_to_upstream) {
  tcp::socket &from = downstream_to_upstream ? pair->first : pair->second;
  tcp::socket &to = downstream_to_upstream ? pair->second : pair->first;
  std::array<char, 16384> chunk{};
  while (true) {
    error_code ec;
    const std::size_t n = co_await from.async_read_some(net::buffer(chunk), nothrow(ec));
    if (ec) {
      to.shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
    co_await net::async_write(to, net::buffer(chunk.data(), n), nothrow(ec));
    if (ec) {
      co_return;
    }
  }
}

} // namespace

struct TestProxy::Impl {
  explicit Impl(std::string required)
      : required_authorization(std::move(required)), acceptor(listen_on_loopback(loop.io)) {
    net::co_spawn(loop.io, accept_loop(), net::detached);
    loop.start();
  }
  ~Impl() { loop.stop(); }

  net::awaitable<void> accept_loop() {
    while (true) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(nothrow(ec));
      if (ec) {
        co_return;
      }
      net::co_spawn(loop.io, session(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> session(tcp::socket downstream) {
    beast::flat_buffer buffer;
    bhttp::request<bhttp::empty_body> request;
    error_code ec;
    co_await bhttp::async_read(downstream, buffer, request, nothrow(ec));
    if (ec) {
      co_return;
    }
    const std::string target(request.target());
    const std::string authorization(request[bhttp::field::proxy_authorization]);
    {
      const std::lock_guard lock(mutex);
      seen_targets.push_back(target);
      seen_authorizations.push_back(authorization);
    }
    if (request.method() != bhttp::verb::connect ||
        (!required_authorization.empty() && authorization != required_authorization)) {
      std::string refusal = "HTTP/1.1 407 Proxy Authentication Required\r\n"
                            "Proxy-Authenticate: Basic realm=\"test\"\r\n"
                            "Content-Length: 0\r\nConnection: close\r\n\r\n";
      co_await net::async_write(downstream, net::buffer(refusal), nothrow(ec));
      co_return;
    }
    const auto colon = target.rfind(':');
    std::string host = target.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') {
      host = host.substr(1, host.size() - 2);
    }
    tcp::resolver resolver(loop.io);
    auto endpoints = co_await resolver.async_resolve(host, target.substr(colon + 1), nothrow(ec));
    auto pair = std::make_shared<std::pair<tcp::socket, tcp::socket>>(std::move(downstream),
                                                                      tcp::socket(loop.io));
    if (!ec) {
      co_await net::async_connect(pair->second, endpoints, nothrow(ec));
    }
    if (ec) {
      std::string failure = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
      co_await net::async_write(pair->first, net::buffer(failure), nothrow(ec));
      co_return;
    }
    std::string established = "HTTP/1.1 200 Connection established\r\n\r\n";
    co_await net::async_write(pair->first, net::buffer(established), nothrow(ec));
    if (buffer.size() != 0) {
      co_await net::async_write(pair->second, buffer.data(), nothrow(ec));
    }
    net::co_spawn(loop.io, pump(pair, false), net::detached);
    co_await pump(pair, true);
  }

  std::string required_authorization;
  Loop loop;
  tcp::acceptor acceptor;
  mutable std::mutex mutex;
  std::vector<std::string> seen_targets;
  std::vector<std::string> seen_authorizations;
};

TestProxy::TestProxy(std::string required_authorization)
    : impl_(std::make_unique<Impl>(std::move(required_authorization))) {}
TestProxy::~TestProxy() = default;

std::uint16_t TestProxy::port() const { return impl_->acceptor.local_endpoint().port(); }

std::vector<std::string> TestProxy::targets() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->seen_targets;
}

std::vector<std::string> TestProxy::authorizations() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->seen_authorizations;
}

} // namespace http_test
