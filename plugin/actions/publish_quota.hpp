// The publishing quota, read before a post creates anything: an exhausted quota fails the
// post at once, with no orphan container and a hint of when the window frees up.
#pragma once

#include "actions/acting_account.hpp"

#include <optional>
#include <string>

namespace threads::actions {

enum class QuotaKind { posts, replies };

// Whether a quota that cannot be read lets the post go on (a real post: publishing itself
// enforces the limit) or, when the account itself was refused, fails (a dry run, whose
// purpose is to say whether the account can post).
enum class QuotaRead { advisory, account_must_answer };

// The quota as Threads reported it for the rolling 24 hours.
struct QuotaUse {
  long long used = 0;
  long long total = 0;
};

// Reads `threads_publishing_limit` for the posts or the (separate) replies quota. When it is
// used up: AH_RATE_LIMITED with code quota_exhausted, the idempotency key and
// `retry_after_s` - when the oldest own post of the 24-hour window ages out, where the
// account's list shows it, else an hour. The use read, or nullopt when it could not be read:
// then an advisory check goes on, and account_must_answer fails only when the account's
// token or permission was refused (auth_required with the fix).
autohost::Result<std::optional<QuotaUse>>
check_publishing_quota(const ActionContext &ctx, ActingAccount &account, QuotaKind kind,
                       const std::string &key, QuotaRead read = QuotaRead::advisory);

} // namespace threads::actions
