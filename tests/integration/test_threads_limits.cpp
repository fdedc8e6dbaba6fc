// Threads API limits end to end against the sandbox: Retry-After hints the plugin waits
// for or hands back to the caller, when an error says a request may have had an effect, and
// the account insights' time range (what is sent, what is refused before sending).
#define BOOST_TEST_MODULE threads_limits
#include "token_world.hpp"

using namespace token_test;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

std::string str(const json::value &v) { return std::string(v.as_string()); }

// Fast text posts: the sandbox finishes a text container in 0.2 s, the plugin looks then.
constexpr const char *fast_text =
    R"(, "container_wait": {"text": {"first_check_s": 0.2, "interval_s": 0.2}})";

struct Posting : Cli {
  explicit Posting(const std::string &extra = "") : Cli(fast_text + extra) {
    control("POST", "/__sandbox/config", R"({"container_delay_s":{"TEXT":0.2}})");
    import("alice", issue());
  }
  std::int64_t posts() {
    return control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64();
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(retry_after)

// A 429 whose Retry-After is longer than max_retry_wait_s (default 5 s) ends the call at once
// with rate_limited, the hint and the key, without sending the request again; the caller
// (the daemon) comes back later with the same key and the post is made once.
BOOST_AUTO_TEST_CASE(a_long_hint_is_returned_not_slept) {
  Posting c;
  sbx::add_fault(sandbox(), R"({"group":"create","mode":"http_429","retry_after_s":20})");
  auto r = c.invoke("post", R"({"text":"after the rate limit"})", {"--idempotency-key", "rl-1"});
  BOOST_TEST_REQUIRE(r.exit_code == 7, r.err);
  const auto e = Cli::error_of(r);
  BOOST_TEST(str(e.at("status")) == "rate_limited");
  BOOST_TEST(e.at("retry_after_s").as_int64() == 20);
  BOOST_TEST(str(e.at("idempotency_key")) == "rl-1");
  // The server answered, so nothing is in doubt.
  BOOST_TEST(
      !(e.contains("request_may_have_been_sent") && e.at("request_may_have_been_sent").as_bool()));
  BOOST_TEST(sandbox_stat("create") == 1); // not sent again inside the call
  BOOST_TEST(c.posts() == 0);

  const auto out =
      c.ok("post", R"({"text":"after the rate limit"})", {"--idempotency-key", "rl-1"});
  BOOST_TEST(!str(out.at("id")).empty());
  BOOST_TEST(c.posts() == 1);
}

// Within max_retry_wait_s the hint is honoured inside the call, as before.
BOOST_AUTO_TEST_CASE(a_short_hint_is_waited_for) {
  Posting c;
  sbx::add_fault(sandbox(), R"({"group":"create","mode":"http_429","retry_after_s":1})");
  c.ok("post", R"({"text":"one second later"})");
  BOOST_TEST(sandbox_stat("create") == 2);
  BOOST_TEST(c.posts() == 1);
}

// The threshold is configurable; a hint within it that would pass the call's deadline is
// returned at once too.
BOOST_AUTO_TEST_CASE(a_hint_past_the_deadline_is_returned) {
  Posting c(R"(, "max_retry_wait_s": 60)");
  sbx::add_fault(sandbox(), R"({"group":"create","mode":"http_429","retry_after_s":30})");
  auto r = c.invoke("post", R"({"text":"deadline"})", {"--timeout", "10"});
  BOOST_TEST_REQUIRE(r.exit_code == 7, r.err);
  BOOST_TEST(Cli::error_of(r).at("retry_after_s").as_int64() == 30);
  BOOST_TEST(sandbox_stat("create") == 1);

  c.write_config(std::string(fast_text) + R"(, "max_retry_wait_s": 2)");
  sbx::add_fault(sandbox(), R"({"group":"read","mode":"http_429","retry_after_s":3})");
  auto read = c.invoke("profile", "{}");
  BOOST_TEST(read.exit_code == 7, read.err);
  BOOST_TEST(Cli::error_of(read).at("retry_after_s").as_int64() == 3);
}

// request_may_have_been_sent: true only when no answer came for a request that could have
// changed something (a container creation), never for a read.
BOOST_AUTO_TEST_CASE(only_an_unanswered_write_may_have_been_sent) {
  Posting c(R"(, "request_timeout_s": 0.5)");
  sbx::add_fault(sandbox(), R"({"group":"read","mode":"stall","stall_s":3,"count":10})");
  auto read = c.invoke("profile", "{}");
  BOOST_TEST_REQUIRE(read.exit_code == 6, read.err);
  BOOST_TEST(Cli::error_of(read).at("request_may_have_been_sent").as_bool() == false);

  control("DELETE", "/__sandbox/faults");
  sbx::add_fault(sandbox(), R"({"group":"create","mode":"stall","stall_s":3,"count":10})");
  auto write = c.invoke("post", R"({"text":"unanswered"})");
  BOOST_TEST_REQUIRE(write.exit_code == 6, write.err);
  BOOST_TEST(Cli::error_of(write).at("request_may_have_been_sent").as_bool() == true);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(insights_range)

// The sandbox, like Meta's documentation, takes account insights' since/until as Unix
// seconds only; the action accepts ISO 8601 with an offset too and converts it.
BOOST_AUTO_TEST_CASE(iso_and_unix_inputs_are_sent_as_unix_seconds) {
  Posting c;
  c.ok("post", R"({"text":"counted"})");
  const std::int64_t now = control("GET", "/__sandbox/clock").at("now").as_int64();
  const auto out = c.ok("insights", R"({"since":"2024-06-01T00:00:00+02:00","until":)" +
                                        std::to_string(now + 60) + "}");
  BOOST_TEST(out.at("metrics").as_object().contains("views"));
  c.ok("insights", R"({"since":"1717192800","until":"2030-01-01T00:00:00Z"})");
  c.ok("insights", R"({"since":"2024-06-01T00:00:00.750Z"})");
}

BOOST_AUTO_TEST_CASE(bad_ranges_name_the_field_and_send_nothing) {
  Posting c;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"since":"yesterday"})", "since"},
      {R"({"until":"2026-11-01T09:00"})", "until"}, // no offset: which 09:00?
      {R"({"since":-5})", "since"},
      {R"({"since":1700000000})", "since"}, // before 2024-04-13
      {R"({"until":"2024-04-12T23:59:59-07:00"})", "until"},
      {R"({"since":1780000000,"until":1770000000})", "since"}, // reversed
      {R"({"since":"2025-01-01T00:00:00Z","until":"2025-01-01T01:00:00+01:00"})", "since"},
      {R"({"id":"17890000000000001","since":1717192800})", "since"}, // media insights
  };
  const std::int64_t reads = sandbox_stat("read");
  for (const auto &[input, field] : cases) {
    auto r = c.invoke("insights", input);
    BOOST_TEST(r.exit_code == 3, input + ": " + r.err);
    if (r.exit_code == 3) {
      const auto e = Cli::error_of(r);
      BOOST_TEST(str(e.at("field")) == field, input);
    }
  }
  BOOST_TEST(sandbox_stat("read") == reads); // refused before sending
}

BOOST_AUTO_TEST_SUITE_END()
