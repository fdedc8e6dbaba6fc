// What the scheduler stores: schedules (what to run and when) and runs (each occurrence).
#pragma once

#include "scheduler/schedule_spec.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace autohost::scheduler {

enum class TargetKind { action, job };

// What happens to occurrences that passed while no daemon ran.
enum class MissedPolicy {
  catch_up_once, // recurring: the most recent missed occurrence runs once, however late
  skip,          // occurrences more than max_lateness late are recorded as missed
};

// What happens when an occurrence comes while the previous run is still pending or running.
enum class OverlapPolicy {
  skip,  // the new occurrence is recorded as missed (reason "overlap")
  queue, // it waits until the previous run has finished
  allow, // both may run at once
};

enum class RunStatus { pending, running, succeeded, failed, needs_attention, missed, cancelled };

std::string_view name_of(TargetKind v) noexcept;
std::string_view name_of(MissedPolicy v) noexcept;
std::string_view name_of(OverlapPolicy v) noexcept;
std::string_view name_of(RunStatus v) noexcept;
// nullopt for an unknown name; callers name the input in their error.
std::optional<TargetKind> target_kind_named(std::string_view name) noexcept;
std::optional<MissedPolicy> missed_policy_named(std::string_view name) noexcept;
std::optional<OverlapPolicy> overlap_policy_named(std::string_view name) noexcept;
std::optional<RunStatus> run_status_named(std::string_view name) noexcept;

inline constexpr std::chrono::seconds default_max_lateness{3600};

// A schedule about to be added or imported.
struct ScheduleDraft {
  explicit ScheduleDraft(ScheduleSpec when) : spec(std::move(when)) {}

  std::string id; // empty: add() makes one
  std::string name;
  std::string plugin;
  TargetKind kind = TargetKind::action;
  std::string target;  // the action or job name
  std::string account; // empty: the plugin's default account
  std::string input_json = "{}";
  ScheduleSpec spec;
  MissedPolicy missed = MissedPolicy::catch_up_once;
  OverlapPolicy overlap = OverlapPolicy::skip;
  std::chrono::seconds max_lateness = default_max_lateness;
  std::chrono::seconds jitter{0}; // runs start up to this much after their due time
  bool paused = false;
  std::string source = "cli"; // "cli", "calendar" or "plugin_default"
  std::string content_hash;   // calendar entries: what the entry said, to see changes
};

struct Schedule {
  std::string id;
  std::string name;
  std::string plugin;
  TargetKind kind = TargetKind::action;
  std::string target;
  std::string account;
  std::string input_json;
  std::string spec;                 // ScheduleSpec::text()
  std::string time_zone;            // IANA name
  std::optional<Instant> next_fire; // nullopt: nothing more to run (a one-shot that fired)
  bool paused = false;
  MissedPolicy missed = MissedPolicy::catch_up_once;
  OverlapPolicy overlap = OverlapPolicy::skip;
  std::chrono::seconds max_lateness = default_max_lateness;
  std::chrono::seconds jitter{0};
  std::string source;
  std::string content_hash;
  std::string problem; // why it stopped firing (e.g. its zone vanished), or empty
  Instant created;
  Instant updated;
};

struct Run {
  std::string id; // "<schedule id>@<due, UTC>"; the plugin's idempotency key
  std::string schedule_id;
  // What to run, copied from the schedule when the run was made, so editing or removing
  // the schedule never changes a run that may already have started.
  std::string plugin;
  TargetKind kind = TargetKind::action;
  std::string target;
  std::string account;
  std::string input_json;
  Instant due;
  RunStatus status = RunStatus::pending;
  int attempts = 0;               // how many times it was claimed (started or resumed)
  Instant not_before;             // pending: the earliest start (due + jitter, or a retry's time)
  std::optional<Instant> expires; // pending and never started: missed after this
  std::string claimed_by;
  std::optional<Instant> claimed_at;
  std::optional<Instant> lease_until;
  std::optional<Instant> started;
  std::optional<Instant> finished;
  std::string output_json; // empty when none
  std::string error_json;  // empty when none
  Instant created;
  Instant updated;
};

} // namespace autohost::scheduler
