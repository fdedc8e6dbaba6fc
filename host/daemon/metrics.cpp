// Counting and rendering the daemon's metrics in the Prometheus text format.
#include "daemon/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace autohost::daemon {

namespace {

void escape_label(std::string &out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void add_to(std::mutex &mutex, std::map<LabelValues, double> &counters, LabelValues labels,
            double value) {
  std::lock_guard lock(mutex);
  counters[std::move(labels)] += value;
}

void render_counters(std::string &out, std::string_view name, std::string_view help,
                     const std::vector<std::string_view> &labels,
                     const std::map<LabelValues, double> &counters) {
  family_header(out, name, "counter", help);
  for (const auto &[values, value] : counters) {
    std::string text = label_text(labels, values);
    if (!text.empty())
      text.pop_back(); // the trailing comma
    out.append(name).append("{").append(text).append("} ").append(sample_value(value));
    out += '\n';
  }
}

void render_gauge(std::string &out, std::string_view name, std::string_view help, double value) {
  family_header(out, name, "gauge", help);
  out.append(name).append(" ").append(sample_value(value)).append("\n");
}

} // namespace

std::string label_text(const std::vector<std::string_view> &names, const LabelValues &values) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out.append(names[i]).append("=\"");
    escape_label(out, values[i]);
    out += "\",";
  }
  return out;
}

void family_header(std::string &out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

std::string sample_value(double value) {
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    return std::to_string(static_cast<std::int64_t>(value));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

void Histogram::observe(double value) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      ++counts_[i];
      break;
    }
  }
  ++count_;
  sum_ += value;
}

void Histogram::render(std::string &out, std::string_view name, std::string_view labels) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += i < bounds_.size() ? counts_[i] : 0;
    const std::string le = i < bounds_.size() ? sample_value(bounds_[i]) : "+Inf";
    out.append(name).append("_bucket{").append(labels).append("le=\"").append(le).append("\"} ");
    out.append(std::to_string(i < bounds_.size() ? cumulative : count_)).append("\n");
  }
  std::string plain(labels);
  if (!plain.empty())
    plain.pop_back();
  const std::string braces = plain.empty() ? "" : "{" + plain + "}";
  out.append(name).append("_sum").append(braces).append(" ").append(sample_value(sum_)) += '\n';
  out.append(name).append("_count").append(braces).append(" ").append(std::to_string(count_)) +=
      '\n';
}

void Metrics::count_run(std::string_view plugin, std::string_view target, std::string_view status) {
  add_to(mutex_, runs_, {std::string(plugin), std::string(target), std::string(status)}, 1);
}

void Metrics::count_run_error(std::string_view plugin, std::string_view code,
                              std::string_view http_status, std::string_view api_code) {
  add_to(mutex_, run_errors_,
         {std::string(plugin), std::string(code), std::string(http_status), std::string(api_code)},
         1);
}

void Metrics::count_job_report(std::string_view job, std::string_view field, std::int64_t value) {
  add_to(mutex_, job_report_, {std::string(job), std::string(field)}, static_cast<double>(value));
}

void Metrics::add(std::string_view plugin, std::string_view name, const host::CounterLabels &labels,
                  std::uint64_t delta) {
  std::lock_guard lock(mutex_);
  auto family = plugin_counts_.find(name);
  if (family == plugin_counts_.end())
    family = plugin_counts_.emplace(std::string(name), PluginSeries{}).first;
  std::pair<std::string, host::CounterLabels> key{std::string(plugin), labels};
  if (auto series = family->second.find(key); series != family->second.end()) {
    series->second += static_cast<double>(delta);
    return;
  }
  auto kept = plugin_series_.find(plugin);
  if (kept == plugin_series_.end())
    kept = plugin_series_.emplace(std::string(plugin), 0).first;
  if (kept->second >= max_plugin_series) {
    plugin_dropped_[{std::string(plugin)}] += 1;
    return;
  }
  ++kept->second;
  family->second.emplace(std::move(key), static_cast<double>(delta));
}

void Metrics::observe_lateness(double seconds) {
  std::lock_guard lock(mutex_);
  lateness_.observe(seconds);
}

void Metrics::observe_store(std::string_view op, double seconds) {
  std::lock_guard lock(mutex_);
  auto it = store_.find(op);
  if (it == store_.end()) {
    it = store_.emplace(std::string(op), Histogram({0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30}))
             .first;
  }
  it->second.observe(seconds);
}

std::string Metrics::render(std::string_view extra) const {
  std::string out;
  render_gauge(out, "autohost_ready", "1 once the daemon registered its jobs and runs its loop",
               ready() ? 1 : 0);
  render_gauge(out, "autohost_store_reachable",
               "1 while the last turn of the loop reached the store", store_reachable() ? 1 : 0);
  render_gauge(out, "autohost_last_loop_timestamp_seconds",
               "Unix time of the end of the loop's last turn",
               static_cast<double>(last_loop_ms()) / 1000.0);
  render_gauge(out, "autohost_runs_in_flight", "runs being executed by workers now",
               in_flight_.load());
  std::lock_guard lock(mutex_);
  render_counters(out, "autohost_runs_total", "runs ended, by plugin, target and status",
                  {"plugin", "target", "status"}, runs_);
  render_counters(out, "autohost_run_errors_total",
                  "failed calls by plugin, error code, HTTP status and API error code of the "
                  "answer that failed them",
                  {"plugin", "code", "http_status", "api_code"}, run_errors_);
  render_counters(out, "autohost_job_report_total",
                  "counts in the reports of jobs that succeeded, by job and report member",
                  {"job", "field"}, job_report_);
  family_header(out, "autohost_dispatch_lateness_seconds", "histogram",
                "seconds from a run's due time to its start by a worker");
  lateness_.render(out, "autohost_dispatch_lateness_seconds", "");
  family_header(out, "autohost_store_latency_seconds", "histogram",
                "seconds one call to the schedule store took, by operation");
  for (const auto &[op, histogram] : store_)
    histogram.render(out, "autohost_store_latency_seconds", label_text({"op"}, {op}));
  render_plugin_counters(out);
  out.append(extra);
  return out;
}

void Metrics::render_plugin_counters(std::string &out) const {
  for (const auto &[name, series] : plugin_counts_) {
    const std::string family = "autohost_plugin_" + name + "_total";
    family_header(out, family, "counter",
                  "counted by plugins (ABI count '" + name + "'), by plugin and its labels");
    for (const auto &[key, value] : series) {
      out.append(family).append("{plugin=\"");
      escape_label(out, key.first);
      out += '"';
      for (const auto &[label, text] : key.second) {
        out.append(",").append(label).append("=\"");
        escape_label(out, text);
        out += '"';
      }
      out.append("} ").append(sample_value(value)) += '\n';
    }
  }
  if (!plugin_dropped_.empty()) {
    render_counters(out, "autohost_plugin_counts_dropped_total",
                    "plugin counts not kept: the plugin had " + std::to_string(max_plugin_series) +
                        " label sets already",
                    {"plugin"}, plugin_dropped_);
  }
}

} // namespace autohost::daemon
