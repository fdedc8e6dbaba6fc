// When to retry and how long to wait: retryable statuses, Retry-After, jittered backoff.
#pragma once

#include "http/options.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace threads::http {

// 429, 502, 503 and 504: the server asks us to come back later or a gateway failed.
bool is_retryable_status(int status) noexcept;

// The wait a Retry-After value asks for: delta-seconds ("120") or an HTTP-date in any of
// the three formats RFC 9110 requires recipients to accept. A date in the past gives 0;
// more than a year (99999999999 seconds, a date in 9999) gives a year; anything else that
// does not parse ("-5", "1.5", "soon") gives nullopt (the caller falls back to backoff).
std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) noexcept;

// Full-jitter exponential backoff before retry number `retry` (1 for the first retry):
// unit_random * min(max_delay, base_delay * 2^(retry - 1)), with unit_random in [0, 1).
std::chrono::milliseconds backoff_delay(const RetryPolicy &policy, int retry,
                                        double unit_random) noexcept;

} // namespace threads::http
