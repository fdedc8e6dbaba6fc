// The floor of the prescribed stack: HTTPS GETs over kept-alive connections with Boost.Beast on
// Asio and OpenSSL, each answer parsed with Boost.JSON, and nothing of autohost. With one
// connection a request is a coroutine driven by the calling thread, as the plugin's client
// drives its own; with more, one thread runs a loop of requests per connection, as the
// plugin's client runs a sweep's requests.
//
//   beast-client HOST PORT TARGET CA_FILE CALLS [CONNECTIONS]
//
// A bearer token, when the request needs one, comes in AUTOHOST_BENCH_TOKEN.
//
// Prints {"calls": N, "calls_per_s": R}; exits non-zero on the first failed call.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

using Stream = beast::ssl_stream<beast::tcp_stream>;

net::awaitable<void> get(Stream &stream, const http::request<http::empty_body> &request,
                         beast::flat_buffer &buffer) {
  co_await http::async_write(stream, request, net::use_awaitable);
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, net::use_awaitable);
  if (response.result() != http::status::ok) {
    throw std::runtime_error("status " + std::to_string(response.result_int()));
  }
  if (!boost::json::parse(response.body()).is_object()) {
    throw std::runtime_error("the answer is not a JSON object");
  }
}

net::awaitable<void> loop(Stream &stream, const http::request<http::empty_body> &request,
                          long &next, long calls) {
  beast::flat_buffer buffer;
  while (next < calls) {
    ++next;
    co_await get(stream, request, buffer);
  }
}

std::unique_ptr<Stream> open(net::io_context &io, net::ssl::context &tls, const std::string &host,
                             const char *port) {
  auto stream = std::make_unique<Stream>(io, tls);
  SSL_set_tlsext_host_name(stream->native_handle(), host.c_str());
  net::ip::tcp::resolver resolver(io);
  beast::get_lowest_layer(*stream).connect(resolver.resolve(host, port));
  stream->handshake(net::ssl::stream_base::client);
  return stream;
}

// One connection: a coroutine a call, the calling thread running handlers until it is done.
void sequential(net::io_context &io, Stream &stream, const http::request<http::empty_body> &request,
                long calls) {
  beast::flat_buffer buffer;
  const auto work = net::make_work_guard(io); // run_one waits for the next request's handlers
  for (long i = 0; i < calls; ++i) {
    bool done = false;
    std::exception_ptr failed;
    net::co_spawn(io, get(stream, request, buffer), [&](std::exception_ptr e) {
      failed = e;
      done = true;
    });
    while (!done) {
      io.run_one();
    }
    if (failed) {
      std::rethrow_exception(failed);
    }
  }
}

} // namespace

int main(int argc, char **argv) try {
  const char *token = std::getenv("AUTOHOST_BENCH_TOKEN");
  if (argc < 6 || argc > 7) {
    std::cerr << "usage: beast-client HOST PORT TARGET CA_FILE CALLS [CONNECTIONS]\n";
    return 2;
  }
  const std::string host = argv[1];
  const long calls = std::stol(argv[5]);
  const long connections = argc == 7 ? std::stol(argv[6]) : 1;
  net::io_context io(1);
  net::ssl::context tls(net::ssl::context::tls_client);
  tls.load_verify_file(argv[4]);
  tls.set_verify_mode(net::ssl::verify_peer);
  std::vector<std::unique_ptr<Stream>> streams;
  for (long i = 0; i < connections; ++i) {
    streams.push_back(open(io, tls, host, argv[2]));
  }
  http::request<http::empty_body> request{http::verb::get, argv[3], 11};
  request.set(http::field::host, host);
  if (token != nullptr) {
    request.set(http::field::authorization, std::string("Bearer ") + token);
  }

  const auto started = std::chrono::steady_clock::now();
  if (connections == 1) {
    sequential(io, *streams.front(), request, calls);
  } else {
    long next = 0;
    std::exception_ptr failed;
    for (auto &stream : streams) {
      net::co_spawn(io, loop(*stream, request, next, calls), [&](std::exception_ptr e) {
        if (e && !failed) {
          failed = e;
        }
      });
    }
    io.run();
    if (failed) {
      std::rethrow_exception(failed);
    }
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  std::printf("{\"calls\": %ld, \"calls_per_s\": %.1f}\n", calls,
              static_cast<double>(calls) / took.count());
  return 0;
} catch (const std::exception &e) {
  std::cerr << "beast-client: " << e.what() << "\n";
  return 1;
}
