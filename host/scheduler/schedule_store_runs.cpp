// ScheduleStore, its runs: making due runs, claiming, finishing, retrying and listing them.
#include "scheduler/schedule_store.hpp"

#include "errors.hpp"
#include "scheduler/duration_text.hpp"
#include "scheduler/ids.hpp"
#include "scheduler/store_rows.hpp"

#include <boost/json.hpp>
#include <sodium.h>

namespace autohost::scheduler {
namespace json = boost::json;
using host::make_error;
using store::sql::Session;
using store::sql::Statement;

namespace {

std::string error_body(std::string_view code, std::string_view message) {
  return "{\"code\":\"" + json_escape(code) + "\",\"message\":\"" + json_escape(message) + "\"}";
}

std::string late_error() { return error_body("late", "not started within its max lateness"); }

// A plugin's error body as JSON: parsed when it is JSON (error bodies are objects by
// contract), kept as a string when it is not, null when there is none.
json::value json_or_text(std::string_view text) {
  if (text.empty())
    return nullptr;
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec)
    return json::string(text);
  return parsed;
}

// The latest occurrence in [from, now], given that `from` is one. Looks back over growing
// windows first so a long outage does not mean walking every minute since.
Instant latest_occurrence(const ScheduleSpec &spec, Instant from, Instant now) {
  using std::chrono::hours;
  Instant latest = from;
  for (const auto window : {hours{1}, hours{24}, hours{24 * 32}, hours{24 * 400}}) {
    if (now - window <= latest)
      break;
    const auto near = spec.next_after(now - window - std::chrono::seconds{1});
    if (near && *near <= now) {
      latest = *near;
      break;
    }
  }
  while (true) {
    const auto next = spec.next_after(latest);
    if (!next || *next > now)
      return latest;
    latest = *next;
  }
}

// The error body of a due run that is recorded as missed rather than run: too late, or its
// schedule's previous run is still pending or running. "" when it runs.
std::string why_missed(Session &db, const Schedule &s, const std::string &run_id, Instant latest,
                       bool lateness_applies, Instant now) {
  if (lateness_applies && now - latest > s.max_lateness) {
    return error_body("late", "due at " + format_utc(latest) +
                                  " but no daemon ran it within its max lateness of " +
                                  format_duration(s.max_lateness));
  }
  if (s.overlap == OverlapPolicy::skip) {
    Statement busy(db, "SELECT id FROM runs WHERE schedule_id = ?1 AND id != ?2 AND "
                       "status IN ('pending', 'running') ORDER BY due_s LIMIT 1");
    busy.bind(1, s.id).bind(2, run_id);
    if (busy.step()) {
      return error_body("overlap",
                        "run " + busy.column_text(0) + " of this schedule had not finished yet");
    }
  }
  return {};
}

// Inserts the run of `s` due at `latest`, pending or (with `missed_error`) missed; false
// when it was there already (the run id is derived from the schedule and the due time).
bool insert_run(Session &db, const Schedule &s, const std::string &run_id, Instant latest,
                bool lateness_applies, const std::string &missed_error, Instant now) {
  Statement insert(db, "INSERT INTO runs(" + std::string(rows::run_columns) +
                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11, '', "
                           "NULL, NULL, NULL, ?12, '', ?13, ?14, ?14) ON CONFLICT (id) DO NOTHING");
  insert.bind(1, run_id)
      .bind(2, s.id)
      .bind(3, s.plugin)
      .bind(4, name_of(s.kind))
      .bind(5, s.target)
      .bind(6, s.account)
      .bind(7, s.input_json)
      .bind(8, rows::seconds_of(latest))
      .bind(9, missed_error.empty() ? "pending" : "missed")
      .bind(10, rows::seconds_of(latest + jitter_for(run_id, s.jitter)));
  if (lateness_applies) {
    insert.bind(11, rows::seconds_of(latest + s.max_lateness));
  } else {
    insert.bind_null(11);
  }
  if (missed_error.empty()) {
    insert.bind_null(12);
  } else {
    insert.bind(12, rows::seconds_of(now));
  }
  insert.bind(13, missed_error).bind(14, rows::seconds_of(now)).step();
  return insert.changes() == 1;
}

} // namespace

