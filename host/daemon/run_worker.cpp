// Executing one run and recording how it ended.
#include "daemon/run_worker.hpp"

#include "daemon/run_metrics.hpp"
#include "daemon/run_outcome.hpp"
#include "errors.hpp"
#include "plugin_errors.hpp"
#include "scheduler/run_link.hpp"
#include "scheduler/zone.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <cstdint>
#include <optional>

namespace autohost::daemon {
namespace json = boost::json;
using namespace autohost::scheduler;

scheduler::Instant instant_of(const host::Clock &clock) {
  return std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(clock())));
}

void daemon_log(host::Logger &logger, ah_log_level level, std::string_view message,
                const json::object &fields) {
  if (!logger.enabled(level))
    return;
  logger.log(level, "daemon", message, json::serialize(fields));
}

namespace {

int is_cancelled(void *active) {
  return static_cast<const ActiveRun *>(active)->cancel.load() ? 1 : 0;
}

json::object run_fields(const Run &run) {
  return json::object{{"run", run.id},
                      {"schedule", run.schedule_id},
                      {"target", run.plugin + "." + run.target},
                      {"attempt", run.attempts}};
}

Result<std::string> call_plugin(const WorkerContext &context, ActiveRun &active) {
  const Run &run = active.claim.run;
  const Instance *instance = context.plugins.find(run.plugin);
  if (instance == nullptr) {
    return host::make_error(AH_NOT_FOUND, "plugin_not_found",
                            "plugin '" + run.plugin +
                                "' is not loaded by this daemon (see: autohost plugins)");
  }
  CallOptions call;
  call.idempotency_key = run.id;
  call.account = run.account;
  call.is_cancelled = &is_cancelled;
  call.cancel_ctx = &active;
  try {
    return host::bound_plugin_result(run.kind == TargetKind::action
                                         ? instance->invoke(run.target, run.input_json, call)
                                         : instance->run_job(run.target, call));
  } catch (const std::exception &e) {
    return host::make_error(AH_INTERNAL, "internal", std::string("host error: ") + e.what());
  }
}

// The error body's code and message, and the link to what the run made (a post's
// permalink), for the log line (error bodies never hold secrets; the rest of the output is
// not logged).
void add_outcome(json::object &fields, const RunOutcome &outcome) {
  const bool complete = outcome.kind == OutcomeKind::complete;
  if (complete) {
    if (std::string link = permalink_of(outcome.result.output_json); !link.empty())
      fields["permalink"] = std::move(link);
  }
  const std::string &error_json = complete ? outcome.result.error_json : outcome.error_json;
  if (error_json.empty())
    return;
  boost::system::error_code ec;
  const json::value v = json::parse(error_json, ec);
  if (ec || !v.is_object())
    return;
  for (const char *key : {"code", "message"}) {
    if (const json::value *x = v.as_object().if_contains(key); x != nullptr && x->is_string()) {
      fields[key == std::string_view("code") ? "error_code" : "error"] = x->as_string();
    }
  }
}

void count(RunTally *tally, RunStatus ended) {
  if (tally == nullptr)
    return;
  switch (ended) {
  case RunStatus::succeeded:
    ++tally->succeeded;
    break;
  case RunStatus::needs_attention:
    ++tally->needs_attention;
    break;
  default:
    ++tally->failed;
    break;
  }
}

// `ended` is set when the run is over. One that ended badly is a warning: shown at the
// default level and by `journalctl -p warning`, while a `run --once` from cron says nothing
// when everything succeeded.
void log_finished(const WorkerContext &context, std::optional<RunStatus> ended,
                  const json::object &fields) {
  if (ended)
    count(context.tally, *ended);
  const bool bad = ended && *ended != RunStatus::succeeded;
  daemon_log(context.logger, bad ? AH_LOG_WARN : AH_LOG_INFO, "run finished", fields);
}

// Records the outcome; the store answers AH_RETRY_LATER when another process held the
// write lock for its whole busy timeout, so that is tried a few times.
void record(const WorkerContext &context, ActiveRun &active, const RunOutcome &outcome,
            json::object &fields) {
  const Claim &claim = active.claim;
  for (int attempt = 1;; ++attempt) {
    const Instant now = instant_of(context.clock);
    const auto store_started = std::chrono::steady_clock::now();
    Error error;
    bool ok = false;
    std::optional<RunStatus> ended; // set when the run is over
    switch (outcome.kind) {
    case OutcomeKind::complete: {
      // The next run for this worker's slot is claimed in the same commit, unless the
      // daemon is stopping.
      const int next = active.stopping.load() ? 0 : 1;
      auto done = context.store.complete_and_claim(claim, outcome.result, now, next);
      if ((ok = done.has_value())) {
        ended = done.value().run.status;
        fields["status"] = name_of(*ended);
        std::vector<Claim> unwanted;
        {
          std::lock_guard lock(context.handoff.mutex);
          for (Claim &c : done.value().next) {
            (context.handoff.closed ? unwanted : context.handoff.claims).push_back(std::move(c));
          }
        }
        for (const Claim &c : unwanted) {
          // Best effort: if this fails too, the run is resumed when its lease ends.
          [[maybe_unused]] auto back = context.store.release(c, now);
        }
      } else {
        error = done.error();
      }
      break;
    }
    case OutcomeKind::retry: {
      auto again = context.store.retry_later(claim, outcome.error_json, outcome.retry_after, now);
      if ((ok = again.has_value())) {
        const Run &r = again.value();
        fields["status"] = r.status == RunStatus::pending ? "retry" : name_of(r.status);
        if (r.status == RunStatus::pending)
          fields["retry_at"] = format_utc(r.not_before);
        else
          ended = r.status; // out of attempts
      } else {
        error = again.error();
      }
      break;
    }
    case OutcomeKind::release: {
      auto back = context.store.release(claim, now);
      if ((ok = back.has_value())) {
        fields["status"] = "released";
      } else {
        error = back.error();
      }
      break;
    }
    }
    if (context.metrics != nullptr) {
      context.metrics->observe_store(
          "record",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - store_started).count());
    }
    if (ok) {
      count_run_end(context.metrics, claim.run, outcome, fields["status"].as_string());
      log_finished(context, ended, fields);
      return;
    }
    if (error.status == AH_RETRY_LATER && attempt < 4) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    if (context.tally != nullptr && error.status != AH_CONFLICT)
      ++context.tally->failed; // its outcome is lost: the run is tried again later
    fields["status"] = "unrecorded";
    count_run_end(context.metrics, claim.run, outcome, "unrecorded");
    fields["store_error"] = host::error_message(error);
    // A lost claim means another daemon resumed the run under the same key; otherwise the
    // run stays running until its lease ends and is then resumed.
    daemon_log(context.logger, error.status == AH_CONFLICT ? AH_LOG_WARN : AH_LOG_ERROR,
               "run finished but its outcome was not recorded", fields);
    return;
  }
}

} // namespace

void execute_run(const WorkerContext &context, ActiveRun &active) noexcept {
  try {
    json::object fields = run_fields(active.claim.run);
    daemon_log(context.logger, AH_LOG_INFO,
               active.claim.run.attempts > 1 ? "run resumed" : "run started", fields);
    observe_start(context.metrics, active.claim.run, context.clock());
    const auto started = std::chrono::steady_clock::now();
    const Result<std::string> result = call_plugin(context, active);
    active.recording.store(true);
    fields["duration_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
    const RunOutcome outcome = outcome_of(result, active.stopping.load());
    add_outcome(fields, outcome);
    if (active.lost.load()) {
      fields["status"] = "dropped";
      count_run_end(context.metrics, active.claim.run, outcome, "dropped");
      daemon_log(context.logger, AH_LOG_WARN,
                 "run finished after its lease was taken over; its outcome is left to the "
                 "daemon that holds it",
                 fields);
    } else {
      record(context, active, outcome, fields);
    }
  } catch (...) {
    // Logging or recording threw (out of memory): the lease ends and the run is resumed.
  }
  active.finished.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = write(context.done_fd, &one, sizeof one);
}

} // namespace autohost::daemon
