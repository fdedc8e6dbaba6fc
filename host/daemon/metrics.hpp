// What `autohost run --metrics` reports: counters, gauges and histograms the daemon's loop
// and workers update, rendered as Prometheus text (exposition format 0.0.4).
#pragma once

#include "plugin_counters.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace autohost::daemon {

// Label values in the order of the family's label names.
using LabelValues = std::vector<std::string>;

// Cumulative buckets (upper bounds in seconds) plus the sum and count of what was seen.
class Histogram {
public:
  explicit Histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}
  void observe(double value);
  // The family's lines for one label set (`labels` is `a="x",` or empty).
  void render(std::string &out, std::string_view name, std::string_view labels) const;

private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_; // per bucket, not yet cumulative
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// Thread-safe: workers, the loop, plugins' threads and the metrics server's thread use one
// instance.
class Metrics : public host::CounterSink {
public:
  // A plugin's own counter (ABI 1.3 `count`), served as autohost_plugin_<name>_total. A
  // plugin's label sets beyond `max_plugin_series` are not kept but counted as dropped.
  void add(std::string_view plugin, std::string_view name, const host::CounterLabels &labels,
           std::uint64_t delta) override;
  static constexpr std::size_t max_plugin_series = 1000;

  // A run that ended with `status` (succeeded, failed, needs_attention, retry, released,
  // unrecorded, dropped); `target` is "plugin.action" or "plugin.job".
  void count_run(std::string_view plugin, std::string_view target, std::string_view status);
  // A failed call's error body: its code and, when a remote server answered, the HTTP
  // status and the API's own error code (the ABI's "http_status" and "threads_code").
  void count_run_error(std::string_view plugin, std::string_view code, std::string_view http_status,
                       std::string_view api_code);
  // A job's report member that is a count (e.g. refreshed, failed), added per job.
  void count_job_report(std::string_view job, std::string_view field, std::int64_t value);
  // Seconds between a run's due time and its start by a worker.
  void observe_lateness(double seconds);
  // Seconds one store call took; `op` names it (claim, make_due, record, ...).
  void observe_store(std::string_view op, double seconds);

  // The loop's state, for the gauges and /healthz.
  void set_in_flight(int runs) { in_flight_.store(runs); }
  void set_ready() { ready_.store(true); }
  void set_store_reachable(bool ok) { store_ok_.store(ok); }
  void loop_turned(std::int64_t unix_ms) { last_loop_ms_.store(unix_ms); }
  // When the loop means to turn next (the end of the sleep it starts), for /healthz.
  void loop_sleeps_until(std::int64_t unix_ms) { next_loop_ms_.store(unix_ms); }

  bool ready() const { return ready_.load(); }
  bool store_reachable() const { return store_ok_.load(); }
  std::int64_t last_loop_ms() const { return last_loop_ms_.load(); }
  std::int64_t next_loop_ms() const { return next_loop_ms_.load(); }

  // Every family in Prometheus text; `extra` (already rendered families) goes at the end.
  std::string render(std::string_view extra = {}) const;

private:
  void render_plugin_counters(std::string &out) const; // holds mutex_
  using Counters = std::map<LabelValues, double>;
  mutable std::mutex mutex_;
  Counters runs_, run_errors_, job_report_;
  Histogram lateness_{{0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600}};
  std::map<std::string, Histogram, std::less<>> store_;
  // Plugins' counters by name, then by plugin and labels; label sets kept per plugin.
  using PluginSeries = std::map<std::pair<std::string, host::CounterLabels>, double>;
  std::map<std::string, PluginSeries, std::less<>> plugin_counts_;
  std::map<std::string, std::size_t, std::less<>> plugin_series_;
  Counters plugin_dropped_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> ready_{false};
  std::atomic<bool> store_ok_{true};
  std::atomic<std::int64_t> last_loop_ms_{0};
  std::atomic<std::int64_t> next_loop_ms_{0};
};

// Calls `call` (a store call) and observes how long it took as `op` when `metrics` is set.
template <class Call> auto timed_store_call(Metrics *metrics, std::string_view op, Call &&call) {
  const auto started = std::chrono::steady_clock::now();
  auto result = call();
  if (metrics != nullptr) {
    metrics->observe_store(
        op, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return result;
}

// `name{a="x",b="y"}`-style label text for `names` and `values` (escaped), ending in a
// comma when not empty, so a histogram can append `le`.
std::string label_text(const std::vector<std::string_view> &names, const LabelValues &values);

// "# HELP" and "# TYPE" lines of a family.
void family_header(std::string &out, std::string_view name, std::string_view type,
                   std::string_view help);

// A sample value as Prometheus reads it (integers without a fraction).
std::string sample_value(double value);

} // namespace autohost::daemon
