// The `post` action's dry run: every check a real post makes before it creates anything, and
// nothing that would create a container, publish, or use up the idempotency key.
#pragma once

#include "actions/acting_account.hpp"
#include "actions/post_input.hpp"

#include <boost/json/object.hpp>

#include <string>

namespace threads::actions {

struct DryRunPost {
  const PostInput &input;
  const boost::json::object &post; // the input as given, without dry_run
  std::string input_sha256;        // what a checkpoint of the real post would hold
  std::string key;                 // the caller's idempotency key; empty when none was given
};

// After the input and the account passed the real post's checks: the reply or quote target
// must be visible to the account, the key must not belong to another post, and the quota
// must have room (the real post's quota_exhausted error otherwise). A refused token or
// permission fails as auth_required with the fix. Returns {"dry_run": true, ...}: what would
// be posted, as whom, and the quota left.
autohost::Result<std::string> dry_run_post(const ActionContext &ctx, ActingAccount &account,
                                           const DryRunPost &post);

} // namespace threads::actions
