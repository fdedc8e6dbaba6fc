// The pages of `autohost run --metrics`: /metrics from the daemon's Metrics and its plugins'
// token gauge, /healthz from the loop's state.
#pragma once

#include "daemon/metrics.hpp"
#include "daemon/metrics_server.hpp"
#include "daemon/plugin_pool.hpp"
#include "services.hpp"

#include <chrono>

namespace autohost::daemon {

// /healthz answers 200 while the daemon is ready, its store was reachable at the last turn
// of the loop, and the loop is no more than `stale_after` past the later of that turn's end
// and the end of the sleep it then planned; 503 otherwise. Both pages read
// `metrics` and `plugins`, which must outlive the server.
MetricsPages metrics_pages(const Metrics &metrics, const PluginPool &plugins, host::Clock clock,
                           std::chrono::seconds stale_after);

} // namespace autohost::daemon
