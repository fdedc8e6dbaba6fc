// Decoding schedule and run rows.
#include "scheduler/store_rows.hpp"

namespace autohost::scheduler::rows {

namespace {

Instant instant(const store::sql::Statement &row, int i) {
  return Instant{std::chrono::seconds{row.column_int(i)}};
}

std::optional<Instant> maybe_instant(const store::sql::Statement &row, int i) {
  if (row.column_is_null(i))
    return std::nullopt;
  return instant(row, i);
}

} // namespace

std::int64_t seconds_of(Instant t) { return t.time_since_epoch().count(); }

Instant now_in(store::sql::Session &s, Instant caller) {
  using namespace std::chrono;
  return floor<seconds>(s.now(time_point_cast<milliseconds>(caller)));
}

Schedule read_schedule(const store::sql::Statement &row) {
  Schedule s;
  s.id = row.column_text(0);
  s.name = row.column_text(1);
  s.plugin = row.column_text(2);
  s.kind = target_kind_named(row.column_text(3)).value_or(TargetKind::action);
  s.target = row.column_text(4);
  s.account = row.column_text(5);
  s.input_json = row.column_text(6);
  s.spec = row.column_text(7);
  s.time_zone = row.column_text(8);
  s.next_fire = maybe_instant(row, 9);
  s.paused = row.column_int(10) != 0;
  s.missed = missed_policy_named(row.column_text(11)).value_or(MissedPolicy::catch_up_once);
  s.overlap = overlap_policy_named(row.column_text(12)).value_or(OverlapPolicy::skip);
  s.max_lateness = std::chrono::seconds{row.column_int(13)};
  s.jitter = std::chrono::seconds{row.column_int(14)};
  s.source = row.column_text(15);
  s.content_hash = row.column_text(16);
  s.problem = row.column_text(17);
  s.created = instant(row, 18);
  s.updated = instant(row, 19);
  return s;
}

Run read_run(const store::sql::Statement &row) {
  Run r;
  r.id = row.column_text(0);
  r.schedule_id = row.column_text(1);
  r.plugin = row.column_text(2);
  r.kind = target_kind_named(row.column_text(3)).value_or(TargetKind::action);
  r.target = row.column_text(4);
  r.account = row.column_text(5);
  r.input_json = row.column_text(6);
  r.due = instant(row, 7);
  r.status = run_status_named(row.column_text(8)).value_or(RunStatus::failed);
  r.attempts = static_cast<int>(row.column_int(9));
  r.not_before = instant(row, 10);
  r.expires = maybe_instant(row, 11);
  r.claimed_by = row.column_text(12);
  r.claimed_at = maybe_instant(row, 13);
  r.lease_until = maybe_instant(row, 14);
  r.started = maybe_instant(row, 15);
  r.finished = maybe_instant(row, 16);
  r.output_json = row.column_text(17);
  r.error_json = row.column_text(18);
  r.created = instant(row, 19);
  r.updated = instant(row, 20);
  return r;
}

} // namespace autohost::scheduler::rows
