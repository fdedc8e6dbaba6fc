// Serving /metrics and /healthz with Boost.Beast on one I/O thread.
#include "daemon/metrics_server.hpp"

#include "errors.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <charconv>
#include <thread>

namespace autohost::daemon {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<ListenAddress> parse_listen_address(std::string_view text, std::string_view flag) {
  const auto bad = [&](std::string_view why) {
    return host::make_error(AH_INVALID_INPUT, "invalid_input",
                            std::string(flag) + " '" + std::string(text) + "': " +
                                std::string(why) + " (expected PORT, ADDR:PORT or [IPv6]:PORT)");
  };
  ListenAddress out{"127.0.0.1", 0};
  std::string_view port = text;
  if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    std::string_view address = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
      address = address.substr(1, address.size() - 2);
    boost::system::error_code ec;
    asio::ip::make_address(std::string(address), ec);
    if (ec || address.empty())
      return bad("the address is not an IP address");
    out.address = std::string(address);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
    return bad("the port is not a number from 0 to 65535");
  out.port = static_cast<unsigned short>(value);
  return out;
}

struct MetricsServer::Impl {
  // Before `io`: sessions that the io_context destroys at the end still count down `open`.
  MetricsPages pages;
  std::atomic<int> open{0};
  std::string bound;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;

  void accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
public:
  Session(tcp::socket socket, MetricsServer::Impl &server)
      : stream_(std::move(socket)), server_(server) {
    ++server_.open;
  }
  ~Session() { --server_.open; }
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  void start() {
    parser_.header_limit(MetricsServer::max_request_bytes);
    parser_.body_limit(MetricsServer::max_request_bytes);
    // A client that sends nothing (or trickles) is dropped instead of holding a slot.
    stream_.expires_after(std::chrono::seconds(5));
    http::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::header_limit || ec == http::error::body_limit ||
        ec == http::error::buffer_overflow) {
      return reply(Page{431, "text/plain; charset=utf-8", "request too large\n"}, false);
    }
    if (ec)
      return; // closed, timed out or not HTTP: nothing to answer
    const auto &request = parser_.get();
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    reply(page_for(request.method(), path), request.method() == http::verb::head);
  }

  Page page_for(http::verb method, std::string_view path) const {
    if (method != http::verb::get && method != http::verb::head)
      return Page{405, "text/plain; charset=utf-8", "only GET\n"};
    try {
      if (path == "/metrics")
        return server_.pages.metrics();
      if (path == "/healthz")
        return server_.pages.health();
    } catch (const std::exception &e) {
      return Page{500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n"};
    }
    return Page{404, "text/plain; charset=utf-8", "not found; see /metrics and /healthz\n"};
  }

  void reply(Page page, bool head) {
    response_.result(static_cast<unsigned>(page.status));
    response_.version(11);
    response_.set(http::field::server, "autohost");
    response_.set(http::field::content_type, page.content_type);
    response_.keep_alive(false);
    response_.body() = head ? std::string() : std::move(page.body);
    response_.prepare_payload();
    stream_.expires_after(std::chrono::seconds(5));
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                      });
  }

  beast::tcp_stream stream_;
  MetricsServer::Impl &server_;
  beast::flat_buffer buffer_{MetricsServer::max_request_bytes};
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> response_;
};

} // namespace

void MetricsServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted)
      return;
    if (!ec) {
      if (open.load() >= MetricsServer::max_connections) {
        // Over the bound: closed at once rather than queued.
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Session>(std::move(socket), *this)->start();
      }
    }
    accept();
  });
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() {
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
  impl_->io.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const ListenAddress &where,
                                                            MetricsPages pages) {
  auto impl = std::make_unique<Impl>();
  impl->pages = std::move(pages);
  beast::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address(where.address, ec), where.port);
  auto &acceptor = impl->acceptor;
  if (!ec)
    acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(MetricsServer::max_connections, ec);
  if (ec) {
    return host::make_error(AH_INVALID_INPUT, "metrics_bind",
                            "--metrics: cannot listen on " + where.address + ":" +
                                std::to_string(where.port) + ": " + ec.message());
  }
  const auto local = acceptor.local_endpoint(ec);
  impl->bound = (local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                         : local.address().to_string()) +
                ":" + std::to_string(local.port());
  impl->accept();
  Impl *raw = impl.get();
  impl->thread = std::thread([raw] {
    try {
      raw->io.run();
    } catch (...) { // NOLINT(bugprone-empty-catch): out of memory ends the server, not the daemon
    }
  });
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

std::string MetricsServer::bound() const { return impl_->bound; }

} // namespace autohost::daemon
