// Connecting to the first of a host's addresses that answers (RFC 8305, Happy Eyeballs v2).
#pragma once

#include "http/executor.hpp"
#include "http/request_control.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <vector>

namespace threads::http {

// RFC 8305's recommended Connection Attempt Delay.
inline constexpr std::chrono::milliseconds attempt_delay{250};

// The resolver's answers in the order RFC 8305 section 4 tries them: the families
// alternating, starting with the family of the first answer, each in the resolver's order.
std::vector<boost::asio::ip::tcp::endpoint>
interleave_families(const std::vector<boost::asio::ip::tcp::endpoint> &endpoints);

// Connects `socket` to one of `endpoints`, tried in order: the next attempt starts `delay`
// after the one before, or at once when every attempt started so far has failed; the first
// to connect wins and the others are closed. A host whose first address does not answer
// (an IPv6 route that drops packets) is reached on its next one instead of failing after
// the whole connect timeout. Returns success, beast's timeout error when `expiry` passed
// first, operation_aborted when `control` was interrupted, else the last attempt's error.
Awaitable<boost::system::error_code>
connect_first(TcpStream::socket_type &socket, std::vector<boost::asio::ip::tcp::endpoint> endpoints,
              Clock::time_point expiry, RequestControl &control,
              std::chrono::milliseconds delay = attempt_delay);

} // namespace threads::http
