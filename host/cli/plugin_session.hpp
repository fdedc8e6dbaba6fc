// A started plugin instance for commands that make several calls and use their JSON
// results themselves (`status`), rather than printing one result as `invoke` does.
#pragma once

#include "cli/command.hpp"

#include "services.hpp"
#include "started_plugin.hpp"

#include <autohost/host.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace autohost::cli {

class PluginSession {
public:
  // Starts `library` with the host services (the context's store, logger and `clock`) and
  // its config. The error names the plugin and says why it did not start.
  static Result<std::unique_ptr<PluginSession>>
  start(Context &ctx, const std::shared_ptr<const Library> &library, host::Clock clock);

  const std::string &name() const noexcept { return name_; }
  // Calls the action; the result is its JSON output. `timeout_s` bounds the call on the
  // host clock (0: no bound).
  Result<std::string> invoke(std::string_view action, std::string_view input_json,
                             std::string_view account, double timeout_s) const;

private:
  PluginSession(host::Clock clock, std::unique_ptr<host::StartedPlugin> plugin)
      : name_(plugin->name()), clock_(std::move(clock)), plugin_(std::move(plugin)) {}

  std::string name_;
  host::Clock clock_;
  std::unique_ptr<host::StartedPlugin> plugin_;
};

} // namespace autohost::cli
