// Opening connections (DNS, TCP, proxy tunnel, TLS) and one request/response exchange.
#include "http/connection.hpp"

#include "http/happy_eyeballs.hpp"
#include "http/redact.hpp"
#include "http/tls_context.hpp"
#include "http/watchdog.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <iterator>
#include <optional>
#include <tuple>

namespace threads::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using net::ip::tcp;

// Graph API headers are small; 64 KiB leaves room for large proxies' and CDNs' additions
// while still bounding memory (Beast's default of 8 KiB is too tight for some CDNs).
constexpr std::uint32_t max_header_bytes = 64 * 1024;

// Operations complete with a tuple (error first) instead of throwing. A deferred operation is
// awaited as it is, where use_awaitable would wrap each in a coroutine frame of its own.
constexpr auto no_throw = net::as_tuple(net::deferred);

// A step's own time limit and the call's deadline; whichever comes first applies, and an
// expiry is reported under the name of the one that bound.
struct StepClock {
  Clock::time_point step;
  Clock::time_point total;
  [[nodiscard]] Clock::time_point expiry() const { return std::min(step, total); }
  [[nodiscard]] bool total_binds() const { return total <= step; }
};

std::string in_ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

bool interrupted(const error_code &ec) {
  return ec == beast::error::timeout || ec == net::error::operation_aborted;
}

// The peer went away: end of stream, reset, or a TLS stream cut without close_notify.
bool is_connection_loss(const error_code &ec) {
  return ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
         ec == net::error::bad_descriptor || ec == net::ssl::error::stream_truncated ||
         ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message;
}

bool is_http_parse_error(const error_code &ec) {
  return &ec.category() == &bhttp::make_error_code(bhttp::error::bad_version).category();
}

bool is_ip_literal(std::string_view host) {
  error_code ec;
  (void)net::ip::make_address(host, ec);
  return !ec;
}

Failure exchange_failure(const error_code &ec, const ExchangeSpec &spec, const StepClock &clock,
                         const RequestControl &control, bool got_response_bytes, bool header_done) {
  // Once the first request byte is written the server may act on it.
  const Delivery sent = Delivery::maybe_sent;
  const std::string what = describe_request(spec.method, spec.url);
  if (control.cancelled) {
    return make_failure(ErrorKind::cancelled, "cancelled while waiting for the response to " + what,
                        sent, Transience::permanent);
  }
  // After the watchdog's close the error may be any of several (aborted, bad descriptor).
  if (control.timed_out || interrupted(ec)) {
    if (clock.total_binds()) {
      return make_failure(ErrorKind::timeout,
                          "total timeout: the deadline passed while waiting for the response to " +
                              what,
                          sent, Transience::permanent);
    }
    return make_failure(ErrorKind::timeout,
                        "read timeout: no complete response to " + what + " within " +
                            in_ms(spec.request_timeout),
                        sent, Transience::transient);
  }
  if (ec == bhttp::error::body_limit) {
    return make_failure(ErrorKind::response_too_large,
                        "response to " + what + " exceeds max_response_bytes (" +
                            std::to_string(spec.max_body) + " bytes)",
                        sent, Transience::permanent);
  }
  if (ec == bhttp::error::header_limit) {
    return make_failure(ErrorKind::malformed_response,
                        "response header of " + what + " exceeds " +
                            std::to_string(max_header_bytes) + " bytes",
                        sent, Transience::permanent);
  }
  if (is_connection_loss(ec)) {
    if (!got_response_bytes) {
      const bool reset = ec == net::error::connection_reset || ec == net::error::broken_pipe;
      Failure f = make_failure(ErrorKind::reset,
                               std::string("connection ") + (reset ? "reset" : "closed") +
                                   " by the server before the response to " + what + " (" +
                                   ec.message() + ")",
                               sent, Transience::transient);
      f.stale_connection = spec.reused;
      return f;
    }
    return make_failure(ErrorKind::malformed_response,
                        "response to " + what + " was truncated: the connection closed " +
                            (header_done ? "before the end of the body" : "inside the header") +
                            " (" + ec.message() + ")",
                        sent, Transience::transient);
  }
  if (is_http_parse_error(ec)) {
    return make_failure(ErrorKind::malformed_response,
                        "invalid HTTP response to " + what + ": " + ec.message(), sent,
                        Transience::permanent);
  }
  return make_failure(ErrorKind::reset, "I/O error during " + what + ": " + ec.message(), sent,
                      Transience::transient);
}

