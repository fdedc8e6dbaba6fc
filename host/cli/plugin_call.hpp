// What `invoke` and `job` share: find the plugin, open the store, start an instance with the
// host services (and the host clock), run one action or job with SIGINT/SIGTERM wired to
// cancellation, and print the JSON result or error.
#pragma once

#include "cli/command.hpp"

#include <optional>
#include <string>
#include <utility>

namespace autohost::cli {

enum class CallKind { action, job };

struct PluginCallRequest {
  std::string command; // "invoke" or "job", for messages
  CallKind kind = CallKind::action;
  std::string plugin;
  std::string name;  // the action or job
  std::string input; // actions only
  std::string account;
  std::string idempotency_key;
  std::optional<double> timeout_s;
};

// Runs the call; returns the exit code. The result is one line on stdout; an error is one
// JSON line on stderr.
int run_plugin_call(Context &ctx, const PluginCallRequest &request);

// Splits "PLUGIN.NAME"; nullopt after printing a usage error (`exit` set).
std::optional<std::pair<std::string, std::string>>
split_target(std::string_view command, const std::string &target, std::string_view what, int &exit);

} // namespace autohost::cli
