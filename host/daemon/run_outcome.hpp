// What the daemon records for a finished plugin call: the mapping from the call's status
// and JSON to a run's completion, a retry or a release.
#pragma once

#include "scheduler/schedule_store.hpp"

#include <autohost/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace autohost::daemon {

enum class OutcomeKind {
  complete, // succeeded, failed or needs_attention: the run is over
  retry,    // retry_later / rate_limited: pending again after a wait
  release,  // cancelled because the daemon is stopping: pending again, ready now
};

struct RunOutcome {
  OutcomeKind kind = OutcomeKind::complete;
  scheduler::RunResult result;                     // complete: status, output, error
  std::string error_json;                          // retry: the error body
  std::optional<std::chrono::seconds> retry_after; // retry: the plugin's hint, if any
};

// ok -> succeeded with the output; retry_later, rate_limited -> retry (with the error
// body's "retry_after_s" when it has one); auth_required, invalid_input, not_found,
// conflict -> needs_attention (a person must act; retrying cannot help); cancelled ->
// release when `stopping` (the plugin stopped at a checkpoint and resumes under the same
// key), else retry; internal and anything else -> failed.
RunOutcome outcome_of(const Result<std::string> &call, bool stopping);

// The "retry_after_s" of an error body (a positive number of seconds), or nullopt.
std::optional<std::chrono::seconds> retry_after_hint(std::string_view error_json);

} // namespace autohost::daemon
