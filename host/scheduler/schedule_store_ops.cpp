// ScheduleStore, what operators do by hand: editing a schedule, retrying and pruning runs.
#include "scheduler/schedule_store.hpp"

#include "errors.hpp"
#include "scheduler/store_rows.hpp"

namespace autohost::scheduler {
using host::make_error;
using store::sql::Session;
using store::sql::Statement;

Result<Schedule> ScheduleStore::edit(std::string_view id, const ScheduleEdit &edit, Instant now) {
  const std::string doing = "editing schedule '" + std::string(id) + "'";
  return backend_->write(doing, [&](Session &s) -> Result<Schedule> {
    const Instant t = rows::now_in(s, now);
    AH_TRY_DECLARE(found, find_in(s, id));
    if (!found) {
      return make_error(AH_NOT_FOUND, "not_found",
                        "schedule '" + std::string(id) +
                            "' does not exist (see: autohost schedule list)");
    }
    Schedule was = std::move(*found);
    if (edit.spec) {
      const auto next = edit.spec->first_fire(t);
      Statement when(s, "UPDATE schedules SET spec = ?1, time_zone = ?2, next_fire_s = ?3, "
                        "problem = '' WHERE id = ?4");
      when.bind(1, edit.spec->text()).bind(2, edit.spec->zone_name());
      if (next) {
        when.bind(3, rows::seconds_of(*next));
      } else {
        when.bind_null(3);
      }
      when.bind(4, id).step();
    }
    const std::string input = edit.input_json.value_or(was.input_json);
    const std::string account = edit.account.value_or(was.account);
    Statement what(s, "UPDATE schedules SET input_json = ?1, account = ?2, updated_s = ?3 "
                      "WHERE id = ?4");
    what.bind(1, input).bind(2, account).bind(3, rows::seconds_of(t)).bind(4, id).step();
    // A run that never started has done nothing yet under the old input or account.
    Statement pending(s, "UPDATE runs SET input_json = ?1, account = ?2, updated_s = ?3 "
                         "WHERE schedule_id = ?4 AND status = 'pending' AND started_s IS NULL");
    pending.bind(1, input).bind(2, account).bind(3, rows::seconds_of(t)).bind(4, id).step();
    bump_generation(s);
    AH_TRY_DECLARE(changed, find_in(s, id));
    if (!changed) // only when a statement failed, which the Backend reports
      return was;
    return std::move(*changed);
  });
}

Result<Run> ScheduleStore::retry_run(std::string_view id, Instant now) {
  const std::string doing = "retrying run '" + std::string(id) + "'";
  return backend_->write(doing, [&](Session &s) -> Result<Run> {
    const Instant t = rows::now_in(s, now);
    AH_TRY_DECLARE(found, find_run_in(s, id));
    if (!found) {
      return make_error(AH_NOT_FOUND, "not_found",
                        "run '" + std::string(id) + "' does not exist (see: autohost runs)");
    }
    if (found->status != RunStatus::needs_attention && found->status != RunStatus::failed) {
      return make_error(AH_CONFLICT, "conflict",
                        "run '" + std::string(id) + "' is " + std::string(name_of(found->status)) +
                            "; only a run that needs attention or failed can be retried");
    }
    // No expiry: an operator asked for it now, however late that is.
    Statement again(s, "UPDATE runs SET status = 'pending', not_before_s = ?1, expires_s = NULL, "
                       "claimed_by = '', lease_until_s = NULL, finished_s = NULL, "
                       "updated_s = ?1 WHERE id = ?2");
    again.bind(1, rows::seconds_of(t)).bind(2, id).step();
    bump_generation(s);
    AH_TRY_DECLARE(changed, find_run_in(s, id));
    if (!changed)
      return std::move(*found);
    return std::move(*changed);
  });
}

Result<PruneReport> ScheduleStore::prune_runs(std::chrono::seconds age, Instant now) {
  return backend_->write("pruning runs", [&](Session &s) -> Result<PruneReport> {
    const Instant t = rows::now_in(s, now);
    Statement prune(s, "DELETE FROM runs WHERE status IN ('succeeded', 'failed', 'missed', "
                       "'cancelled') AND finished_s IS NOT NULL AND finished_s < ?1");
    prune.bind(1, rows::seconds_of(t - age)).step();
    return PruneReport{static_cast<int>(prune.changes())};
  });
}

} // namespace autohost::scheduler
