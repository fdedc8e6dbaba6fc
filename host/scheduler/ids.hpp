// Identifiers the scheduler makes and checks: schedule ids, run ids, content hashes.
#pragma once

#include "scheduler/zone.hpp"

#include <autohost/result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace autohost::scheduler {

// 1-100 characters of letters, digits and . _ : + -, starting with a letter or digit, so
// that "<schedule id>@<time>" is a valid plugin idempotency key (autohost/idempotency_key.hpp).
Result<Done> validate_schedule_id(std::string_view id, std::string_view what);
// 1-64 characters of letters, digits and . _ @ + - (account names end up in store keys).
Result<Done> validate_account(std::string_view account, std::string_view what);
// 1-200 bytes without control characters.
Result<Done> validate_schedule_name(std::string_view name, std::string_view what);

// "s-" and ten random lower-case letters and digits.
std::string new_schedule_id();

// "<schedule id>@<due as YYYYMMDDTHHMMSSZ>": the same occurrence always gets the same id, so
// it is never run twice, even when its schedule is removed and added again.
std::string make_run_id(std::string_view schedule_id, Instant due);

// 32 hex digits (BLAKE2b-128) of `text`.
std::string content_hash(std::string_view text);

// A delay in [0, max] that depends only on `run_id`, so every daemon agrees on it.
std::chrono::seconds jitter_for(std::string_view run_id, std::chrono::seconds max);

} // namespace autohost::scheduler
