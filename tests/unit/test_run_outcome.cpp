// How the daemon maps a plugin call's result to a run's outcome, and reads retry hints.
#define BOOST_TEST_MODULE run_outcome
#include <boost/test/unit_test.hpp>

#include "daemon/run_outcome.hpp"

using namespace autohost;
using namespace autohost::daemon;
using scheduler::RunStatus;

namespace {

Result<std::string> failed(ah_status status, std::string body) {
  return Error{status, std::move(body)};
}

} // namespace

BOOST_AUTO_TEST_CASE(ok_succeeds_with_the_output) {
  const auto o = outcome_of(Result<std::string>(std::string(R"({"id":"1"})")), false);
  BOOST_TEST((o.kind == OutcomeKind::complete));
  BOOST_TEST((o.result.status == RunStatus::succeeded));
  BOOST_TEST(o.result.output_json == R"({"id":"1"})");
  BOOST_TEST(o.result.error_json.empty());
}

BOOST_AUTO_TEST_CASE(retry_statuses_retry_with_the_plugins_hint) {
  for (const ah_status s : {AH_RETRY_LATER, AH_RATE_LIMITED}) {
    const auto o = outcome_of(
        failed(s, R"({"code":"rate_limited","message":"wait","retry_after_s":61})"), false);
    BOOST_TEST((o.kind == OutcomeKind::retry));
    BOOST_REQUIRE(o.retry_after.has_value());
    BOOST_TEST(o.retry_after->count() == 61);
    BOOST_TEST(o.error_json.find("rate_limited") != std::string::npos);
  }
  const auto no_hint = outcome_of(failed(AH_RETRY_LATER, R"({"code":"x","message":"y"})"), false);
  BOOST_TEST(!no_hint.retry_after.has_value());
}

BOOST_AUTO_TEST_CASE(problems_a_person_must_fix_need_attention) {
  for (const ah_status s : {AH_AUTH_REQUIRED, AH_INVALID_INPUT, AH_NOT_FOUND, AH_CONFLICT}) {
    const auto o = outcome_of(failed(s, R"({"code":"c","message":"m"})"), false);
    BOOST_TEST((o.kind == OutcomeKind::complete));
    BOOST_TEST((o.result.status == RunStatus::needs_attention));
    BOOST_TEST(o.result.error_json == R"({"code":"c","message":"m"})");
  }
}

BOOST_AUTO_TEST_CASE(internal_errors_fail_and_bodies_are_always_json) {
  const auto o = outcome_of(failed(AH_INTERNAL, "not json"), false);
  BOOST_TEST((o.result.status == RunStatus::failed));
  BOOST_TEST(o.result.error_json == R"({"code":"internal","message":"not json"})");
}

BOOST_AUTO_TEST_CASE(cancelled_is_released_only_when_stopping) {
  const auto body = R"({"code":"cancelled","message":"stopped at a checkpoint"})";
  BOOST_TEST((outcome_of(failed(AH_CANCELLED, body), true).kind == OutcomeKind::release));
  BOOST_TEST((outcome_of(failed(AH_CANCELLED, body), false).kind == OutcomeKind::retry));
}

BOOST_AUTO_TEST_CASE(retry_hints_are_positive_whole_seconds_rounded_up) {
  BOOST_TEST(retry_after_hint(R"({"retry_after_s":1.2})")->count() == 2);
  BOOST_TEST(!retry_after_hint(R"({"retry_after_s":0})").has_value());
  BOOST_TEST(!retry_after_hint(R"({"retry_after_s":-5})").has_value());
  BOOST_TEST(!retry_after_hint(R"({"retry_after_s":"30"})").has_value());
  BOOST_TEST(!retry_after_hint("not json").has_value());
}
