// Internal to the schedule store: the schema, column lists and row decoding.
#pragma once

#include "scheduler/schedule.hpp"

#include "store/sql/schema.hpp"
#include "store/sql/session.hpp"

#include <string_view>

namespace autohost::scheduler::rows {

inline constexpr int schema_version = 1;

inline constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS schedules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  plugin TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('action', 'job')),
  target TEXT NOT NULL,
  account TEXT NOT NULL,
  input_json TEXT NOT NULL,
  spec TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  next_fire_s INTEGER,         -- NULL: nothing more to run
  paused INTEGER NOT NULL,
  missed_policy TEXT NOT NULL,
  overlap_policy TEXT NOT NULL,
  max_lateness_s INTEGER NOT NULL,
  jitter_s INTEGER NOT NULL,
  source TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  problem TEXT NOT NULL,
  created_s INTEGER NOT NULL,
  updated_s INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS schedules_by_next_fire ON schedules(next_fire_s)
  WHERE next_fire_s IS NOT NULL;
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,         -- "<schedule id>@<due>": the plugin's idempotency key
  schedule_id TEXT NOT NULL,   -- no foreign key: runs outlive their schedule as history
  plugin TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  account TEXT NOT NULL,
  input_json TEXT NOT NULL,
  due_s INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed',
                                         'needs_attention', 'missed', 'cancelled')),
  attempts INTEGER NOT NULL,
  not_before_s INTEGER NOT NULL,
  expires_s INTEGER,
  claimed_by TEXT NOT NULL,
  claimed_s INTEGER,
  lease_until_s INTEGER,
  started_s INTEGER,
  finished_s INTEGER,
  output_json TEXT NOT NULL,
  error_json TEXT NOT NULL,
  created_s INTEGER NOT NULL,
  updated_s INTEGER NOT NULL
) STRICT;
-- In claim order, so the next run to claim is the first match rather than a sort of all
-- pending runs. It replaces runs_by_status(status, not_before_s) of earlier versions.
DROP INDEX IF EXISTS runs_by_status;
CREATE INDEX IF NOT EXISTS runs_by_claim_order ON runs(status, not_before_s, due_s, id);
-- Never-started runs that can expire: every claim looks for those past their limit.
CREATE INDEX IF NOT EXISTS runs_by_expiry ON runs(status, expires_s)
  WHERE attempts = 0 AND expires_s IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_by_schedule ON runs(schedule_id, due_s);
)sql";

// The same tables on PostgreSQL (component "scheduler" of autohost_schema), migration by
// migration: index i takes the schema from version i to i + 1. Instants are int8 seconds as
// on SQLite, so rows copy verbatim. Ids and statuses compare byte by byte (COLLATE "C", as
// SQLite's BINARY) so claims are taken in the same order whatever the database's locale.
// The generation lives in its own one-row table (on SQLite it is a row of `meta`).
inline constexpr store::sql::Migration pg_migrations[] = {{1, R"sql(
CREATE TABLE schedules (
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  plugin text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('action', 'job')),
  target text NOT NULL,
  account text NOT NULL,
  input_json text NOT NULL,
  spec text NOT NULL,
  time_zone text NOT NULL,
  next_fire_s int8,
  paused int8 NOT NULL,
  missed_policy text NOT NULL,
  overlap_policy text NOT NULL,
  max_lateness_s int8 NOT NULL,
  jitter_s int8 NOT NULL,
  source text NOT NULL,
  content_hash text NOT NULL,
  problem text NOT NULL,
  created_s int8 NOT NULL,
  updated_s int8 NOT NULL
);
CREATE INDEX schedules_by_next_fire ON schedules(next_fire_s) WHERE next_fire_s IS NOT NULL;
CREATE TABLE runs (
  id text COLLATE "C" PRIMARY KEY,
  schedule_id text COLLATE "C" NOT NULL,
  plugin text NOT NULL,
  kind text NOT NULL,
  target text NOT NULL,
  account text NOT NULL,
  input_json text NOT NULL,
  due_s int8 NOT NULL,
  status text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'running', 'succeeded',
    'failed', 'needs_attention', 'missed', 'cancelled')),
  attempts int8 NOT NULL,
  not_before_s int8 NOT NULL,
  expires_s int8,
  claimed_by text NOT NULL,
  claimed_s int8,
  lease_until_s int8,
  started_s int8,
  finished_s int8,
  output_json text NOT NULL,
  error_json text NOT NULL,
  created_s int8 NOT NULL,
  updated_s int8 NOT NULL
);
CREATE INDEX runs_by_claim_order ON runs(status, not_before_s, due_s, id);
CREATE INDEX runs_by_expiry ON runs(status, expires_s) WHERE attempts = 0 AND expires_s IS NOT NULL;
CREATE INDEX runs_by_schedule ON runs(schedule_id, due_s);
-- Stale runs and next_wake's lease end: only running runs have a lease.
CREATE INDEX runs_by_lease ON runs(lease_until_s) WHERE status = 'running';
CREATE TABLE scheduler_generation (
  only_row bool PRIMARY KEY DEFAULT true CHECK (only_row),
  value int8 NOT NULL
);
INSERT INTO scheduler_generation(value) VALUES (0);
)sql"}};

inline constexpr std::string_view schedule_columns =
    "id, name, plugin, kind, target, account, input_json, spec, time_zone, next_fire_s, paused, "
    "missed_policy, overlap_policy, max_lateness_s, jitter_s, source, content_hash, problem, "
    "created_s, updated_s";

inline constexpr std::string_view run_columns =
    "id, schedule_id, plugin, kind, target, account, input_json, due_s, status, attempts, "
    "not_before_s, expires_s, claimed_by, claimed_s, lease_until_s, started_s, finished_s, "
    "output_json, error_json, created_s, updated_s";

// Decode the current row of a statement that selected the columns above, in that order.
Schedule read_schedule(const store::sql::Statement &row);
Run read_run(const store::sql::Statement &row);

std::int64_t seconds_of(Instant t);

// The instant a transaction decides with (Session::now(): the database's clock on
// PostgreSQL), in whole seconds like every instant the store keeps.
Instant now_in(store::sql::Session &s, Instant caller);

} // namespace autohost::scheduler::rows