Result<DueReport> ScheduleStore::materialise_due(Instant now) {
  return backend_->write_rows("making due runs", [&](Session &db) -> Result<DueReport> {
    const Instant t = rows::now_in(db, now);
    if (db.dialect() == store::sql::Dialect::postgres) {
      // Most turns find nothing due: they look without the store-wide lock, which only a
      // turn that makes runs takes (and then looks again, under it).
      Statement any(db, "SELECT 1 FROM schedules WHERE paused = 0 AND next_fire_s IS NOT NULL "
                        "AND next_fire_s <= ?1 LIMIT 1");
      if (!any.bind(1, rows::seconds_of(t)).step())
        return DueReport{};
      db.lock_store();
    }
    std::vector<Schedule> due;
    {
      Statement select(db, "SELECT " + std::string(rows::schedule_columns) +
                               " FROM schedules WHERE paused = 0 AND next_fire_s IS NOT NULL "
                               "AND next_fire_s <= ?1 ORDER BY next_fire_s, id");
      select.bind(1, rows::seconds_of(t));
      while (select.step())
        due.push_back(rows::read_schedule(select));
    }
    DueReport report;
    for (const Schedule &s : due) {
      auto spec = ScheduleSpec::from_stored(s.spec, s.time_zone);
      if (!spec) {
        // Stop the schedule rather than fail every pass: say why, keep everything else.
        const std::string why = host::error_message(spec.error());
        Statement stop(db, "UPDATE schedules SET next_fire_s = NULL, problem = ?1, "
                           "updated_s = ?2 WHERE id = ?3");
        stop.bind(1, why).bind(2, rows::seconds_of(t)).bind(3, s.id).step();
        report.problems.push_back(s.id + ": " + why);
        continue;
      }
      const ScheduleSpec &when = spec.value();
      const bool one_shot = !when.recurring();
      const Instant latest = one_shot ? *s.next_fire : latest_occurrence(when, *s.next_fire, t);
      const std::optional<Instant> next = one_shot ? std::nullopt : when.next_after(latest);
      const bool lateness_applies = one_shot || s.missed == MissedPolicy::skip;
      const std::string run_id = make_run_id(s.id, latest);
      const std::string missed_error = why_missed(db, s, run_id, latest, lateness_applies, t);
      if (insert_run(db, s, run_id, latest, lateness_applies, missed_error, t))
        (missed_error.empty() ? report.pending : report.missed).push_back(run_id);
      Statement advance(db, "UPDATE schedules SET next_fire_s = ?1, updated_s = ?2 WHERE id = ?3");
      if (next) {
        advance.bind(1, rows::seconds_of(*next));
      } else {
        advance.bind_null(1);
      }
      advance.bind(2, rows::seconds_of(t)).bind(3, s.id).step();
    }
    return report;
  });
}

Result<std::optional<Run>> ScheduleStore::find_run_in(Session &s, std::string_view id) {
  Statement select(s, "SELECT " + std::string(rows::run_columns) + " FROM runs WHERE id = ?1");
  select.bind(1, id);
  if (select.step())
    return std::optional<Run>(rows::read_run(select));
  return std::optional<Run>();
}

Result<std::optional<Run>> ScheduleStore::find_run(std::string_view id) {
  return backend_->read("reading run '" + std::string(id) + "'",
                        [&](Session &s) { return find_run_in(s, id); });
}

Result<std::string> ScheduleStore::next_claimable_in(Session &s, std::int64_t now_s) {
  while (s.ok()) {
    // A run whose daemon died is resumed first, under the same id, so the plugin can
    // finish what it started.
    Statement stale(s, "SELECT id, attempts FROM runs WHERE status = 'running' AND "
                       "lease_until_s < ?1 ORDER BY due_s, id LIMIT 1");
    stale.bind(1, now_s);
    if (stale.step()) {
      const std::string id = stale.column_text(0);
      const auto attempts = stale.column_int(1);
      if (attempts < options_.retry.max_attempts)
        return id;
      Statement give_up(s, "UPDATE runs SET status = 'failed', finished_s = ?1, "
                           "updated_s = ?1, lease_until_s = NULL, error_json = ?2 WHERE id = ?3");
      give_up.bind(1, now_s)
          .bind(2, error_body("abandoned", "its daemon stopped during each of " +
                                               std::to_string(attempts) +
                                               " attempts; it is not tried again"))
          .bind(3, id)
          .step();
      continue;
    }
    if (!s.ok())
      break;
    Statement ready(s, "SELECT r.id FROM runs r LEFT JOIN schedules s ON s.id = r.schedule_id "
                       "WHERE r.status = 'pending' AND r.not_before_s <= ?1 "
                       "AND COALESCE(s.paused, 0) = 0 "
                       "AND (COALESCE(s.overlap_policy, 'allow') = 'allow' OR NOT EXISTS ("
                       "  SELECT 1 FROM runs o WHERE o.schedule_id = r.schedule_id "
                       "  AND o.status = 'running')) "
                       "ORDER BY r.not_before_s, r.due_s, r.id LIMIT 1");
    ready.bind(1, now_s);
    if (ready.step())
      return ready.column_text(0);
    break;
  }
  return std::string();
}

