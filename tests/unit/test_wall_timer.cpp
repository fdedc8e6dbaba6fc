// The daemon's wall-clock timer: readable at the time it was armed for, never before it, and
// at once for a wait that is zero or already past; a far-off wait does not overflow into a
// time that has passed.
#define BOOST_TEST_MODULE wall_timer
#include <boost/test/unit_test.hpp>

#include "daemon/wall_timer.hpp"

#include <poll.h>

#include <chrono>

using autohost::daemon::WallTimer;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Whether the timer turns readable within `within`.
bool readable_within(const WallTimer &timer, std::chrono::milliseconds within) {
  pollfd p{timer.fd(), POLLIN, 0};
  return poll(&p, 1, static_cast<int>(within.count())) == 1 && (p.revents & POLLIN) != 0;
}

// Arms `timer` for `wait` and checks it stays quiet for `quiet` and turns readable, not
// before `wait` has passed (less 10 ms: CLOCK_REALTIME and the steady clock may differ a
// little).
void expect_readable_after(WallTimer &timer, std::chrono::milliseconds wait,
                           std::chrono::milliseconds quiet) {
  const auto started = Clock::now();
  timer.arm(wait);
  BOOST_TEST(!readable_within(timer, quiet));
  BOOST_TEST(readable_within(timer, 5000ms));
  BOOST_TEST((Clock::now() - started >= wait - 10ms));
}

} // namespace

BOOST_AUTO_TEST_CASE(readable_after_the_wait_and_not_before) {
  WallTimer timer;
  BOOST_REQUIRE(timer.fd() >= 0);
  expect_readable_after(timer, 300ms, 150ms);
  timer.drain();
  BOOST_TEST(!readable_within(timer, 0ms));
}

BOOST_AUTO_TEST_CASE(a_zero_or_past_wait_is_readable_at_once) {
  WallTimer timer;
  BOOST_REQUIRE(timer.fd() >= 0);
  timer.arm(0ms);
  BOOST_TEST(readable_within(timer, 1000ms));
  timer.drain();
  timer.arm(-5000ms);
  BOOST_TEST(readable_within(timer, 1000ms));
}

BOOST_AUTO_TEST_CASE(waits_with_whole_and_partial_seconds) {
  WallTimer timer;
  BOOST_REQUIRE(timer.fd() >= 0);
  // 1.9 s: the nanoseconds of now plus 900 ms carry into the seconds on most starts.
  expect_readable_after(timer, 1900ms, 1500ms);
}

BOOST_AUTO_TEST_CASE(a_far_wait_stays_in_the_future) {
  WallTimer timer;
  BOOST_REQUIRE(timer.fd() >= 0);
  timer.arm(std::chrono::milliseconds::max());
  BOOST_TEST(!readable_within(timer, 200ms));
  timer.arm(std::chrono::hours(24 * 400));
  BOOST_TEST(!readable_within(timer, 200ms));
}