// Parses a response straight into a Response: its fields are copied once, where a
// beast::http::response would hold each in a node of its own first.
class ResponseParser final : public bhttp::basic_parser<false> {
public:
  Response response;

private:
  void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int,
                       error_code &) override {}
  void on_response_impl(int code, beast::string_view, int, error_code &) override {
    response.status = code;
    response.headers.reserve(16); // one allocation for a usual answer's fields, not four
  }
  void on_field_impl(bhttp::field, beast::string_view name, beast::string_view value,
                     error_code &) override {
    response.headers.add(std::string(name), std::string(value));
  }
  void on_header_impl(error_code &) override {}
  // The parser has checked a declared length against its body limit (and counts what comes).
  void on_body_init_impl(const boost::optional<std::uint64_t> &length, error_code &) override {
    if (length) {
      response.body.reserve(static_cast<std::size_t>(*length));
    }
  }
  std::size_t on_body_impl(beast::string_view body, error_code &) override {
    response.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code &) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code &) override {
    response.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code &) override {}
};

template <class Stream>
Awaitable<Outcome<Exchanged>> exchange_on(Stream &stream, Connection &connection,
                                          std::string_view request, ExchangeSpec spec,
                                          RequestControl &control) {
  const StepClock clock{Clock::now() + spec.request_timeout, spec.deadline};
  TcpStream &lowest = connection.tcp();
  AbortHook hook(control, [&lowest] { lowest.close(); });
  // The client's watchdog closes the socket at the deadline (a timer per read and write,
  // as beast::tcp_stream keeps, cost a system call and several handler runs per call).
  const Watchdog::Step step(control, clock.expiry());
  error_code ec;
  std::tie(ec, std::ignore) = co_await net::async_write(stream, net::buffer(request), no_throw);
  if (ec) {
    co_return exchange_failure(ec, spec, clock, control, false, false);
  }
  std::optional<ResponseParser> parser;
  while (true) {
    parser.emplace();
    parser->header_limit(max_header_bytes);
    parser->body_limit(spec.max_body);
    if (spec.head) {
      parser->skip(true);
    }
    std::tie(ec, std::ignore) =
        co_await bhttp::async_read(stream, connection.buffer, *parser, no_throw);
    if (ec) {
      co_return exchange_failure(ec, spec, clock, control, parser->got_some(),
                                 parser->is_header_done());
    }
    // Interim 1xx answers (103 Early Hints) precede the real response.
    const int status = parser->response.status;
    if (status < 100 || status >= 200) {
      break;
    }
  }
  Exchanged out;
  out.response = std::move(parser->response);
  // Bytes beyond the response mean the server and we disagree about framing.
  out.keep_alive = parser->keep_alive() && connection.buffer.size() == 0;
  co_return out;
}

// What each step of opening a connection needs to time itself and name what failed.
// Nothing of the request has been written while connecting.
struct Opening {
  Opening(const ConnectSpec &connect, RequestControl &request_control)
      : spec(connect),
        control(request_control), clock{Clock::now() + connect.connect_timeout, connect.deadline},
        target_hp(host_and_port(connect.target.host,
                                connect.target.host.find(':') != std::string::npos,
                                connect.target.port)),
        via(connect.proxy != nullptr ? " via proxy " + connect.proxy->display : std::string()) {}

  const ConnectSpec &spec;
  RequestControl &control;
  const StepClock clock;
  const std::string target_hp;
  const std::string via;

  // A step that ended early: cancelled, past the deadline, or past connect_timeout.
  [[nodiscard]] Failure stopped(std::string_view step) const {
    if (control.cancelled) {
      return make_failure(ErrorKind::cancelled,
                          "cancelled during " + std::string(step) + " with " + target_hp,
                          Delivery::not_sent, Transience::permanent);
    }
    if (clock.total_binds()) {
      return make_failure(ErrorKind::timeout,
                          "total timeout: the deadline passed during " + std::string(step) +
                              " with " + target_hp + via,
                          Delivery::not_sent, Transience::permanent);
    }
    return make_failure(ErrorKind::timeout,
                        "connect timeout: " + std::string(step) + " with " + target_hp + via +
                            " did not finish within " + in_ms(spec.connect_timeout),
                        Delivery::not_sent, Transience::transient);
  }
};

