// A plugin library started with the host's services: what `invoke`, `status` and the daemon
// each call actions and jobs on.
#pragma once

#include "log.hpp"
#include "services.hpp"
#include "store/secret_store.hpp"

#include <autohost/host.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace autohost::host {

// Holds the library, the service table an instance was created with and the instance,
// declared in that order so that the instance is destroyed first and the library last.
// Not movable: the instance holds a pointer to the table.
class StartedPlugin {
public:
  // Starts an instance of `library` with a service table bound to `store` (may be null),
  // `logger` and `clock`, and its config JSON ("" for none). Its secrets are those under its
  // name (the table's `name`, by which the registry finds it and commands address it) plus
  // what `grants` gives that name; its counters go to `counters` (none: not kept). The error
  // (code "plugin_start") names the plugin and its file and says why it did not start.
  static Result<std::unique_ptr<StartedPlugin>> start(std::shared_ptr<const Library> library,
                                                      store::SecretStore *store, Logger &logger,
                                                      Clock clock, std::string_view config_json,
                                                      const SecretGrants &grants,
                                                      CounterSink *counters = nullptr);
  StartedPlugin(const StartedPlugin &) = delete;
  StartedPlugin &operator=(const StartedPlugin &) = delete;

  std::string_view name() const noexcept { return library_->name(); }
  const std::shared_ptr<const Library> &library() const noexcept { return library_; }
  // Calls on one instance may run concurrently (the ABI allows it).
  const Instance &instance() const noexcept { return instance_; }

private:
  StartedPlugin(std::shared_ptr<const Library> library, std::unique_ptr<ServiceTable> services,
                Instance instance)
      : library_(std::move(library)), services_(std::move(services)),
        instance_(std::move(instance)) {}

  std::shared_ptr<const Library> library_;
  std::unique_ptr<ServiceTable> services_;
  Instance instance_;
};

} // namespace autohost::host
