// Starting a plugin once and calling several of its actions for their JSON results.
#include "plugin_session.hpp"

#include "../errors.hpp"

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
                     host::HostServices::Clock clock) {
  auto store = ctx.store();
  if (!store)
    return std::move(store).error();
  const std::string name(library->name());
  auto services = std::make_unique<host::HostServices>(name, store.value(), ctx.logger(), clock);
  auto instance = Instance::create(library, services->table(), ctx.settings().plugin_config(name));
  if (!instance) {
    return host::make_error(instance.error().status, "plugin_start",
                            "plugin " + name + " (" + library->path().string() +
                                ") failed to start: " + host::error_message(instance.error()));
  }
  return std::unique_ptr<PluginSession>(
      new PluginSession(name, std::move(clock), std::move(services), std::move(instance).value()));
}

bool PluginSession::has_action(std::string_view action) const {
  return manifest_has_action(instance_.library(), action);
}

Result<std::string> PluginSession::invoke(std::string_view action, std::string_view input_json,
                                          std::string_view account, double timeout_s) const {
  CallOptions call;
  call.account = account;
  if (timeout_s > 0)
    call.deadline_ms = clock_() + static_cast<std::int64_t>(timeout_s * 1000);
  return instance_.invoke(action, input_json, call);
}

} // namespace autohost::cli
