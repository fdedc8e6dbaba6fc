// What `autohost status` reports, gathered from the schedule store and from the plugins:
// accounts and their tokens, upcoming runs, runs at risk, runs that need attention.
#pragma once

#include "cli/command.hpp"

#include "scheduler/schedule_store.hpp"
#include "services.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace autohost::cli {

struct StatusOptions {
  scheduler::Instant now;
  std::chrono::seconds horizon{7 * 86400}; // upcoming runs up to now + horizon
  std::chrono::seconds recent{7 * 86400};  // attention: runs that ended since now - recent
  double call_timeout_s = 20;              // bound of each plugin call
  int fires_per_schedule = 500;            // a schedule's fire times listed at most
};

// One run to come: a pending or running run, or a fire time of a schedule not yet a run.
struct UpcomingItem {
  std::string run_id; // empty: a future fire time
  std::string schedule_id;
  std::string plugin;
  scheduler::TargetKind kind = scheduler::TargetKind::action;
  std::string target;
  std::string account; // as scheduled; empty: the plugin's default account
  std::string input_json;
  scheduler::Instant at; // when it is to start
  std::string state;     // "pending", "running" or "scheduled"
  bool paused = false;
  std::string zone; // the schedule's zone, for local times; may be empty

  std::string resolved_account; // the account the plugin said it means, once known
  boost::json::array risks;     // {"risk", "message"}; empty: not at risk
};

// Pending and running runs, then every schedule's fire times up to `until`, sorted by start.
// `truncated` is set when a schedule had more than options.fires_per_schedule of them.
Result<std::vector<UpcomingItem>> upcoming_items(scheduler::ScheduleStore &store,
                                                 const StatusOptions &options, bool &truncated);

// Asks each plugin with an `accounts` capability about its accounts and about the items'
// times, and its `quota` action about the quota for publishes due within 24 hours. Marks items
// at risk; returns the accounts (with their quota) and adds what could not be checked to
// `problems`. Plugin failures never fail the report.
boost::json::array assess_risks(Context &ctx, std::vector<UpcomingItem> &items,
                                const StatusOptions &options, const host::Clock &clock,
                                boost::json::array &problems);

// The whole report (the JSON that `status --json` prints; see the README). Errors: the
// schedule store could not be read.
Result<boost::json::object> collect_status(Context &ctx, scheduler::ScheduleStore &store,
                                           const StatusOptions &options, host::Clock clock);

} // namespace autohost::cli
