// The CLI's exit codes: one per plugin status, plus usage, plugin and store failures.
#pragma once

#include <autohost/abi.h>

namespace autohost::cli {

enum ExitCode : int {
  exit_ok = 0,
  exit_internal = 1,      // AH_INTERNAL or an unexpected host failure
  exit_usage = 2,         // bad arguments, bad JSON input, bad config file
  exit_invalid_input = 3, // AH_INVALID_INPUT
  exit_not_found = 4,     // AH_NOT_FOUND (unknown plugin, action, secret, ...)
  exit_auth_required = 5, // AH_AUTH_REQUIRED
  exit_retry_later = 6,   // AH_RETRY_LATER
  exit_rate_limited = 7,  // AH_RATE_LIMITED
  exit_conflict = 8,      // AH_CONFLICT
  exit_cancelled = 9,     // AH_CANCELLED
  exit_plugin = 10,       // a plugin file failed to load or an instance failed to start
  exit_store = 11,        // the secret store cannot be opened (wrong key, corrupt file)
  exit_attention = 12,    // run --once --fail-on-attention: a run failed or needs attention
};

constexpr int exit_code_for(ah_status status) noexcept {
  switch (status) {
  case AH_OK:
    return exit_ok;
  case AH_INVALID_INPUT:
    return exit_invalid_input;
  case AH_NOT_FOUND:
    return exit_not_found;
  case AH_AUTH_REQUIRED:
    return exit_auth_required;
  case AH_RETRY_LATER:
    return exit_retry_later;
  case AH_RATE_LIMITED:
    return exit_rate_limited;
  case AH_CONFLICT:
    return exit_conflict;
  case AH_CANCELLED:
    return exit_cancelled;
  case AH_INTERNAL:
    return exit_internal;
  }
  return exit_internal;
}

} // namespace autohost::cli
