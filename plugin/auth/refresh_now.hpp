// Refreshing one account at once (the refresh_token action, and actions whose token was
// rejected), single-flight with every other refresher of the same account.
#pragma once

#include "auth/rotation.hpp"
#include "graph/graph_client.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <string>

namespace threads::auth {

// Sends the refresh request for `token` (with the caller's deadline and cancellation).
using SendRefresh = std::function<graph::GraphResult<boost::json::value>(const std::string &token)>;
// Sleeps up to `seconds`; false when the caller was cancelled or ran out of time.
using WaitFor = std::function<bool(double seconds)>;

// Refreshes `account` if Meta allows it now (a long-lived token at least 24 h old, not
// expired). When another process is refreshing it, waits for that one and adopts its token.
// Success: refreshed or adopted, and `account` holds the token to use. Errors:
// auth_required (the account needs re-authorising; marked so when the refresh proved the
// token dead or it expired), retry_later (too young to refresh, with retry_after_s; another
// refresh still running; a transient failure), invalid_input (a short-lived token).
autohost::Result<RotationResult> refresh_now(const Rotation &rotation, StoredAccount &account,
                                             const SendRefresh &send, const WaitFor &wait);

} // namespace threads::auth
