// Starting a plugin instance with its own service table.
#include "started_plugin.hpp"

#include "errors.hpp"

namespace autohost::host {

Result<std::unique_ptr<StartedPlugin>>
StartedPlugin::start(std::shared_ptr<const Library> library, store::SecretStore *store,
                     Logger &logger, Clock clock, std::string_view config_json,
                     const SecretGrants &grants, CounterSink *counters) {
  const std::string name(library->name());
  const auto granted = grants.find(name);
  auto services = std::make_unique<ServiceTable>(
      name, store, logger, std::move(clock),
      granted != grants.end() ? granted->second : std::vector<SecretGrant>{}, counters);
  auto instance = Instance::create(library, services->table(), config_json);
  if (!instance) {
    return make_error(instance.error().status, "plugin_start",
                      "plugin " + name + " (" + library->path().string() +
                          ") failed to start: " + error_message(instance.error()));
  }
  return std::unique_ptr<StartedPlugin>(
      new StartedPlugin(std::move(library), std::move(services), std::move(instance).value()));
}

} // namespace autohost::host
