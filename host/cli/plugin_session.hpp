// A started plugin instance for commands that make several calls and use their JSON
// results themselves (`status`), rather than printing one result as `invoke` does.
#pragma once

#include "command.hpp"

#include "../services.hpp"

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
  static Result<std::unique_ptr<PluginSession>> start(Context &ctx,
                                                      const std::shared_ptr<const Library> &library,
                                                      host::HostServices::Clock clock);

  const std::string &name() const noexcept { return name_; }
  // Whether the manifest lists an action of that name.
  bool has_action(std::string_view action) const;
  // Calls the action; the result is its JSON output. `timeout_s` bounds the call on the
  // host clock (0: no bound).
  Result<std::string> invoke(std::string_view action, std::string_view input_json,
                             std::string_view account, double timeout_s) const;

private:
  PluginSession(std::string name, host::HostServices::Clock clock,
                std::unique_ptr<host::HostServices> services, Instance instance)
      : name_(std::move(name)), clock_(std::move(clock)), services_(std::move(services)),
        instance_(std::move(instance)) {}

  std::string name_;
  host::HostServices::Clock clock_;
  // Declared before the instance, so the instance is destroyed first.
  std::unique_ptr<host::HostServices> services_;
  Instance instance_;
};

// Whether a plugin's manifest lists an action of that name.
bool manifest_has_action(const Library &library, std::string_view action);

} // namespace autohost::cli
