// One turn's store work of the daemon's loop: due runs, claims, reaping, lease renewal,
// and what a failing store is logged as.
#include "daemon/loop.hpp"

#include "daemon/job_defaults.hpp"
#include "daemon/metrics.hpp"
#include "errors.hpp"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace autohost::daemon {
using namespace autohost::scheduler;
using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

Loop::Loop(ScheduleStore &store, PluginPool &plugins, host::Logger &logger, host::Clock clock,
           StopSignal &stop, const DaemonOptions &options)
    : store_(store), plugins_(plugins), logger_(logger), clock_(std::move(clock)), stop_(stop),
      options_(options), wake_(make_wake_source(store.connect_location(), logger)),
      worker_(make_worker_id()),
      renew_every_(std::max(milliseconds(200), milliseconds(options.lease) / 3)) {}

void Loop::housekeep() {
  const auto now = std::chrono::steady_clock::now();
  if (!options_.housekeeping || now < next_housekeeping_ || unavailable_this_turn_)
    return;
  next_housekeeping_ = now + options_.housekeeping_every;
  options_.housekeeping();
}

bool Loop::store_ok(const Error &error, std::string_view doing) {
  // During an outage (a database that cannot be reached) every turn fails the same way:
  // the first turn's errors say why, the rest are counted and summed up when it ends.
  if (!outage_) {
    log(AH_LOG_ERROR, "store error",
        {{"doing", doing}, {"error", host::error_message(error)}, {"store", store_.location()}});
  }
  count_store_failure(error);
  return false;
}

void Loop::count_store_failure(const Error &error) {
  store_failed_ = true;
  failed_this_turn_ = true;
  // Unreachable, timed out, or a connection lost during COMMIT: the store cannot serve now.
  const std::string code = host::error_code(error);
  if (code == "store_unavailable" || code == "store_outcome_unknown")
    unavailable_this_turn_ = true;
  ++failed_calls_;
}

void Loop::end_turn() {
  if (failed_this_turn_ && !outage_) {
    outage_ = true;
    log(AH_LOG_WARN, "store failing; claiming nothing and logging no more store errors until it "
                     "works again");
  } else if (!failed_this_turn_ && outage_) {
    outage_ = false;
    log(AH_LOG_INFO, "store works again", {{"failed_calls", failed_calls_}});
    failed_calls_ = 0;
  }
  if (!outage_)
    failed_calls_ = 0;
  if (options_.metrics != nullptr) {
    options_.metrics->set_store_reachable(!failed_this_turn_);
    options_.metrics->set_in_flight(static_cast<int>(active_.size()));
    options_.metrics->loop_turned(clock_());
  }
  failed_this_turn_ = false;
  unavailable_this_turn_ = false;
}

void Loop::register_job_defaults() {
  for (const auto &library : plugins_.libraries()) {
    JobDefaults defaults = job_defaults(*library, now(), options_.job_jitter);
    for (const auto &problem : defaults.problems) {
      log(AH_LOG_WARN, "job default schedule not used", {{"problem", problem}});
    }
    for (const auto &draft : defaults.drafts) {
      if (unavailable_this_turn_)
        return; // left, like a failed call, to the next start (or another host)
      auto chosen = store_.ensure_job_schedule(draft, now());
      if (!chosen) {
        store_ok(chosen.error(), "registering job " + draft.plugin + "." + draft.target);
        continue;
      }
      log(AH_LOG_DEBUG, "job schedule",
          {{"job", draft.plugin + "." + draft.target},
           {"schedule", chosen.value().id},
           {"spec", chosen.value().spec}});
    }
  }
}

bool Loop::make_due_runs() {
  if (unavailable_this_turn_)
    return false;
  auto due =
      timed_store_call(options_.metrics, "make_due", [&] { return store_.materialise_due(now()); });
  if (!due)
    return store_ok(due.error(), "making due runs");
  for (const auto &id : due.value().missed)
    log(AH_LOG_WARN, "run missed", {{"run", id}});
  for (const auto &p : due.value().problems)
    log(AH_LOG_WARN, "schedule stopped", {{"problem", p}});
  return true;
}

void Loop::start(Claim claim) {
  auto active = std::make_unique<ActiveRun>(std::move(claim));
  ActiveRun &ref = *active;
  active_.push_back(std::move(active));
  const WorkerContext context{store_,     plugins_, logger_,        clock_,
                              done_.fd(), handoff_, options_.tally, options_.metrics};
  ref.thread = std::thread([context, &ref] { execute_run(context, ref); });
}

bool Loop::claim_runs() {
  if (stop_.requested())
    return false;
  bool claimed = false;
  {
    // Runs claimed by workers as they finished come first; one whose worker is not reaped
    // yet waits for that (its done_ wakes the loop), so never more than `workers` run.
    std::lock_guard lock(handoff_.mutex);
    auto &handed = handoff_.claims;
    while (!handed.empty() && static_cast<int>(active_.size()) < options_.workers) {
      start(std::move(handed.front()));
      handed.erase(handed.begin());
      claimed = true;
    }
    if (!handed.empty())
      return claimed;
  }
  const int free = options_.workers - static_cast<int>(active_.size());
  if (free <= 0 || unavailable_this_turn_)
    return claimed;
  // One transaction (one commit) claims a run for every free worker.
  auto batch = timed_store_call(options_.metrics, "claim",
                                [&] { return store_.claim_batch(worker_, now(), free); });
  if (!batch) {
    store_ok(batch.error(), "claiming a run");
    return claimed;
  }
  for (Claim &claim : batch.value())
    start(std::move(claim));
  return claimed || !batch.value().empty();
}

void Loop::release_handed_off() {
  std::vector<Claim> left;
  {
    std::lock_guard lock(handoff_.mutex);
    left.swap(handoff_.claims);
    handoff_.closed = true;
  }
  for (const Claim &claim : left) {
    // Not started: it goes back as pending, its attempt uncounted (else its lease ends).
    auto back = store_.release(claim, now());
    if (!back) {
      log(AH_LOG_WARN, "claimed run not released; it is resumed when its lease ends",
          {{"run", claim.run.id}, {"error", host::error_message(back.error())}});
    }
  }
}

void Loop::reap() {
  done_.drain();
  for (auto it = active_.begin(); it != active_.end();) {
    if ((*it)->finished.load()) {
      (*it)->thread.join();
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
}

void Loop::renew_leases() {
  const SteadyTime t = std::chrono::steady_clock::now();
  for (auto &a : active_) {
    if (unavailable_this_turn_)
      return; // the others' leases are renewed next turn, or taken over
    // Once the call returned, the outcome's write ends the claim: renewing then would
    // only race with it.
    if (a->recording.load() || a->lost.load() || t - a->last_renewal < renew_every_)
      continue;
    auto renewed = timed_store_call(options_.metrics, "renew_lease",
                                    [&] { return store_.renew_lease(a->claim, now()); });
    if (renewed) {
      a->last_renewal = t;
      continue;
    }
    if (renewed.error().status == AH_CONFLICT) {
      // Another daemon holds it now (this one was too slow to renew): stop the call.
      a->lost.store(true);
      a->cancel.store(true);
      log(AH_LOG_WARN, "lease lost",
          {{"run", a->claim.run.id}, {"error", host::error_message(renewed.error())}});
    } else {
      // A store failure like any other: said once per outage, its end said by end_turn.
      if (!outage_)
        log(AH_LOG_WARN, "lease not renewed",
            {{"run", a->claim.run.id}, {"error", host::error_message(renewed.error())}});
      count_store_failure(renewed.error());
    }
  }
}

} // namespace autohost::daemon
