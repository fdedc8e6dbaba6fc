// Reading a run's outcome into the daemon's metrics.
#include "daemon/run_metrics.hpp"

#include <boost/json.hpp>

namespace autohost::daemon {
namespace json = boost::json;

namespace {

json::object parse_object(std::string_view text) {
  if (text.empty())
    return {};
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object())
    return {};
  return std::move(v.as_object());
}

// A member as label text: strings as they are, integers in decimal, anything else "".
std::string member_text(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  if (v == nullptr)
    return {};
  if (v->is_string())
    return std::string(v->as_string());
  if (v->is_int64())
    return std::to_string(v->as_int64());
  if (v->is_uint64())
    return std::to_string(v->as_uint64());
  return {};
}

} // namespace

void count_run_end(Metrics *metrics, const scheduler::Run &run, const RunOutcome &outcome,
                   std::string_view status) {
  if (metrics == nullptr)
    return;
  const std::string target = run.plugin + "." + run.target;
  metrics->count_run(run.plugin, target, status);
  const std::string_view error_json =
      outcome.kind == OutcomeKind::complete ? outcome.result.error_json : outcome.error_json;
  if (!error_json.empty() && outcome.kind != OutcomeKind::release) {
    const json::object error = parse_object(error_json);
    // The ABI's error body: "code", and "http_status"/"threads_code" when a server answered.
    metrics->count_run_error(run.plugin, member_text(error, "code"),
                             member_text(error, "http_status"), member_text(error, "threads_code"));
  }
  if (run.kind == scheduler::TargetKind::job && outcome.kind == OutcomeKind::complete &&
      outcome.result.status == scheduler::RunStatus::succeeded) {
    for (const auto &[key, value] : parse_object(outcome.result.output_json)) {
      if (value.is_int64() && value.as_int64() >= 0)
        metrics->count_job_report(target, key, value.as_int64());
    }
  }
}

void observe_start(Metrics *metrics, const scheduler::Run &run, std::int64_t started_ms) {
  // A retry or a resumption starts late on purpose; only first starts say how the
  // daemon keeps up.
  if (metrics == nullptr || run.attempts > 1)
    return;
  const std::int64_t due_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(run.due.time_since_epoch()).count();
  const std::int64_t late_ms = started_ms - due_ms;
  metrics->observe_lateness(late_ms < 0 ? 0.0 : static_cast<double>(late_ms) / 1000.0);
}

} // namespace autohost::daemon
