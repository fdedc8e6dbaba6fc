// ScheduleStore, its idempotent upserts: calendar imports and plugin job defaults.
#include "scheduler/schedule_store.hpp"

#include "errors.hpp"
#include "scheduler/ids.hpp"
#include "scheduler/store_rows.hpp"

namespace autohost::scheduler {
using host::make_error;
using store::Statement;
using store::Transaction;

Result<ImportReport> ScheduleStore::import_calendar(const std::vector<ScheduleDraft> &entries,
                                                    Instant now) {
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  const std::string doing = "importing a calendar";
  Transaction tx(*db_);
  if (!tx.begun())
    return failure(doing);
  ImportReport report;
  for (const ScheduleDraft &d : entries) {
    AH_TRY_DECLARE(found, find_locked(d.id));
    if (!found) {
      const auto when = d.spec.first_fire(now);
      if (!d.spec.recurring() && when && now - *when > d.max_lateness) {
        report.past.push_back(d.id);
        continue;
      }
      AH_TRY(insert_locked(d, d.id, now));
      report.created.push_back(d.id);
      continue;
    }
    const Schedule &s = *found;
    if (s.source != "calendar") {
      return make_error(AH_CONFLICT, "conflict",
                        "calendar entry '" + d.id + "' has the id of schedule '" + s.id +
                            "', which was not imported from a calendar (source: " + s.source +
                            "); give the entry another id. Nothing was imported");
    }
    if (s.content_hash == d.content_hash) {
      report.unchanged.push_back(d.id);
      continue;
    }
    if (s.spec.rfind("at ", 0) == 0) {
      // A one-shot that already ran must not run again because its entry was edited.
      Statement ran(*db_, "SELECT id FROM runs WHERE schedule_id = ?1 ORDER BY due_s LIMIT 1");
      ran.bind(1, s.id);
      if (ran.step()) {
        report.refused.emplace_back(d.id,
                                    "it already ran (run " + ran.column_text(0) +
                                        "); to post the changed entry as well, give it a new id");
        continue;
      }
      if (!db_->ok())
        return failure(doing);
    }
    AH_TRY(update_from_draft_locked(d, now));
    report.updated.push_back(d.id);
  }
  if (!tx.commit())
    return failure(doing);
  return report;
}

Result<Schedule> ScheduleStore::ensure_job_schedule(const ScheduleDraft &job_default, Instant now) {
  ScheduleDraft d = job_default;
  d.id = "job." + d.plugin + "." + d.target;
  d.kind = TargetKind::job;
  d.source = "plugin_default";
  AH_TRY(validate_schedule_id(d.id, "job schedule id"));
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  const std::string doing = "registering the default schedule of job " + d.plugin + "." + d.target;
  Transaction tx(*db_);
  if (!tx.begun())
    return failure(doing);
  Statement own(*db_, "SELECT id FROM schedules WHERE plugin = ?1 AND kind = 'job' AND target = ?2 "
                      "AND source != 'plugin_default' ORDER BY created_s, id LIMIT 1");
  own.bind(1, d.plugin).bind(2, d.target);
  std::string chosen;
  if (own.step()) {
    // The user's schedule for this job wins; the default one steps aside.
    chosen = own.column_text(0);
    Statement drop(*db_, "DELETE FROM schedules WHERE id = ?1");
    drop.bind(1, d.id).step();
    if (db_->ok() && sqlite3_changes(db_->handle()) > 0) {
      Statement cancel(*db_, "UPDATE runs SET status = 'cancelled', finished_s = ?1, "
                             "updated_s = ?1 WHERE schedule_id = ?2 AND status = 'pending'");
      cancel.bind(1, rows::seconds_of(now)).bind(2, d.id).step();
      if (!bump_generation())
        return failure(doing);
    }
  } else {
    if (!db_->ok())
      return failure(doing);
    chosen = d.id;
    AH_TRY_DECLARE(found, find_locked(d.id));
    if (!found) {
      AH_TRY(insert_locked(d, d.id, now));
    } else if (found->content_hash != d.content_hash) {
      AH_TRY(update_from_draft_locked(d, now));
    }
  }
  if (!db_->ok())
    return failure(doing);
  AH_TRY_DECLARE(result, find_locked(chosen));
  if (!result || !tx.commit())
    return failure(doing);
  return std::move(*result);
}

} // namespace autohost::scheduler
