// ScheduleStore, its idempotent upserts: calendar imports and plugin job defaults.
#include "scheduler/schedule_store.hpp"

#include "errors.hpp"
#include "scheduler/ids.hpp"
#include "scheduler/store_rows.hpp"

namespace autohost::scheduler {
using host::make_error;
using store::sql::Session;
using store::sql::Statement;

Result<ImportReport> ScheduleStore::import_calendar(const std::vector<ScheduleDraft> &entries,
                                                    Instant now) {
  return backend_->write("importing a calendar", [&](Session &s) -> Result<ImportReport> {
    const Instant t = rows::now_in(s, now);
    ImportReport report;
    for (const ScheduleDraft &d : entries) {
      AH_TRY_DECLARE(found, find_in(s, d.id));
      if (!found) {
        const auto when = d.spec.first_fire(t);
        if (!d.spec.recurring() && when && t - *when > d.max_lateness) {
          report.past.push_back(d.id);
          continue;
        }
        AH_TRY(insert_in(s, d, d.id, t));
        report.created.push_back(d.id);
        continue;
      }
      const Schedule &was = *found;
      if (was.source != "calendar") {
        return make_error(AH_CONFLICT, "conflict",
                          "calendar entry '" + d.id + "' has the id of schedule '" + was.id +
                              "', which was not imported from a calendar (source: " + was.source +
                              "); give the entry another id. Nothing was imported");
      }
      if (was.content_hash == d.content_hash) {
        report.unchanged.push_back(d.id);
        continue;
      }
      if (was.spec.rfind("at ", 0) == 0) {
        // A one-shot that already ran must not run again because its entry was edited.
        Statement ran(s, "SELECT id FROM runs WHERE schedule_id = ?1 ORDER BY due_s LIMIT 1");
        ran.bind(1, was.id);
        if (ran.step()) {
          report.refused.emplace_back(d.id,
                                      "it already ran (run " + ran.column_text(0) +
                                          "); to post the changed entry as well, give it a new id");
          continue;
        }
      }
      update_from_draft_in(s, d, t);
      report.updated.push_back(d.id);
    }
    return report;
  });
}

Result<Schedule> ScheduleStore::ensure_job_schedule(const ScheduleDraft &job_default, Instant now) {
  ScheduleDraft d = job_default;
  d.id = "job." + d.plugin + "." + d.target;
  d.kind = TargetKind::job;
  d.source = "plugin_default";
  AH_TRY(validate_schedule_id(d.id, "job schedule id"));
  const std::string doing = "registering the default schedule of job " + d.plugin + "." + d.target;
  return backend_->write(doing, [&](Session &s) -> Result<Schedule> {
    const Instant t = rows::now_in(s, now);
    Statement own(s, "SELECT id FROM schedules WHERE plugin = ?1 AND kind = 'job' AND "
                     "target = ?2 AND source != 'plugin_default' ORDER BY created_s, id LIMIT 1");
    own.bind(1, d.plugin).bind(2, d.target);
    std::string chosen = d.id;
    if (own.step()) {
      // The user's schedule for this job wins; the default one steps aside.
      chosen = own.column_text(0);
      Statement drop(s, "DELETE FROM schedules WHERE id = ?1");
      drop.bind(1, d.id).step();
      if (drop.changes() > 0) {
        Statement cancel(s, "UPDATE runs SET status = 'cancelled', finished_s = ?1, "
                            "updated_s = ?1 WHERE schedule_id = ?2 AND status = 'pending'");
        cancel.bind(1, rows::seconds_of(t)).bind(2, d.id).step();
        bump_generation(s);
      }
    } else {
      AH_TRY_DECLARE(found, find_in(s, d.id));
      if (!found) {
        AH_TRY(insert_in(s, d, d.id, t));
      } else if (found->content_hash != d.content_hash) {
        update_from_draft_in(s, d, t);
      }
    }
    AH_TRY_DECLARE(result, find_in(s, chosen));
    if (!result)
      return make_error(AH_INTERNAL, "internal", "job schedule '" + chosen + "' vanished");
    return std::move(*result);
  });
}

} // namespace autohost::scheduler
