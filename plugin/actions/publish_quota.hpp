// The publishing quota, read before a post creates anything: an exhausted quota fails the
// post at once, with no orphan container and a hint of when the window frees up.
#pragma once

#include "actions/acting_account.hpp"

#include <string>

namespace threads::actions {

enum class QuotaKind { posts, replies };

// Reads `threads_publishing_limit` for the posts or the (separate) replies quota. When it is
// used up: AH_RATE_LIMITED with code quota_exhausted, the idempotency key and
// `retry_after_s` - when the oldest own post of the 24-hour window ages out, where the
// account's list shows it, else an hour. The check is advisory: when the quota cannot be
// read the post goes on (publishing itself enforces the limit).
autohost::Result<autohost::Done> check_publishing_quota(const ActionContext &ctx,
                                                        ActingAccount &account, QuotaKind kind,
                                                        const std::string &key);

} // namespace threads::actions
