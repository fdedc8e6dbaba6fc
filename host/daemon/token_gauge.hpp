// The token gauge of `autohost run --metrics`: how long each account's token has left, as
// each plugin's `accounts` capability (its manifest) reports them.
#pragma once

#include "daemon/plugin_pool.hpp"

#include <cstdint>
#include <string>

namespace autohost::daemon {

// The rendered family autohost_token_expires_in_seconds{plugin,account} (and
// autohost_token_status_errors for plugins that did not answer). `now_ms` is the host clock,
// for the call's deadline.
std::string render_token_days(const PluginPool &plugins, std::int64_t now_ms);

} // namespace autohost::daemon