// DNS, of the proxy when there is one. Asio's resolver has no deadline of its own, so a
// timer cancels it.
Awaitable<Outcome<tcp::resolver::results_type>> resolve(const Opening &opening) {
  const ProxyEndpoint *proxy = opening.spec.proxy;
  const std::string &host = proxy != nullptr ? proxy->host : opening.spec.target.host;
  const std::uint16_t port = proxy != nullptr ? proxy->port : opening.spec.target.port;
  auto flags = tcp::resolver::numeric_service;
  if (is_ip_literal(host)) {
    flags |= tcp::resolver::numeric_host;
  }
  const auto executor = co_await net::this_coro::executor;
  Resolver resolver(executor);
  SteadyTimer resolve_timer(executor, opening.clock.expiry());
  auto resolved = std::make_shared<bool>(false);
  resolve_timer.async_wait([resolved, &resolver](const error_code &ec) {
    if (!ec && !*resolved) {
      resolver.cancel();
    }
  });
  error_code ec;
  tcp::resolver::results_type endpoints;
  {
    AbortHook hook(opening.control, [&resolver] { resolver.cancel(); });
    std::tie(ec, endpoints) =
        co_await resolver.async_resolve(host, std::to_string(port), flags, no_throw);
  }
  *resolved = true;
  resolve_timer.cancel();
  if (ec) {
    if (opening.control.cancelled || ec == net::error::operation_aborted) {
      co_return opening.stopped("DNS lookup");
    }
    co_return make_failure(proxy != nullptr ? ErrorKind::proxy : ErrorKind::dns,
                           "cannot resolve " + std::string(proxy != nullptr ? "proxy " : "") +
                               host + ": " + ec.message(),
                           Delivery::not_sent,
                           ec == net::error::host_not_found_try_again ? Transience::transient
                                                                      : Transience::permanent);
  }
  co_return endpoints;
}

} // namespace

void start_name_resolution(const Executor &executor) {
  // A lookup of a number needs no DNS; it starts the thread, and its answer (or, as the
  // resolver goes away at once, its cancellation) waits in the context like any handler.
  Resolver resolver(executor);
  resolver.async_resolve("127.0.0.1", "0",
                         tcp::resolver::numeric_host | tcp::resolver::numeric_service,
                         [](const error_code &, const tcp::resolver::results_type &) {});
}

namespace {

// The CONNECT tunnel through the proxy, on a connected socket. nullopt when it is open.
Awaitable<std::optional<Failure>> open_tunnel(const Opening &opening, Connection &connection) {
  const ProxyEndpoint &proxy = *opening.spec.proxy;
  const std::string &target_hp = opening.target_hp;
  TcpStream &lowest = connection.tcp();
  bhttp::request<bhttp::empty_body> tunnel{bhttp::verb::connect, target_hp, 11};
  tunnel.set(bhttp::field::host, target_hp);
  tunnel.set(bhttp::field::user_agent, opening.spec.user_agent);
  if (!proxy.authorization.empty()) {
    tunnel.set(bhttp::field::proxy_authorization, proxy.authorization);
  }
  bhttp::response_parser<bhttp::empty_body> answer;
  answer.skip(true); // a 2xx CONNECT answer has no body whatever its headers say
  error_code ec;
  std::tie(ec, std::ignore) = co_await bhttp::async_write(lowest, tunnel, no_throw);
  if (!ec) {
    std::tie(ec, std::ignore) =
        co_await bhttp::async_read(lowest, connection.buffer, answer, no_throw);
  }
  if (ec) {
    if (opening.control.cancelled || interrupted(ec)) {
      co_return opening.stopped("proxy CONNECT");
    }
    co_return make_failure(ErrorKind::proxy,
                           "proxy " + proxy.display + " failed during CONNECT to " + target_hp +
                               ": " + ec.message(),
                           Delivery::not_sent, Transience::transient);
  }
  const unsigned status = answer.get().result_int();
  if (status / 100 != 2) {
    // 502-504: the proxy could not reach the host this time. Anything else (403, 407) is
    // the proxy's policy or credentials, which no retry changes.
    const bool transient = status == 502 || status == 503 || status == 504;
    co_return make_failure(transient ? ErrorKind::proxy : ErrorKind::proxy_refused,
                           "proxy " + proxy.display + " refused CONNECT to " + target_hp + ": " +
                               std::to_string(status) + " " + std::string(answer.get().reason()),
                           Delivery::not_sent,
                           transient ? Transience::transient : Transience::permanent);
  }
  if (connection.buffer.size() != 0) {
    co_return make_failure(ErrorKind::proxy,
                           "proxy " + proxy.display + " sent data before the TLS handshake",
                           Delivery::not_sent, Transience::permanent);
  }
  co_return std::nullopt;
}

// The TLS handshake, verifying the target's certificate. nullopt when it succeeded.
Awaitable<std::optional<Failure>> handshake(const Opening &opening, Connection &connection) {
  SSL *native = connection.stream.native_handle();
  if (!prepare_tls_session(native, opening.spec.target)) {
    co_return make_failure(ErrorKind::tls,
                           "cannot configure TLS verification for " + opening.target_hp,
                           Delivery::not_sent, Transience::permanent);
  }
  error_code ec;
  std::tie(ec) =
      co_await connection.stream.async_handshake(net::ssl::stream_base::client, no_throw);
  if (ec) {
    if (opening.control.cancelled || interrupted(ec)) {
      co_return opening.stopped("TLS handshake");
    }
    // A rejected certificate will be rejected again; a dropped handshake may not be.
    const bool rejected = SSL_get_verify_result(native) != X509_V_OK;
    co_return make_failure(ErrorKind::tls,
                           "TLS handshake with " + opening.target_hp + opening.via +
                               " failed: " + describe_tls_failure(ec, native),
                           Delivery::not_sent,
                           !rejected && is_connection_loss(ec) ? Transience::transient
                                                               : Transience::permanent);
  }
  co_return std::nullopt;
}

} // namespace

