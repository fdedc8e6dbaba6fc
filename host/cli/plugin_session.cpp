// Starting a plugin once and calling several of its actions for their JSON results.
#include "cli/plugin_session.hpp"

#include "plugin_errors.hpp"

namespace autohost::cli {

Result<std::unique_ptr<PluginSession>>
PluginSession::start(Context &ctx, const std::shared_ptr<const Library> &library,
                     host::Clock clock) {
  AH_TRY_DECLARE(store, ctx.store());
  const std::string name(library->name());
  AH_TRY_DECLARE(plugin, host::StartedPlugin::start(library, store, ctx.logger(), clock,
                                                    ctx.settings().plugin_config(name),
                                                    ctx.settings().secret_grants));
  return std::unique_ptr<PluginSession>(new PluginSession(std::move(clock), std::move(plugin)));
}

Result<std::string> PluginSession::invoke(std::string_view action, std::string_view input_json,
                                          std::string_view account, double timeout_s) const {
  CallOptions call;
  call.account = account;
  if (timeout_s > 0)
    call.deadline_ms = clock_() + static_cast<std::int64_t>(timeout_s * 1000);
  return host::bound_plugin_result(plugin_->instance().invoke(action, input_json, call));
}

} // namespace autohost::cli