Result<std::vector<Claim>> ScheduleStore::claim_in(Session &s, std::string_view worker, Instant t,
                                                   int n) {
  std::vector<Claim> claims;
  if (n <= 0)
    return claims;
  const std::int64_t t_s = rows::seconds_of(t);
  if (s.dialect() == store::sql::Dialect::postgres) {
    claims = claim_rows_pg(s, worker, t, n);
    if (static_cast<int>(claims.size()) == n || !s.ok() || !blocked_claimable_pg(s, t_s))
      return claims;
    // Runs of an overlap=skip or queue schedule with another run pending: which of them may
    // run is decided one at a time, under the store-wide lock, as on SQLite.
    s.lock_store();
  } else {
    // Never started and too late now: the truth is that it was missed.
    Statement expire(s, "UPDATE runs SET status = 'missed', finished_s = ?1, updated_s = ?1, "
                        "error_json = ?2 WHERE status = 'pending' AND attempts = 0 AND "
                        "expires_s IS NOT NULL AND expires_s < ?1");
    expire.bind(1, t_s).bind(2, late_error()).step();
  }

  // Each run taken is 'running' when the next is chosen, so the choice is the one the
  // same number of claim_next calls would make (an overlap=skip schedule gives one).
  // On PostgreSQL claims without the lock run meanwhile: a run is taken only while it is
  // still claimable (else another chose again), and only once the other pending and running
  // runs of its schedule are locked, so none of them starts meanwhile.
  for (int tries = 0; s.ok() && static_cast<int>(claims.size()) < n && tries < 4 * n + 8; ++tries) {
    AH_TRY_DECLARE(chosen, next_claimable_in(s, t_s));
    if (chosen.empty())
      break;
    if (s.dialect() == store::sql::Dialect::postgres && other_run_running_pg(s, chosen))
      continue;
    Statement take(s, "UPDATE runs SET status = 'running', attempts = attempts + 1, "
                      "claimed_by = ?1, claimed_s = ?2, lease_until_s = ?3, "
                      "started_s = COALESCE(started_s, ?2), updated_s = ?2 WHERE id = ?4 "
                      "AND (status = 'pending' OR (status = 'running' AND lease_until_s < ?2))");
    take.bind(1, worker)
        .bind(2, t_s)
        .bind(3, rows::seconds_of(t + options_.lease))
        .bind(4, chosen)
        .step();
    if (take.changes() == 0)
      continue; // taken meanwhile by a claim without the lock (PostgreSQL)
    AH_TRY_DECLARE(run, find_run_in(s, chosen));
    if (!run)
      break; // only when a statement failed, which the Backend reports
    claims.push_back(Claim{std::move(*run), std::string(worker)});
  }
  return claims;
}

Result<std::vector<Claim>> ScheduleStore::claim_batch(std::string_view worker, Instant now, int n) {
  if (n <= 0)
    return std::vector<Claim>();
  return backend_->write_rows("claiming runs for " + std::string(worker), [&](Session &s) {
    return claim_in(s, worker, rows::now_in(s, now), n);
  });
}

Result<std::optional<Claim>> ScheduleStore::claim_next(std::string_view worker, Instant now) {
  AH_TRY_DECLARE(claims, claim_batch(worker, now, 1));
  if (claims.empty())
    return std::optional<Claim>();
  return std::optional<Claim>(std::move(claims.front()));
}

Result<Done> ScheduleStore::check_claim_in(Session &s, const Claim &claim) {
  // On PostgreSQL the row stays locked to the end of the transaction: no claim takes the run
  // over between this check and the write that follows it.
  Statement select(s, s.dialect() == store::sql::Dialect::postgres
                          ? "SELECT status, claimed_by, attempts FROM runs WHERE id = ?1 FOR UPDATE"
                          : "SELECT status, claimed_by, attempts FROM runs WHERE id = ?1");
  select.bind(1, claim.run.id);
  if (!select.step()) {
    if (!s.ok())
      return Done{}; // the Backend reports the failure
    return make_error(AH_NOT_FOUND, "not_found", "run '" + claim.run.id + "' does not exist");
  }
  const std::string status = select.column_text(0);
  const std::string holder = select.column_text(1);
  const auto attempts = select.column_int(2);
  if (status != "running" || holder != claim.worker || attempts != claim.run.attempts) {
    return make_error(AH_CONFLICT, "claim_lost",
                      "run '" + claim.run.id + "' is no longer held by " + claim.worker +
                          " (it is " + status + (holder.empty() ? "" : ", claimed by " + holder) +
                          ", attempt " + std::to_string(attempts) +
                          "); its lease ran out and another daemon took it over");
  }
  return Done{};
}