Connection::Connection(const Executor &executor, net::ssl::context &tls_context, bool use_tls,
                       std::uint64_t connection_id)
    : stream(executor, tls_context), tls(use_tls), id(connection_id) {
  // Asio asks OpenSSL to free a connection's record buffers whenever they empty, so each
  // request allocated, zeroed and freed them again (about 17 KiB apiece). A pooled
  // connection keeps them instead.
  SSL_clear_mode(stream.native_handle(), SSL_MODE_RELEASE_BUFFERS);
}

bool Connection::usable(bool probe) noexcept {
  if (buffer.size() != 0 || !tcp().socket().is_open()) {
    return false;
  }
  if (!probe) {
    return true;
  }
  char byte = 0;
  const auto n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // 0: the peer closed; > 0: unsolicited bytes (a TLS alert); only "would block" is healthy.
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void Connection::close() noexcept {
  error_code ignored;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp().close();
}

Awaitable<Outcome<std::unique_ptr<Connection>>> open_connection(net::ssl::context &tls_context,
                                                                ConnectSpec spec,
                                                                RequestControl &control,
                                                                std::uint64_t id) {
  const Opening opening(spec, control);
  Outcome<tcp::resolver::results_type> endpoints = co_await resolve(opening);
  if (!endpoints) {
    co_return endpoints.error();
  }

  const Target &target = spec.target;
  const ProxyEndpoint *proxy = spec.proxy;
  auto connection =
      std::make_unique<Connection>(co_await net::this_coro::executor, tls_context, target.tls, id);
  TcpStream &lowest = connection->tcp();
  std::vector<tcp::endpoint> addresses;
  for (const auto &entry : *endpoints)
    addresses.push_back(entry.endpoint());
  error_code ec = co_await connect_first(lowest.socket(), interleave_families(addresses),
                                         opening.clock.expiry(), control);
  // After the connect, whose attempts have a hook of their own.
  AbortHook hook(control, [&lowest] { lowest.close(); });
  lowest.expires_at(opening.clock.expiry());
  if (ec) {
    if (control.cancelled || interrupted(ec)) {
      co_return opening.stopped("TCP connect");
    }
    co_return make_failure(proxy != nullptr ? ErrorKind::proxy : ErrorKind::connect,
                           "cannot connect to " +
                               (proxy != nullptr ? "proxy " + proxy->display : opening.target_hp) +
                               ": " + ec.message(),
                           Delivery::not_sent, Transience::transient);
  }
  lowest.socket().set_option(tcp::no_delay(true), ec);

  if (proxy != nullptr) {
    if (std::optional<Failure> failed = co_await open_tunnel(opening, *connection)) {
      co_return std::move(*failed);
    }
  }
  if (target.tls) {
    if (std::optional<Failure> failed = co_await handshake(opening, *connection)) {
      co_return std::move(*failed);
    }
  }
  lowest.expires_never();
  co_return connection;
}

Awaitable<Outcome<Exchanged>> exchange(Connection &connection, std::string_view request,
                                       ExchangeSpec spec, RequestControl &control) {
  if (connection.tls) {
    co_return co_await exchange_on(connection.stream, connection, request, spec, control);
  }
  co_return co_await exchange_on(connection.tcp(), connection, request, spec, control);
}

} // namespace threads::http
