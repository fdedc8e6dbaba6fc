// Starting a plugin once and calling several of its actions for their JSON results.
#include "cli/plugin_session.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace autohost::cli {
namespace json = boost::json;

bool manifest_has_action(const Library &library, std::string_view action) {
  boost::system::error_code ec;
  const json::value manifest = json::parse(library.manifest_json(), ec);
  const json::value *actions =
      ec || !manifest.is_object() ? nullptr : manifest.as_object().if_contains("actions");
  if (actions == nullptr || !actions->is_array())
    return false;
  return std::any_of(actions->as_array().begin(), actions->as_array().end(), [&](const auto &a) {
    const json::value *n = a.is_object() ? a.as_object().if_contains("name") : nullptr;
    return n != nullptr && n->is_string() && n->as_string() == action;
  });
}

Result<std::unique_ptr<PluginSession>>
PluginSession::start(Context &ctx, const std::shared_ptr<const Library> &library,
                     host::Clock clock) {
  AH_TRY_DECLARE(store, ctx.store());
  const std::string name(library->name());
  AH_TRY_DECLARE(plugin, host::StartedPlugin::start(library, store, ctx.logger(), clock,
                                                    ctx.settings().plugin_config(name)));
  return std::unique_ptr<PluginSession>(new PluginSession(std::move(clock), std::move(plugin)));
}

bool PluginSession::has_action(std::string_view action) const {
  return manifest_has_action(*plugin_->library(), action);
}

Result<std::string> PluginSession::invoke(std::string_view action, std::string_view input_json,
                                          std::string_view account, double timeout_s) const {
  CallOptions call;
  call.account = account;
  if (timeout_s > 0)
    call.deadline_ms = clock_() + static_cast<std::int64_t>(timeout_s * 1000);
  return plugin_->instance().invoke(action, input_json, call);
}

} // namespace autohost::cli
