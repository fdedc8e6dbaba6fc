// Staggered, racing connection attempts over a host's addresses (RFC 8305).
#include "http/happy_eyeballs.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/error.hpp>

#include <algorithm>
#include <memory>
#include <optional>

namespace threads::http {

namespace net = boost::asio;
using boost::system::error_code;
using net::ip::tcp;

std::vector<tcp::endpoint> interleave_families(const std::vector<tcp::endpoint> &endpoints) {
  if (endpoints.empty())
    return {};
  const bool first_is_v6 = endpoints.front().address().is_v6();
  std::vector<tcp::endpoint> first_family;
  std::vector<tcp::endpoint> other_family;
  for (const tcp::endpoint &endpoint : endpoints)
    (endpoint.address().is_v6() == first_is_v6 ? first_family : other_family).push_back(endpoint);
  std::vector<tcp::endpoint> ordered;
  ordered.reserve(endpoints.size());
  for (std::size_t i = 0; i < std::max(first_family.size(), other_family.size()); ++i) {
    if (i < first_family.size())
      ordered.push_back(first_family[i]);
    if (i < other_family.size())
      ordered.push_back(other_family[i]);
  }
  return ordered;
}

namespace {

// What the attempts share with their completion handlers, which may run after the race is
// decided (an abandoned attempt completes with operation_aborted once it is closed).
struct Race {
  Race(const Executor &executor, std::size_t size) : wake(executor) { attempts.reserve(size); }

  std::vector<TcpStream::socket_type> attempts; // reserved up front: never reallocated
  std::optional<std::size_t> winner;
  std::size_t failed = 0;
  error_code last_error;
  SteadyTimer wake; // waited on between steps; any attempt's completion cancels the wait

  void close_all() noexcept {
    for (auto &attempt : attempts) {
      error_code ignored;
      attempt.close(ignored);
    }
    try {
      wake.cancel();
    } catch (...) { // NOLINT(bugprone-empty-catch): cancel fails only on a broken reactor
    }
  }
};

struct CloseOnExit {
  explicit CloseOnExit(Race &to_close) : race(to_close) {}
  CloseOnExit(const CloseOnExit &) = delete;
  CloseOnExit &operator=(const CloseOnExit &) = delete;
  ~CloseOnExit() { race.close_all(); }
  Race &race;
};

} // namespace

Awaitable<error_code> connect_first(TcpStream::socket_type &socket,
                                    std::vector<tcp::endpoint> endpoints, Clock::time_point expiry,
                                    RequestControl &control, std::chrono::milliseconds delay) {
  if (endpoints.empty())
    co_return net::error::host_not_found;
  const Executor executor = co_await net::this_coro::executor;
  const auto race = std::make_shared<Race>(executor, endpoints.size());
  // However this ends (an exception included), the attempts still pending are closed.
  const CloseOnExit closer{*race};
  bool aborted = false;
  // Runs on this thread (the watchdog's), between the steps below.
  const AbortHook hook(control, [&] {
    aborted = true;
    race->close_all();
  });

  Clock::time_point next_start = Clock::now();
  const auto start_next = [&] {
    const std::size_t index = race->attempts.size();
    race->attempts.emplace_back(executor).async_connect(endpoints[index],
                                                        [race, index](const error_code &ec) {
                                                          if (ec) {
                                                            ++race->failed;
                                                            race->last_error = ec;
                                                          } else if (!race->winner) {
                                                            race->winner = index;
                                                          }
                                                          race->wake.cancel();
                                                        });
    next_start = Clock::now() + delay;
  };

  for (;;) {
    const std::size_t started = race->attempts.size();
    const bool all_started = started == endpoints.size();
    const bool none_pending = race->failed == started;
    if (race->winner || aborted || (all_started && none_pending))
      break;
    const Clock::time_point now = Clock::now();
    if (now >= expiry)
      break;
    if (!all_started && (none_pending || now >= next_start)) {
      start_next();
      continue;
    }
    race->wake.expires_at(all_started ? expiry : std::min(next_start, expiry));
    co_await race->wake.async_wait(net::as_tuple(net::deferred));
  }

  // An interruption that came after the winner connected closed it too.
  error_code result;
  if (aborted) {
    result = net::error::operation_aborted;
  } else if (race->winner) {
    socket = std::move(race->attempts[*race->winner]);
  } else if (race->failed == endpoints.size()) {
    result = race->last_error;
  } else {
    result = boost::beast::error::timeout;
  }
  co_return result;
}

} // namespace threads::http
