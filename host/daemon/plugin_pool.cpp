// Starting and finding the daemon's plugin instances.
#include "plugin_pool.hpp"

#include "../errors.hpp"

namespace autohost::daemon {

Result<Done> PluginPool::start(std::shared_ptr<const Library> library,
                               std::string_view config_json) {
  auto entry = std::make_unique<Started>();
  entry->library = library;
  const std::string name(library->name());
  entry->services = std::make_unique<host::HostServices>(name, secrets_, logger_, clock_);
  auto instance = Instance::create(library, entry->services->table(), config_json);
  if (!instance) {
    return host::make_error(instance.error().status, "plugin_start",
                            "plugin " + name + " (" + library->path().string() +
                                ") failed to start: " + host::error_message(instance.error()));
  }
  entry->instance.emplace(std::move(instance).value());
  started_.push_back(std::move(entry));
  return Done{};
}

const Instance *PluginPool::find(std::string_view plugin) const {
  for (const auto &s : started_) {
    if (s->library->name() == plugin)
      return &*s->instance;
  }
  return nullptr;
}

std::vector<std::shared_ptr<const Library>> PluginPool::libraries() const {
  std::vector<std::shared_ptr<const Library>> out;
  for (const auto &s : started_)
    out.push_back(s->library);
  return out;
}

} // namespace autohost::daemon
