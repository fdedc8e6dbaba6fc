// Starting and finding the daemon's plugin instances.
#include "daemon/plugin_pool.hpp"

namespace autohost::daemon {

Result<Done> PluginPool::start(std::shared_ptr<const Library> library,
                               std::string_view config_json) {
  AH_TRY_DECLARE(started, host::StartedPlugin::start(std::move(library), secrets_, logger_, clock_,
                                                     config_json, grants_, counters_));
  started_.push_back(std::move(started));
  return Done{};
}

const Instance *PluginPool::find(std::string_view plugin) const {
  for (const auto &s : started_) {
    if (s->name() == plugin)
      return &s->instance();
  }
  return nullptr;
}

std::vector<std::shared_ptr<const Library>> PluginPool::libraries() const {
  std::vector<std::shared_ptr<const Library>> out;
  for (const auto &s : started_)
    out.push_back(s->library());
  return out;
}

} // namespace autohost::daemon
