// ScheduleStore: opening its tables and managing schedules (its runs: schedule_store_runs.cpp).
#include "scheduler/schedule_store.hpp"

#include "errors.hpp"
#include "scheduler/ids.hpp"
#include "scheduler/store_rows.hpp"
#include "store/sql_secret_store.hpp"

namespace autohost::scheduler {
namespace fs = std::filesystem;
namespace sql = store::sql;
using host::make_error;
using sql::Dialect;
using sql::Session;
using sql::Statement;

namespace {

Error not_found(std::string_view id) {
  return make_error(AH_NOT_FOUND, "not_found",
                    "schedule '" + std::string(id) +
                        "' does not exist (see: autohost schedule list)");
}

// SQLite keeps the scheduler's schema version and generation in the store's `meta` table,
// as it always has, so existing files open unchanged; PostgreSQL has autohost_schema.
Result<Done> prepare_sqlite(sql::Backend &backend) {
  return backend.write("opening the scheduler's tables", [&](Session &s) -> Result<Done> {
    std::int64_t app_id = 0;
    {
      Statement read_id(s, "PRAGMA application_id");
      if (read_id.step())
        app_id = read_id.column_int(0);
    }
    if (!s.ok())
      return Done{};
    if (app_id != store::store_application_id)
      return backend.store_error("is not an autohost store; it was left untouched");
    if (!s.exec(rows::schema))
      return Done{};
    std::int64_t version = 0;
    {
      Statement read(s, "SELECT value FROM meta WHERE name = 'scheduler_schema_version'");
      if (read.step())
        version = read.column_int(0);
    }
    if (version > rows::schema_version) {
      return backend.store_error("holds schedules of a newer autohost (scheduler schema " +
                                 std::to_string(version) + "); it was left untouched");
    }
    if (version == 0) {
      Statement insert(s, "INSERT INTO meta(name, value) VALUES "
                          "('scheduler_schema_version', ?1), ('schedules_generation', 0)");
      insert.bind(1, static_cast<std::int64_t>(rows::schema_version)).step();
    }
    return Done{};
  });
}

} // namespace

ScheduleStore::ScheduleStore(std::unique_ptr<sql::Backend> backend, ScheduleStoreOptions options)
    : backend_(std::move(backend)), options_(std::move(options)) {
  if (backend_->dialect() == Dialect::sqlite)
    file_ = options_.location;
}

ScheduleStore::~ScheduleStore() = default;

Result<std::unique_ptr<ScheduleStore>> ScheduleStore::open(const ScheduleStoreOptions &options) {
  sql::BackendOptions how;
  how.busy_timeout_ms = options.busy_timeout_ms;
  how.trust_caller_clock = options.trust_caller_clock;
  AH_TRY_DECLARE(backend, sql::open_backend(options.location, how));
  if (backend->dialect() == Dialect::sqlite) {
    AH_TRY(prepare_sqlite(*backend));
  } else {
    AH_TRY(sql::migrate(*backend, "scheduler", rows::pg_migrations));
  }
  return std::unique_ptr<ScheduleStore>(new ScheduleStore(std::move(backend), options));
}

void ScheduleStore::bump_generation(Session &s) {
  if (s.dialect() == Dialect::sqlite) {
    s.exec("UPDATE meta SET value = value + 1 WHERE name = 'schedules_generation'");
    return;
  }
  // Delivered when the transaction commits, and only then: a listener that wakes up finds
  // the change.
  s.exec("UPDATE scheduler_generation SET value = value + 1; "
         "SELECT pg_notify('autohost_wake', '')");
}

Result<std::int64_t> ScheduleStore::generation() {
  return backend_->read(
      "reading the schedules' generation", [](Session &s) -> Result<std::int64_t> {
        Statement read(s, s.dialect() == Dialect::sqlite
                              ? "SELECT value FROM meta WHERE name = 'schedules_generation'"
                              : "SELECT value FROM scheduler_generation");
        return read.step() ? read.column_int(0) : 0;
      });
}

Result<Instant> ScheduleStore::current_time(Instant now) {
  return backend_->read("reading the store's clock",
                        [&](Session &s) -> Result<Instant> { return rows::now_in(s, now); });
}

Result<std::optional<Schedule>> ScheduleStore::find_in(Session &s, std::string_view id) {
  Statement select(s, "SELECT " + std::string(rows::schedule_columns) +
                          " FROM schedules WHERE id = ?1");
  select.bind(1, id);
  if (select.step())
    return std::optional<Schedule>(rows::read_schedule(select));
  return std::optional<Schedule>();
}

Result<std::optional<Schedule>> ScheduleStore::find(std::string_view id) {
  return backend_->read("reading schedule '" + std::string(id) + "'",
                        [&](Session &s) { return find_in(s, id); });
}

Result<std::vector<Schedule>> ScheduleStore::list() {
  return backend_->read("listing schedules", [](Session &s) -> Result<std::vector<Schedule>> {
    Statement select(s, "SELECT " + std::string(rows::schedule_columns) +
                            " FROM schedules ORDER BY next_fire_s IS NULL, next_fire_s, id");
    std::vector<Schedule> out;
    while (select.step())
      out.push_back(rows::read_schedule(select));
    return out;
  });
}

Result<Schedule> ScheduleStore::insert_in(Session &s, const ScheduleDraft &d, const std::string &id,
                                          Instant t) {
  Statement insert(s, "INSERT INTO schedules(" + std::string(rows::schedule_columns) +
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                          "?13, ?14, ?15, ?16, ?17, '', ?18, ?19)");
  const auto next = d.spec.first_fire(t);
  insert.bind(1, id)
      .bind(2, d.name.empty() ? d.plugin + "." + d.target : d.name)
      .bind(3, d.plugin)
      .bind(4, name_of(d.kind))
      .bind(5, d.target)
      .bind(6, d.account)
      .bind(7, d.input_json)
      .bind(8, d.spec.text())
      .bind(9, d.spec.zone_name());
  if (next) {
    insert.bind(10, rows::seconds_of(*next));
  } else {
    insert.bind_null(10);
  }
  insert.bind(11, static_cast<std::int64_t>(d.paused ? 1 : 0))
      .bind(12, name_of(d.missed))
      .bind(13, name_of(d.overlap))
      .bind(14, static_cast<std::int64_t>(d.max_lateness.count()))
      .bind(15, static_cast<std::int64_t>(d.jitter.count()))
      .bind(16, d.source)
      .bind(17, d.content_hash)
      .bind(18, rows::seconds_of(t))
      .bind(19, rows::seconds_of(t))
      .step();
  bump_generation(s);
  AH_TRY_DECLARE(added, find_in(s, id));
  if (!added) // only when a statement failed, which the Backend reports
    return not_found(id);
  return std::move(*added);
}

void ScheduleStore::update_from_draft_in(Session &s, const ScheduleDraft &d, Instant t) {
  Statement update(s, "UPDATE schedules SET name = ?1, plugin = ?2, kind = ?3, target = ?4, "
                      "account = ?5, input_json = ?6, spec = ?7, time_zone = ?8, "
                      "next_fire_s = ?9, missed_policy = ?10, overlap_policy = ?11, "
                      "max_lateness_s = ?12, jitter_s = ?13, content_hash = ?14, problem = '', "
                      "updated_s = ?15 WHERE id = ?16");
  const auto next = d.spec.first_fire(t);
  update.bind(1, d.name.empty() ? d.plugin + "." + d.target : d.name)
      .bind(2, d.plugin)
      .bind(3, name_of(d.kind))
      .bind(4, d.target)
      .bind(5, d.account)
      .bind(6, d.input_json)
      .bind(7, d.spec.text())
      .bind(8, d.spec.zone_name());
  if (next) {
    update.bind(9, rows::seconds_of(*next));
  } else {
    update.bind_null(9);
  }
  update.bind(10, name_of(d.missed))
      .bind(11, name_of(d.overlap))
      .bind(12, static_cast<std::int64_t>(d.max_lateness.count()))
      .bind(13, static_cast<std::int64_t>(d.jitter.count()))
      .bind(14, d.content_hash)
      .bind(15, rows::seconds_of(t))
      .bind(16, d.id)
      .step();
  bump_generation(s);
}

Result<Schedule> ScheduleStore::add(const ScheduleDraft &draft, Instant now) {
  const std::string id = draft.id.empty() ? new_schedule_id() : draft.id;
  AH_TRY(validate_schedule_id(id, "schedule id"));
  return backend_->write("adding schedule '" + id + "'", [&](Session &s) -> Result<Schedule> {
    AH_TRY_DECLARE(existing, find_in(s, id));
    if (existing) {
      return make_error(AH_CONFLICT, "conflict",
                        "schedule '" + id +
                            "' already exists; pick another --id or remove it first");
    }
    return insert_in(s, draft, id, rows::now_in(s, now));
  });
}

Result<RemoveResult> ScheduleStore::remove(std::string_view id, Instant now) {
  const std::string doing = "removing schedule '" + std::string(id) + "'";
  return backend_->write(doing, [&](Session &s) -> Result<RemoveResult> {
    const Instant t = rows::now_in(s, now);
    Statement del(s, "DELETE FROM schedules WHERE id = ?1");
    del.bind(1, id).step();
    if (s.ok() && del.changes() == 0)
      return not_found(id);
    Statement cancel(s, "UPDATE runs SET status = 'cancelled', finished_s = ?1, updated_s = ?1, "
                        "error_json = ?2 WHERE schedule_id = ?3 AND status = 'pending'");
    cancel.bind(1, rows::seconds_of(t))
        .bind(
            2,
            R"({"code":"schedule_removed","message":"the schedule was removed before this run started"})")
        .bind(3, id)
        .step();
    const auto cancelled = static_cast<int>(cancel.changes());
    bump_generation(s);
    return RemoveResult{cancelled};
  });
}

Result<Schedule> ScheduleStore::set_paused(std::string_view id, bool paused, Instant now) {
  const std::string doing =
      (paused ? "pausing schedule '" : "resuming schedule '") + std::string(id) + "'";
  return backend_->write(doing, [&](Session &s) -> Result<Schedule> {
    const Instant t = rows::now_in(s, now);
    AH_TRY_DECLARE(found, find_in(s, id));
    if (!found)
      return not_found(id);
    const Schedule &was = *found;
    std::optional<Instant> next = was.next_fire;
    if (!paused && was.paused) {
      AH_TRY_DECLARE(spec, ScheduleSpec::from_stored(was.spec, was.time_zone));
      // Occurrences that passed while paused are not caught up.
      if (spec.recurring())
        next = spec.first_fire(t);
    }
    Statement update(s, "UPDATE schedules SET paused = ?1, next_fire_s = ?2, updated_s = ?3 "
                        "WHERE id = ?4");
    update.bind(1, static_cast<std::int64_t>(paused ? 1 : 0));
    if (next) {
      update.bind(2, rows::seconds_of(*next));
    } else {
      update.bind_null(2);
    }
    update.bind(3, rows::seconds_of(t)).bind(4, id).step();
    bump_generation(s);
    AH_TRY_DECLARE(changed, find_in(s, id));
    if (!changed)
      return not_found(id);
    return std::move(*changed);
  });
}

Result<Schedule> ScheduleStore::reschedule(std::string_view id, const ScheduleSpec &spec,
                                           Instant now) {
  const std::string doing = "rescheduling '" + std::string(id) + "'";
  return backend_->write(doing, [&](Session &s) -> Result<Schedule> {
    const Instant t = rows::now_in(s, now);
    const auto next = spec.first_fire(t);
    Statement update(s, "UPDATE schedules SET spec = ?1, time_zone = ?2, next_fire_s = ?3, "
                        "problem = '', updated_s = ?4 WHERE id = ?5");
    update.bind(1, spec.text()).bind(2, spec.zone_name());
    if (next) {
      update.bind(3, rows::seconds_of(*next));
    } else {
      update.bind_null(3);
    }
    update.bind(4, rows::seconds_of(t)).bind(5, id).step();
    if (s.ok() && update.changes() == 0)
      return not_found(id);
    bump_generation(s);
    AH_TRY_DECLARE(changed, find_in(s, id));
    if (!changed)
      return not_found(id);
    return std::move(*changed);
  });
}

} // namespace autohost::scheduler
