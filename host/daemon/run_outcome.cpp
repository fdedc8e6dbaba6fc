// Mapping plugin call results to run outcomes.
#include "daemon/run_outcome.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace autohost::daemon {
namespace json = boost::json;
using scheduler::RunStatus;

namespace {

// Error bodies are JSON objects by contract; anything else is wrapped so the run's
// error_json is always valid JSON.
std::string as_error_json(const Error &error) {
  boost::system::error_code ec;
  const json::value v = json::parse(error.body, ec);
  if (!ec && v.is_object())
    return error.body;
  json::object wrapped;
  wrapped["code"] = status_name(error.status);
  wrapped["message"] =
      error.body.empty() ? std::string("the plugin gave no error body") : error.body;
  return json::serialize(wrapped);
}

RunOutcome completed(RunStatus status, std::string error_json) {
  RunOutcome o;
  o.kind = OutcomeKind::complete;
  o.result.status = status;
  o.result.error_json = std::move(error_json);
  return o;
}

} // namespace

std::optional<std::chrono::seconds> retry_after_hint(std::string_view error_json) {
  boost::system::error_code ec;
  const json::value v = json::parse(error_json, ec);
  if (ec || !v.is_object())
    return std::nullopt;
  const json::value *hint = v.as_object().if_contains("retry_after_s");
  if (hint == nullptr || !hint->is_number())
    return std::nullopt;
  const double seconds = hint->to_number<double>();
  if (!std::isfinite(seconds) || seconds <= 0)
    return std::nullopt;
  // Whole seconds, rounded up so the wait is never shorter than asked; capped at a year
  // (the retry policy caps it further).
  return std::chrono::seconds{static_cast<std::int64_t>(std::ceil(std::min(seconds, 3.2e7)))};
}

RunOutcome outcome_of(const Result<std::string> &call, bool stopping) {
  if (call) {
    RunOutcome o;
    o.result.status = RunStatus::succeeded;
    o.result.output_json = call.value();
    return o;
  }
  const Error &error = call.error();
  std::string body = as_error_json(error);
  switch (error.status) {
  case AH_RETRY_LATER:
  case AH_RATE_LIMITED: {
    RunOutcome o;
    o.kind = OutcomeKind::retry;
    o.retry_after = retry_after_hint(body);
    o.error_json = std::move(body);
    return o;
  }
  case AH_CANCELLED: {
    RunOutcome o;
    o.kind = stopping ? OutcomeKind::release : OutcomeKind::retry;
    o.retry_after = retry_after_hint(body);
    o.error_json = std::move(body);
    return o;
  }
  case AH_AUTH_REQUIRED:
  case AH_INVALID_INPUT:
  case AH_NOT_FOUND:
  case AH_CONFLICT:
    return completed(RunStatus::needs_attention, std::move(body));
  case AH_OK: // a failed call that claims success is a plugin bug
  case AH_INTERNAL:
    break;
  }
  return completed(RunStatus::failed, std::move(body));
}

} // namespace autohost::daemon
