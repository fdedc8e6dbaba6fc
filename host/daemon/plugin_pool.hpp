// The plugin instances a daemon runs its schedules with: one instance per plugin, started
// once with the host services (the store, the logger, the host clock) and shared by every
// worker (the ABI allows concurrent calls on one instance).
#pragma once

#include "log.hpp"
#include "services.hpp"
#include "started_plugin.hpp"

#include <autohost/host.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace autohost::daemon {

class PluginPool {
public:
  // `grants`: what each plugin may use of the store beyond its own namespace; `counters`
  // (may be null) receives the plugins' own counters and must outlive the pool.
  PluginPool(store::SecretStore *secrets, host::Logger &logger, host::Clock clock,
             host::SecretGrants grants, host::CounterSink *counters = nullptr)
      : secrets_(secrets), logger_(logger), clock_(std::move(clock)), grants_(std::move(grants)),
        counters_(counters) {}
  PluginPool(const PluginPool &) = delete;
  PluginPool &operator=(const PluginPool &) = delete;

  // Starts an instance of `library` with its config JSON ("" for none). The error names the
  // plugin file and why it did not start.
  Result<Done> start(std::shared_ptr<const Library> library, std::string_view config_json);

  // nullptr when no plugin of that name was started.
  const Instance *find(std::string_view plugin) const;
  std::vector<std::shared_ptr<const Library>> libraries() const;

private:
  store::SecretStore *secrets_;
  host::Logger &logger_;
  host::Clock clock_;
  host::SecretGrants grants_;
  host::CounterSink *counters_;
  std::vector<std::unique_ptr<host::StartedPlugin>> started_;
};

} // namespace autohost::daemon
