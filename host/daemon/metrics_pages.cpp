// Rendering /metrics and /healthz.
#include "daemon/metrics_pages.hpp"

#include "daemon/token_gauge.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace autohost::daemon {
namespace json = boost::json;

MetricsPages metrics_pages(const Metrics &metrics, const PluginPool &plugins, host::Clock clock,
                           std::chrono::seconds stale_after) {
  MetricsPages pages;
  pages.metrics = [&metrics, &plugins, clock] {
    return Page{200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.render(render_token_days(plugins, clock()))};
  };
  pages.health = [&metrics, clock, stale_after] {
    const std::int64_t last = metrics.last_loop_ms();
    const std::int64_t next = metrics.next_loop_ms();
    const std::int64_t now = clock();
    const std::int64_t age_ms = last == 0 ? -1 : now - last;
    // A loop is stuck when it is `stale_after` past the later of its last turn and the end
    // of the sleep it planned (a daemon that sleeps until a post due in a day is not stuck).
    const bool fresh = last != 0 && now - std::max(last, next) <= stale_after.count() * 1000;
    const bool ok = metrics.ready() && metrics.store_reachable() && fresh;
    json::object body{{"status", ok ? "ok" : "unhealthy"},
                      {"ready", metrics.ready()},
                      {"store_reachable", metrics.store_reachable()},
                      {"last_loop_ms", last == 0 ? json::value(nullptr) : json::value(last)},
                      {"next_loop_ms", next == 0 ? json::value(nullptr) : json::value(next)},
                      {"last_loop_age_s", age_ms < 0
                                              ? json::value(nullptr)
                                              : json::value(static_cast<double>(age_ms) / 1000.0)}};
    return Page{ok ? 200 : 503, "application/json", json::serialize(body) + "\n"};
  };
  return pages;
}

} // namespace autohost::daemon