Result<Done> ScheduleStore::renew_lease(const Claim &claim, Instant now) {
  return backend_->write_rows(
      "renewing the lease of run '" + claim.run.id + "'", [&](Session &s) -> Result<Done> {
        AH_TRY(check_claim_in(s, claim));
        Statement renew(s, "UPDATE runs SET lease_until_s = ?1 WHERE id = ?2");
        renew.bind(1, rows::seconds_of(rows::now_in(s, now) + options_.lease))
            .bind(2, claim.run.id)
            .step();
        return Done{};
      });
}

Result<Finished> ScheduleStore::end_claim(const Claim &claim, Instant now, const std::string &doing,
                                          const std::function<void(Session &, Instant)> &change,
                                          int then_claim, Wakes wakes) {
  return backend_->write_rows(doing, [&](Session &s) -> Result<Finished> {
    const Instant t = rows::now_in(s, now);
    AH_TRY(check_claim_in(s, claim));
    change(s, t);
    if (wakes == Wakes::always || s.dialect() == store::sql::Dialect::sqlite)
      bump_generation(s);
    else
      bump_generation_if_pending(s, claim.run.schedule_id);
    AH_TRY_DECLARE(run, find_run_in(s, claim.run.id));
    if (!run)
      return make_error(AH_NOT_FOUND, "not_found", "run '" + claim.run.id + "' does not exist");
    AH_TRY_DECLARE(next, claim_in(s, claim.worker, t, then_claim));
    return Finished{std::move(*run), std::move(next)};
  });
}

Result<Run> ScheduleStore::complete(const Claim &claim, const RunResult &result, Instant now) {
  AH_TRY_DECLARE(done, complete_and_claim(claim, result, now, 0));
  return std::move(done.run);
}

Result<Finished> ScheduleStore::complete_and_claim(const Claim &claim, const RunResult &result,
                                                   Instant now, int n) {
  if (result.status != RunStatus::succeeded && result.status != RunStatus::failed &&
      result.status != RunStatus::needs_attention) {
    return make_error(AH_INTERNAL, "internal",
                      "a run cannot complete as " + std::string(name_of(result.status)));
  }
  return end_claim(
      claim, now, "completing run '" + claim.run.id + "'",
      [&](Session &s, Instant t) {
        Statement done(s, "UPDATE runs SET status = ?1, output_json = ?2, error_json = ?3, "
                          "finished_s = ?4, updated_s = ?4, lease_until_s = NULL WHERE id = ?5");
        done.bind(1, name_of(result.status))
            .bind(2, result.output_json)
            .bind(3, result.error_json)
            .bind(4, rows::seconds_of(t))
            .bind(5, claim.run.id)
            .step();
      },
      n, Wakes::if_schedule_waits);
}

Result<Run> ScheduleStore::retry_later(const Claim &claim, std::string_view error_json,
                                       std::optional<std::chrono::seconds> retry_after,
                                       Instant now) {
  const json::value last_error = json_or_text(error_json);
  const std::string doing = "scheduling a retry of run '" + claim.run.id + "'";
  AH_TRY_DECLARE(
      done, end_claim(claim, now, doing, [&](Session &s, Instant t) {
        if (claim.run.attempts >= options_.retry.max_attempts) {
          const json::object body{
              {"code", "retries_exhausted"},
              {"message", "gave up after " + std::to_string(claim.run.attempts) + " attempts"},
              {"last_error", last_error}};
          Statement give_up(s,
                            "UPDATE runs SET status = 'failed', error_json = ?1, "
                            "finished_s = ?2, updated_s = ?2, lease_until_s = NULL WHERE id = ?3");
          give_up.bind(1, json::serialize(body))
              .bind(2, rows::seconds_of(t))
              .bind(3, claim.run.id)
              .step();
          return;
        }
        // `t` is whole seconds (the real time may be up to 1 s later) and a run is claimable
        // once the whole-second clock reaches not_before: one more second makes the real wait
        // at least the delay, so a rate limit's hint is never cut short.
        const auto delay =
            retry_delay(options_.retry, claim.run.attempts, retry_after, randombytes_random()) +
            std::chrono::seconds{1};
        Statement again(s, "UPDATE runs SET status = 'pending', error_json = ?1, "
                           "not_before_s = ?2, claimed_by = '', lease_until_s = NULL, "
                           "updated_s = ?3 WHERE id = ?4");
        again.bind(1, json::serialize(last_error))
            .bind(2, rows::seconds_of(t + delay))
            .bind(3, rows::seconds_of(t))
            .bind(4, claim.run.id)
            .step();
      }));
  return std::move(done.run);
}

