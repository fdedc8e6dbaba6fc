// HTTPS serving: accept loop, TLS handshake, request parsing, and the broken-server deliveries.
#include "https_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <csignal>
#include <stdexcept>
#include <thread>
#include <vector>

namespace sandbox {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

constexpr auto handshake_timeout = std::chrono::seconds(30);
constexpr auto idle_timeout = std::chrono::seconds(120);
constexpr auto write_timeout = std::chrono::seconds(60);
constexpr std::size_t max_body = 32 * 1024 * 1024;

Request to_request(const http::request<http::string_body> &in) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  out.host = std::string(in[http::field::host]);
  out.authorization = std::string(in[http::field::authorization]);
  out.content_type = std::string(in[http::field::content_type]);
  out.body = in.body();
  return out;
}

void abort_connection(Stream &stream) {
  auto &socket = beast::get_lowest_layer(stream).socket();
  boost::system::error_code ignored;
  // SO_LINGER 0 turns close() into a RST: the client sees "connection reset by peer".
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

void close_connection(Stream &stream) {
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(stream).socket().close(ignored);
}

// Status line and headers announcing the whole body, followed by only half of it.
std::string truncated_message(const Reply &reply) {
  std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                    std::string(http::obsolete_reason(static_cast<http::status>(reply.status))) +
                    "\r\nContent-Type: " + reply.content_type + "\r\n";
  for (const auto &[name, value] : reply.headers) {
    out += name + ": " + value + "\r\n";
  }
  const std::size_t full = std::max<std::size_t>(reply.body.size(), 2);
  out += "Content-Length: " + std::to_string(full) + "\r\nConnection: close\r\n\r\n";
  out += reply.body.substr(0, full / 2);
  return out;
}

http::response<http::string_body> to_response(const Reply &reply, unsigned version,
                                              bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(reply.status), version};
  res.set(http::field::server, "threads-sandbox");
  res.set(http::field::content_type, reply.content_type);
  for (const auto &[name, value] : reply.headers) {
    res.insert(name, value);
  }
  res.keep_alive(keep_alive);
  res.body() = reply.body;
  res.prepare_payload();
  return res;
}

} // namespace

struct HttpsServer::Impl {
  asio::io_context ioc;
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  RequestHandler handler;
  unsigned threads = 2;

  Reply answer(const Request &request) {
    try {
      return handler(request);
    } catch (const std::exception &) {
      Reply reply;
      reply.status = 500;
      reply.body =
          R"({"error":{"message":"threads-sandbox internal error","type":"OAuthException","code":1,"is_transient":true}})";
      return reply;
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    Stream stream(std::move(socket), tls);
    try {
      beast::get_lowest_layer(stream).expires_after(handshake_timeout);
      co_await stream.async_handshake(ssl::stream_base::server, asio::use_awaitable);
      beast::flat_buffer buffer;
      for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(64 * 1024);
        parser.body_limit(max_body);
        beast::get_lowest_layer(stream).expires_after(idle_timeout);
        co_await http::async_read_header(stream, buffer, parser, asio::use_awaitable);
        if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          // curl waits a second for this before sending a large body.
          http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
          co_await http::async_write(stream, go_on, asio::use_awaitable);
        }
        co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
        const auto &in = parser.get();
        const Reply reply = answer(to_request(in));
        beast::get_lowest_layer(stream).expires_after(write_timeout);
        switch (reply.delivery) {
        case Delivery::reset:
          abort_connection(stream);
          co_return;
        case Delivery::stall: {
          beast::get_lowest_layer(stream).expires_never();
          asio::steady_timer timer(co_await asio::this_coro::executor);
          timer.expires_after(reply.stall_for);
          co_await timer.async_wait(asio::use_awaitable);
          close_connection(stream);
          co_return;
        }
        case Delivery::truncated: {
          const std::string raw = truncated_message(reply);
          co_await asio::async_write(stream, asio::buffer(raw), asio::use_awaitable);
          close_connection(stream);
          co_return;
        }
        case Delivery::delayed: {
          beast::get_lowest_layer(stream).expires_never();
          asio::steady_timer timer(co_await asio::this_coro::executor);
          timer.expires_after(reply.stall_for);
          co_await timer.async_wait(asio::use_awaitable);
          beast::get_lowest_layer(stream).expires_after(write_timeout);
          break;
        }
        case Delivery::normal:
          break;
        }
        const bool keep_alive = in.keep_alive();
        auto res = to_response(reply, in.version(), keep_alive);
        co_await http::async_write(stream, res, asio::use_awaitable);
        if (!keep_alive) {
          beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
          co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
          co_return;
        }
      }
    } catch (const std::exception &) {
      // The peer left, timed out or broke TLS: there is nobody to answer.
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc),
                                                         asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted) {
        co_return;
      }
      if (ec) {
        // Typically EMFILE under load: wait a little instead of spinning.
        asio::steady_timer pause(ioc, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto executor = socket.get_executor();
      asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
    }
  }
};

HttpsServer::HttpsServer(const std::string &host, unsigned short port, const TlsIdentity &identity,
                         RequestHandler handler, unsigned threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->threads = threads == 0 ? 1 : threads;
  boost::system::error_code ec;
  impl_->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
  SSL_CTX_set_min_proto_version(impl_->tls.native_handle(), TLS1_2_VERSION);
  impl_->tls.use_certificate_chain(asio::buffer(identity.cert_pem), ec);
  if (!ec) {
    impl_->tls.use_private_key(asio::buffer(identity.key_pem), ssl::context::pem, ec);
  }
  if (ec) {
    throw std::runtime_error("loading the generated certificate: " + ec.message());
  }
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    throw std::runtime_error("'" + host + "' is not an IP address");
  }
  const tcp::endpoint endpoint(address, port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    impl_->acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                             ec.message());
  }
  impl_->signals.async_wait([this](const boost::system::error_code &error, int) {
    if (!error) {
      impl_->ioc.stop();
    }
  });
}

HttpsServer::~HttpsServer() = default;

unsigned short HttpsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpsServer::run() {
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < impl_->threads; ++i) {
    workers.emplace_back([this] { impl_->ioc.run(); });
  }
  impl_->ioc.run();
  for (auto &worker : workers) {
    worker.join();
  }
}

} // namespace sandbox
