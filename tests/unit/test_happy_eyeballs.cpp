// The HTTP client's connection race over a host's addresses (plugin/http/happy_eyeballs.cpp):
// real sockets on loopback, a "silent" address being a listener whose accept queue is full,
// so that the kernel drops further SYNs as a black-holed route does.
#define BOOST_TEST_MODULE happy_eyeballs
#include <boost/test/unit_test.hpp>

#include "http/happy_eyeballs.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>

#include <optional>
#include <stdexcept>

using namespace threads::http;
using namespace std::chrono_literals;
namespace net = boost::asio;
using boost::system::error_code;
using net::ip::tcp;

namespace {

tcp::endpoint at(const char *address, unsigned short port) {
  return {net::ip::make_address(address), port};
}

// A listener that completes TCP handshakes on its own (nothing accepts them).
struct Answering {
  net::io_context io;
  tcp::acceptor acceptor{io, at("127.0.0.1", 0)};
  tcp::endpoint endpoint() const { return acceptor.local_endpoint(); }
};

// A listener that answers nothing: its queue of one is taken by a first connection, and
// the kernel drops the SYNs of any other.
struct Silent {
  explicit Silent(const char *address) {
    acceptor.open(tcp::v4());
    acceptor.bind(at(address, 0));
    acceptor.listen(0);
    filler.connect(acceptor.local_endpoint());
  }
  net::io_context io;
  tcp::acceptor acceptor{io};
  tcp::socket filler{io};
  tcp::endpoint endpoint() const { return acceptor.local_endpoint(); }
};

// A bound socket that never listens: connecting to it is refused at once, and its port
// stays taken for as long as it lives.
struct Refusing {
  Refusing() {
    socket.open(tcp::v4());
    socket.bind(at("127.0.0.1", 0));
  }
  net::io_context io;
  tcp::socket socket{io};
  tcp::endpoint endpoint() const { return socket.local_endpoint(); }
};

struct RaceEnd {
  error_code ec;
  std::optional<tcp::endpoint> peer;
};

// Runs connect_first to completion; `interrupt_after`, when set, interrupts the request then.
RaceEnd race(std::vector<tcp::endpoint> endpoints, std::chrono::milliseconds delay,
             std::chrono::milliseconds limit,
             std::optional<std::chrono::milliseconds> interrupt_after = std::nullopt) {
  net::io_context io;
  TcpStream::socket_type socket(io.get_executor());
  RequestControl control;
  SteadyTimer interrupter(io.get_executor());
  if (interrupt_after) {
    interrupter.expires_after(*interrupt_after);
    interrupter.async_wait([&control](const error_code &ec) {
      if (!ec)
        control.interrupt();
    });
  }
  RaceEnd outcome;
  net::co_spawn(io,
                connect_first(socket, std::move(endpoints), Clock::now() + limit, control, delay),
                [&](const std::exception_ptr &failed, error_code ec) {
                  if (failed)
                    std::rethrow_exception(failed);
                  outcome.ec = ec;
                  interrupter.cancel();
                });
  io.run();
  error_code ignored;
  if (!outcome.ec)
    outcome.peer = socket.remote_endpoint(ignored);
  return outcome;
}

} // namespace

BOOST_AUTO_TEST_CASE(families_alternate_from_the_first_answers_family) {
  const auto v6a = at("2001:db8::1", 443);
  const auto v6b = at("2001:db8::2", 443);
  const auto v6c = at("2001:db8::3", 443);
  const auto v4a = at("192.0.2.1", 443);
  const auto v4b = at("192.0.2.2", 443);
  BOOST_TEST((interleave_families({v6a, v6b, v6c, v4a, v4b}) ==
              std::vector<tcp::endpoint>{v6a, v4a, v6b, v4b, v6c}));
  BOOST_TEST((interleave_families({v4a, v6a, v6b, v4b}) ==
              std::vector<tcp::endpoint>{v4a, v6a, v4b, v6b}));
  BOOST_TEST((interleave_families({v4b, v4a}) == std::vector<tcp::endpoint>{v4b, v4a}));
  BOOST_TEST(interleave_families({}).empty());
}

BOOST_AUTO_TEST_CASE(a_silent_first_address_is_passed_over_for_the_next) {
  const Silent silent("127.0.0.2");
  const Answering answering;
  // Without a second attempt the connect would wait for the whole limit and fail.
  const RaceEnd outcome = race({silent.endpoint(), answering.endpoint()}, 100ms, 5s);
  BOOST_TEST(!outcome.ec, outcome.ec.message());
  BOOST_TEST((outcome.peer == answering.endpoint()));
}

BOOST_AUTO_TEST_CASE(a_refused_address_starts_the_next_attempt_at_once) {
  const Refusing refusing;
  const Answering answering;
  // A delay far beyond the limit: only the refusal can start the second attempt in time.
  const RaceEnd outcome = race({refusing.endpoint(), answering.endpoint()}, 60s, 5s);
  BOOST_TEST(!outcome.ec, outcome.ec.message());
  BOOST_TEST((outcome.peer == answering.endpoint()));
}

BOOST_AUTO_TEST_CASE(a_silent_then_a_refused_address_lead_to_the_third) {
  const Silent silent("127.0.0.2");
  const Refusing refusing;
  const Answering answering;
  // The second starts after the delay, the third as soon as the second is refused, while
  // the first is still pending.
  const RaceEnd outcome =
      race({silent.endpoint(), refusing.endpoint(), answering.endpoint()}, 100ms, 60s);
  BOOST_TEST(!outcome.ec, outcome.ec.message());
  BOOST_TEST((outcome.peer == answering.endpoint()));
}

BOOST_AUTO_TEST_CASE(the_first_address_wins_when_it_answers) {
  const Answering first;
  const Answering second;
  const RaceEnd outcome = race({first.endpoint(), second.endpoint()}, 100ms, 5s);
  BOOST_TEST(!outcome.ec, outcome.ec.message());
  BOOST_TEST((outcome.peer == first.endpoint()));
}

BOOST_AUTO_TEST_CASE(every_address_refused_reports_the_refusal) {
  const Refusing first;
  const Refusing second;
  const RaceEnd outcome = race({first.endpoint(), second.endpoint()}, 100ms, 5s);
  BOOST_TEST((outcome.ec == net::error::connection_refused), outcome.ec.message());
}

BOOST_AUTO_TEST_CASE(silence_everywhere_ends_at_the_limit_as_a_timeout) {
  const Silent first("127.0.0.2");
  const Silent second("127.0.0.3");
  const RaceEnd outcome = race({first.endpoint(), second.endpoint()}, 50ms, 300ms);
  BOOST_TEST((outcome.ec == boost::beast::error::timeout), outcome.ec.message());
}

BOOST_AUTO_TEST_CASE(an_interrupted_request_stops_every_attempt) {
  const Silent first("127.0.0.2");
  const Silent second("127.0.0.3");
  const RaceEnd outcome = race({first.endpoint(), second.endpoint()}, 50ms, 30s, 200ms);
  BOOST_TEST((outcome.ec == net::error::operation_aborted), outcome.ec.message());
}

BOOST_AUTO_TEST_CASE(no_address_is_host_not_found) {
  const RaceEnd outcome = race({}, 100ms, 1s);
  BOOST_TEST((outcome.ec == net::error::host_not_found), outcome.ec.message());
}