Result<Done> ScheduleStore::release(const Claim &claim, Instant now) {
  AH_TRY(end_claim(claim, now, "releasing run '" + claim.run.id + "'", [&](Session &s, Instant t) {
    // The attempt did not happen, so it does not count against max_attempts.
    Statement back(s, "UPDATE runs SET status = 'pending', attempts = attempts - 1, "
                      "claimed_by = '', lease_until_s = NULL, not_before_s = ?1, "
                      "started_s = CASE WHEN attempts = 1 THEN NULL ELSE started_s END, "
                      "updated_s = ?1 WHERE id = ?2");
    back.bind(1, rows::seconds_of(t)).bind(2, claim.run.id).step();
  }));
  return Done{};
}

Result<std::vector<Run>> ScheduleStore::runs(const RunFilter &filter) {
  return backend_->read("listing runs", [&](Session &s) -> Result<std::vector<Run>> {
    Statement select(s, "SELECT " + std::string(rows::run_columns) +
                            " FROM runs WHERE (CAST(?1 AS TEXT) IS NULL OR schedule_id = ?1) AND "
                            "(CAST(?2 AS TEXT) IS NULL OR status = ?2) "
                            "ORDER BY due_s DESC, id DESC LIMIT ?3");
    if (filter.schedule_id) {
      select.bind(1, *filter.schedule_id);
    } else {
      select.bind_null(1);
    }
    if (filter.status) {
      select.bind(2, name_of(*filter.status));
    } else {
      select.bind_null(2);
    }
    select.bind(3, static_cast<std::int64_t>(filter.limit));
    std::vector<Run> out;
    while (select.step())
      out.push_back(rows::read_run(select));
    return out;
  });
}

Result<std::vector<Run>> ScheduleStore::stale_runs(Instant now) {
  return backend_->read("listing stale runs", [&](Session &s) -> Result<std::vector<Run>> {
    Statement select(s, "SELECT " + std::string(rows::run_columns) +
                            " FROM runs WHERE status = 'running' AND lease_until_s < ?1 "
                            "ORDER BY due_s, id");
    select.bind(1, rows::seconds_of(rows::now_in(s, now)));
    std::vector<Run> out;
    while (select.step())
      out.push_back(rows::read_run(select));
    return out;
  });
}

Result<std::optional<Instant>> ScheduleStore::next_wake() {
  // A pending run held back by a running one of its schedule wakes nobody: the running
  // run's completion (generation) or lease end does.
  // Each part reads its index in order and stops at the first row that qualifies (a
  // min() with these filters would read every schedule and every pending run).
  return backend_->read(
      "finding the next wake-up time", [](Session &s) -> Result<std::optional<Instant>> {
        Statement select(
            s, "SELECT min(t) FROM ("
               " SELECT * FROM (SELECT next_fire_s AS t FROM schedules WHERE paused = 0"
               "  AND next_fire_s IS NOT NULL ORDER BY next_fire_s LIMIT 1) AS fire"
               " UNION ALL SELECT * FROM (SELECT r.not_before_s FROM runs r"
               "  LEFT JOIN schedules s ON s.id = r.schedule_id"
               "  WHERE r.status = 'pending' AND COALESCE(s.paused, 0) = 0"
               "  AND (COALESCE(s.overlap_policy, 'allow') = 'allow' OR NOT EXISTS ("
               "   SELECT 1 FROM runs o WHERE o.schedule_id = r.schedule_id"
               "   AND o.status = 'running'))"
               "  ORDER BY r.not_before_s LIMIT 1) AS start"
               " UNION ALL SELECT min(lease_until_s) + 1 FROM runs WHERE status = 'running')"
               " AS wake");
        std::optional<Instant> wake;
        if (select.step() && !select.column_is_null(0))
          wake = Instant{std::chrono::seconds{select.column_int(0)}};
        return wake;
      });
}

} // namespace autohost::scheduler
