// ScheduleStore: opening its tables and managing schedules (its runs: schedule_store_runs.cpp).
#include "scheduler/schedule_store.hpp"

#include "errors.hpp"
#include "scheduler/ids.hpp"
#include "scheduler/store_rows.hpp"
#include "store/sql_secret_store.hpp"

namespace autohost::scheduler {
namespace fs = std::filesystem;
using host::make_error;
using store::Database;
using store::Statement;
using store::Transaction;

namespace {

Error file_error(const fs::path &file, std::string_view what) {
  return make_error(AH_INTERNAL, "store", "store " + file.string() + " " + std::string(what));
}

Error not_found(std::string_view id) {
  return make_error(AH_NOT_FOUND, "not_found",
                    "schedule '" + std::string(id) +
                        "' does not exist (see: autohost schedule list)");
}

} // namespace

ScheduleStore::ScheduleStore(fs::path file, std::unique_ptr<Database> db,
                             ScheduleStoreOptions options)
    : file_(std::move(file)), db_(std::move(db)), options_(std::move(options)) {}

ScheduleStore::~ScheduleStore() = default;

Error ScheduleStore::failure(std::string_view doing) {
  const store::SqliteFailure &f = db_->failure();
  if ((f.code & 0xff) == SQLITE_BUSY) {
    return make_error(AH_RETRY_LATER, "store_busy",
                      "store " + file_.string() + " is busy (locked by another process) while " +
                          std::string(doing));
  }
  if ((f.code & 0xff) == SQLITE_FULL) {
    return make_error(AH_INTERNAL, "store_full",
                      "store " + file_.string() + " is on a full disk while " + std::string(doing) +
                          "; nothing was written (free space on that disk and try again)");
  }
  if ((f.code & 0xff) == SQLITE_CORRUPT || (f.code & 0xff) == SQLITE_NOTADB) {
    return file_error(file_, "is corrupt (" + f.message + ") while " + std::string(doing) +
                                 "; restore it from a backup");
  }
  return file_error(file_, "failed while " + std::string(doing) + ": " + f.message);
}

Result<std::unique_ptr<ScheduleStore>> ScheduleStore::open(const ScheduleStoreOptions &options) {
  std::error_code ec;
  if (!fs::exists(options.file, ec) || fs::file_size(options.file, ec) == 0) {
    return file_error(options.file, "does not exist yet (the secret store creates it)");
  }
  auto db = std::make_unique<Database>(options.file, false);
  if (!db->ok())
    return file_error(options.file, "cannot be opened: " + db->failure().message);
  sqlite3_busy_timeout(db->handle(), options.busy_timeout_ms);
  std::int64_t app_id = 0;
  {
    Statement read_id(*db, "PRAGMA application_id");
    if (read_id.step())
      app_id = read_id.column_int(0);
  }
  if (!db->ok()) {
    return file_error(options.file, "is corrupt or not an SQLite database (" +
                                        db->failure().message + "); it was left untouched");
  }
  if (app_id != store::store_application_id) {
    return file_error(options.file, "is not an autohost store; it was left untouched");
  }
  // Per connection: a run marked succeeded must survive a power cut, or it runs again.
  if (!db->exec("PRAGMA synchronous=FULL")) {
    return file_error(options.file, "cannot be configured: " + db->failure().message);
  }
  Transaction tx(*db);
  if (!tx.begun() || !db->exec(rows::schema)) {
    return file_error(options.file, "cannot hold schedules: " + db->failure().message);
  }
  std::int64_t version = 0;
  {
    Statement read(*db, "SELECT value FROM meta WHERE name = 'scheduler_schema_version'");
    if (read.step())
      version = read.column_int(0);
  }
  if (version > rows::schema_version) {
    return file_error(options.file, "holds schedules of a newer autohost (scheduler schema " +
                                        std::to_string(version) + "); it was left untouched");
  }
  if (version == 0 && db->ok()) {
    Statement insert(*db, "INSERT INTO meta(name, value) VALUES "
                          "('scheduler_schema_version', ?), ('schedules_generation', 0)");
    insert.bind(1, static_cast<std::int64_t>(rows::schema_version)).step();
  }
  if (!db->ok() || !tx.commit()) {
    return file_error(options.file, "cannot hold schedules: " + db->failure().message);
  }
  return std::unique_ptr<ScheduleStore>(new ScheduleStore(options.file, std::move(db), options));
}

bool ScheduleStore::bump_generation() {
  return db_->exec("UPDATE meta SET value = value + 1 WHERE name = 'schedules_generation'");
}

Result<std::int64_t> ScheduleStore::generation() {
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  Statement read(*db_, "SELECT value FROM meta WHERE name = 'schedules_generation'");
  const std::int64_t value = read.step() ? read.column_int(0) : 0;
  if (!db_->ok())
    return failure("reading the schedules' generation");
  return value;
}

Result<std::optional<Schedule>> ScheduleStore::find_locked(std::string_view id) {
  Statement select(*db_, "SELECT " + std::string(rows::schedule_columns) +
                             " FROM schedules WHERE id = ?1");
  select.bind(1, id);
  if (select.step())
    return std::optional<Schedule>(rows::read_schedule(select));
  if (!db_->ok())
    return failure("reading schedule '" + std::string(id) + "'");
  return std::optional<Schedule>();
}

Result<std::optional<Schedule>> ScheduleStore::find(std::string_view id) {
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  return find_locked(id);
}

Result<std::vector<Schedule>> ScheduleStore::list() {
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  Statement select(*db_, "SELECT " + std::string(rows::schedule_columns) +
                             " FROM schedules ORDER BY next_fire_s IS NULL, next_fire_s, id");
  std::vector<Schedule> out;
  while (select.step())
    out.push_back(rows::read_schedule(select));
  if (!db_->ok())
    return failure("listing schedules");
  return out;
}

Result<Schedule> ScheduleStore::insert_locked(const ScheduleDraft &d, const std::string &id,
                                              Instant now) {
  Statement insert(*db_, "INSERT INTO schedules(" + std::string(rows::schedule_columns) +
                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                             "?13, ?14, ?15, ?16, ?17, '', ?18, ?19)");
  const auto next = d.spec.first_fire(now);
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
      .bind(18, rows::seconds_of(now))
      .bind(19, rows::seconds_of(now))
      .step();
  if (!db_->ok() || !bump_generation())
    return failure("adding schedule '" + id + "'");
  AH_TRY_DECLARE(added, find_locked(id));
  return std::move(*added);
}

Result<Done> ScheduleStore::update_from_draft_locked(const ScheduleDraft &d, Instant now) {
  Statement update(*db_, "UPDATE schedules SET name = ?1, plugin = ?2, kind = ?3, target = ?4, "
                         "account = ?5, input_json = ?6, spec = ?7, time_zone = ?8, "
                         "next_fire_s = ?9, missed_policy = ?10, overlap_policy = ?11, "
                         "max_lateness_s = ?12, jitter_s = ?13, content_hash = ?14, problem = '', "
                         "updated_s = ?15 WHERE id = ?16");
  const auto next = d.spec.first_fire(now);
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
      .bind(15, rows::seconds_of(now))
      .bind(16, d.id)
      .step();
  if (!db_->ok() || !bump_generation())
    return failure("updating schedule '" + d.id + "'");
  return Done{};
}

Result<Schedule> ScheduleStore::add(const ScheduleDraft &draft, Instant now) {
  const std::string id = draft.id.empty() ? new_schedule_id() : draft.id;
  AH_TRY(validate_schedule_id(id, "schedule id"));
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  Transaction tx(*db_);
  if (!tx.begun())
    return failure("adding schedule '" + id + "'");
  AH_TRY_DECLARE(existing, find_locked(id));
  if (existing) {
    return make_error(AH_CONFLICT, "conflict",
                      "schedule '" + id + "' already exists; pick another --id or remove it first");
  }
  auto added = insert_locked(draft, id, now);
  if (!added)
    return added;
  if (!tx.commit())
    return failure("adding schedule '" + id + "'");
  return added;
}

Result<RemoveResult> ScheduleStore::remove(std::string_view id, Instant now) {
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  const std::string doing = "removing schedule '" + std::string(id) + "'";
  Transaction tx(*db_);
  if (!tx.begun())
    return failure(doing);
  Statement del(*db_, "DELETE FROM schedules WHERE id = ?1");
  del.bind(1, id).step();
  if (!db_->ok())
    return failure(doing);
  if (sqlite3_changes(db_->handle()) == 0)
    return not_found(id);
  Statement cancel(*db_, "UPDATE runs SET status = 'cancelled', finished_s = ?1, updated_s = ?1, "
                         "error_json = ?2 WHERE schedule_id = ?3 AND status = 'pending'");
  cancel.bind(1, rows::seconds_of(now))
      .bind(
          2,
          R"({"code":"schedule_removed","message":"the schedule was removed before this run started"})")
      .bind(3, id)
      .step();
  const int cancelled = sqlite3_changes(db_->handle());
  if (!db_->ok() || !bump_generation() || !tx.commit())
    return failure(doing);
  return RemoveResult{cancelled};
}

Result<Schedule> ScheduleStore::set_paused(std::string_view id, bool paused, Instant now) {
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  const std::string doing =
      (paused ? "pausing schedule '" : "resuming schedule '") + std::string(id) + "'";
  Transaction tx(*db_);
  if (!tx.begun())
    return failure(doing);
  AH_TRY_DECLARE(found, find_locked(id));
  if (!found)
    return not_found(id);
  const Schedule &s = *found;
  std::optional<Instant> next = s.next_fire;
  if (!paused && s.paused) {
    AH_TRY_DECLARE(spec, ScheduleSpec::from_stored(s.spec, s.time_zone));
    // Occurrences that passed while paused are not caught up.
    if (spec.recurring())
      next = spec.first_fire(now);
  }
  Statement update(*db_, "UPDATE schedules SET paused = ?1, next_fire_s = ?2, updated_s = ?3 "
                         "WHERE id = ?4");
  update.bind(1, static_cast<std::int64_t>(paused ? 1 : 0));
  if (next) {
    update.bind(2, rows::seconds_of(*next));
  } else {
    update.bind_null(2);
  }
  update.bind(3, rows::seconds_of(now)).bind(4, id).step();
  if (!db_->ok() || !bump_generation())
    return failure(doing);
  AH_TRY_DECLARE(changed, find_locked(id));
  if (!tx.commit())
    return failure(doing);
  return std::move(*changed);
}

Result<Schedule> ScheduleStore::reschedule(std::string_view id, const ScheduleSpec &spec,
                                           Instant now) {
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  const std::string doing = "rescheduling '" + std::string(id) + "'";
  Transaction tx(*db_);
  if (!tx.begun())
    return failure(doing);
  const auto next = spec.first_fire(now);
  Statement update(*db_, "UPDATE schedules SET spec = ?1, time_zone = ?2, next_fire_s = ?3, "
                         "problem = '', updated_s = ?4 WHERE id = ?5");
  update.bind(1, spec.text()).bind(2, spec.zone_name());
  if (next) {
    update.bind(3, rows::seconds_of(*next));
  } else {
    update.bind_null(3);
  }
  update.bind(4, rows::seconds_of(now)).bind(5, id).step();
  if (!db_->ok())
    return failure(doing);
  if (sqlite3_changes(db_->handle()) == 0)
    return not_found(id);
  if (!bump_generation())
    return failure(doing);
  AH_TRY_DECLARE(changed, find_locked(id));
  if (!tx.commit())
    return failure(doing);
  return std::move(*changed);
}

} // namespace autohost::scheduler
