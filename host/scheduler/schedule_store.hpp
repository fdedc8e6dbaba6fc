// Schedules and their runs, kept in the autohost store (SQLite or PostgreSQL) beside the secrets.
#pragma once

#include "scheduler/backoff.hpp"
#include "scheduler/schedule.hpp"

#include "store/sql/backend.hpp"

#include <autohost/result.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autohost::scheduler {

struct ScheduleStoreOptions {
  // A path to an autohost store file (the secret store creates it) or a postgresql:// URL.
  std::string location;
  int busy_timeout_ms = 15000; // SQLite: how long a writer waits for another's write lock
  // PostgreSQL: decide with the `now` callers pass instead of the database's clock. Only for
  // tests that travel in time; a host never sets it.
  bool trust_caller_clock = false;
  RetryPolicy retry;
  // A claimed run belongs to its daemon until then; renew_lease() extends it. A run whose
  // lease ran out (its daemon died) is claimed again, with the same run id.
  std::chrono::seconds lease{120};
};

struct RemoveResult {
  int cancelled_runs = 0; // pending runs that will now never start
};

struct ImportReport {
  std::vector<std::string> created;
  std::vector<std::string> updated;
  std::vector<std::string> unchanged;
  // One-shot entries due more than their max lateness ago that were never imported.
  std::vector<std::string> past;
  // (id, reason): changed entries that cannot change any more (a one-shot that already ran).
  std::vector<std::pair<std::string, std::string>> refused;
};

struct DueReport {
  std::vector<std::string> pending;  // runs made ready to claim
  std::vector<std::string> missed;   // runs recorded as missed (late or overlapping)
  std::vector<std::string> problems; // schedules that stopped: "<id>: <reason>"
};

// A run this daemon holds. run.attempts is the fencing token: after the lease ran out and
// another daemon claimed the run, every call with this claim is refused (AH_CONFLICT).
struct Claim {
  Run run;
  std::string worker;
};

// How a claimed run ended (succeeded, failed or needs_attention).
struct RunResult {
  RunStatus status = RunStatus::succeeded;
  std::string output_json; // the plugin's output, empty when none
  std::string error_json;  // the error body, empty when none
};

// A run recorded as finished, and the runs claimed for the same worker in that transaction.
struct Finished {
  Run run;
  std::vector<Claim> next;
};

// What `schedule edit` changes; unset fields stay as they are.
struct ScheduleEdit {
  std::optional<ScheduleSpec> spec;      // the next fire time is computed anew from now
  std::optional<std::string> input_json; // also given to its pending runs not yet started
  std::optional<std::string> account;    // likewise
};

// What prune_runs removed.
struct PruneReport {
  int runs = 0;
};

struct RunFilter {
  std::optional<std::string> schedule_id;
  std::optional<RunStatus> status;
  int limit = 100; // newest first
};

// Every call is one transaction of the store's sql::Backend, with one SQL text for both
// engines. On SQLite, instants are the `now` callers pass, so tests and a daemon's --once
// mode control time; writers are serialised by SQLite's lock (waiting up to busy_timeout_ms,
// then AH_RETRY_LATER). On PostgreSQL every decision about the present - what is due, what
// is too late, whose lease ran out, when a new lease ends - is taken on the database's clock
// (read once per transaction), never a host's, so hosts with skewed clocks agree; `now` is
// used only with trust_caller_clock. Writers take the store-wide advisory lock, so claims
// are serialised across hosts exactly as on SQLite, and a change to the generation also
// notifies channel `autohost_wake` on commit. Errors name the store (its location redacted),
// the schedule or the run.
class ScheduleStore {
public:
  // Opens the scheduler's tables in an existing autohost store, creating them on first use.
  static Result<std::unique_ptr<ScheduleStore>> open(const ScheduleStoreOptions &options);
  ~ScheduleStore();

  // --- schedules -------------------------------------------------------------------
  // Adds a schedule (an id is made when the draft has none); AH_CONFLICT if the id exists.
  Result<Schedule> add(const ScheduleDraft &draft, Instant now);
  Result<std::vector<Schedule>> list();
  Result<std::optional<Schedule>> find(std::string_view id);
  // Removes the schedule and cancels its pending runs; running runs finish. AH_NOT_FOUND.
  Result<RemoveResult> remove(std::string_view id, Instant now);
  // While paused nothing new is made and pending runs wait. Resuming a recurring schedule
  // starts from its next occurrence after `now` (what passed while paused is not caught up);
  // a one-shot keeps its time and is then late or missed as usual.
  Result<Schedule> set_paused(std::string_view id, bool paused, Instant now);
  // Replaces when the schedule fires; the next fire time is computed anew from `now`.
  Result<Schedule> reschedule(std::string_view id, const ScheduleSpec &spec, Instant now);
  // Changes a schedule in place: its id, runs and history stay. Pending runs that never
  // started take the new input and account; runs already started keep theirs. AH_NOT_FOUND.
  Result<Schedule> edit(std::string_view id, const ScheduleEdit &edit, Instant now);
  // Adds or updates calendar entries by id in one transaction: the same entries again change
  // nothing. An id that belongs to a schedule not from a calendar is AH_CONFLICT and nothing
  // is written.
  Result<ImportReport> import_calendar(const std::vector<ScheduleDraft> &entries, Instant now);
  // Registers a plugin job's default schedule (id "job.<plugin>.<job>", source
  // "plugin_default"), or updates it when its content_hash differs (set it from the
  // manifest's default_schedule text, so it changes only when the plugin's default does).
  // A schedule of any other source for the same job overrides it: the default one is then
  // removed. Returns the schedule that will run the job.
  Result<Schedule> ensure_job_schedule(const ScheduleDraft &job_default, Instant now);
  // Grows with every change that can make work due sooner - schedules added, changed,
  // resumed or removed, runs completed, retried or released - from any process, so a
  // sleeping daemon can tell that it must look again.
  Result<std::int64_t> generation();

  // --- runs -------------------------------------------------------------------------
  // Turns every occurrence due at `now` into a run row (idempotent: the run id is derived
  // from the schedule and due time) and advances each schedule's next fire time. Missed and
  // overlap policies decide whether the run is pending or recorded as missed.
  Result<DueReport> materialise_due(Instant now);
  // Atomically takes one run for `worker` (unique per daemon process, e.g.
  // "host:pid:random", since it is part of the claim's fence): first a running run whose lease ran
  // out (resumed, same id), then the pending run due earliest. Pending runs that were never started
  // and are past their lateness limit are marked missed on the way. nullopt when nothing is ready.
  Result<std::optional<Claim>> claim_next(std::string_view worker, Instant now);
  // Takes up to `n` runs for `worker` in one transaction (one commit): the runs claim_next
  // called `n` times would take, in that order, with the same checks and leases. Fewer (or
  // none) when fewer are ready.
  Result<std::vector<Claim>> claim_batch(std::string_view worker, Instant now, int n);
  Result<Done> renew_lease(const Claim &claim, Instant now);
  Result<Run> complete(const Claim &claim, const RunResult &result, Instant now);
  // complete(), then claim_batch(claim.worker, now, n) in the same transaction: a worker
  // that finished goes on with the next run for one commit where there were two.
  Result<Finished> complete_and_claim(const Claim &claim, const RunResult &result, Instant now,
                                      int n);
  // Puts the run back as pending after a retry_later/rate_limited result: it waits the
  // plugin's hint or the policy's backoff. Past the policy's max_attempts it fails instead
  // (the returned run says which).
  Result<Run> retry_later(const Claim &claim, std::string_view error_json,
                          std::optional<std::chrono::seconds> retry_after, Instant now);
  // Gives the run back untouched (shutting down before it started): pending, ready now.
  Result<Done> release(const Claim &claim, Instant now);
  // An operator's retry of a run that needs attention (or failed): pending again and ready
  // now, under the same run id, so a plugin's idempotency (the Threads publish checkpoint)
  // resumes instead of acting twice. Its attempts keep counting (they fence old claims).
  // AH_NOT_FOUND; AH_CONFLICT for a run in any other state, naming it.
  Result<Run> retry_run(std::string_view id, Instant now);
  // Removes finished runs (succeeded, failed, missed, cancelled) that finished
  // more than `age` ago (on the store's clock). Runs that are pending, running or need
  // attention are kept whatever their age.
  Result<PruneReport> prune_runs(std::chrono::seconds age, Instant now);
  // Newest first.
  Result<std::vector<Run>> runs(const RunFilter &filter);
  Result<std::optional<Run>> find_run(std::string_view id);
  // Running runs whose lease has run out: their daemon is gone; claim_next resumes them.
  Result<std::vector<Run>> stale_runs(Instant now);
  // The earliest instant at which materialise_due or claim_next will have something to
  // do: a next fire time, a pending run's start, a lease running out. It may be in the
  // past (work is due now). nullopt: nothing is scheduled.
  Result<std::optional<Instant>> next_wake();

  // The instant the store decides with when the caller's clock says `now`: `now` itself on
  // SQLite (and with trust_caller_clock), the database's clock on PostgreSQL.
  Result<Instant> current_time(Instant now);

  // Frees SQLite's page cache of this store's connection (see sql::Backend).
  void release_memory() noexcept { backend_->release_memory(); }

  // The SQLite file (for watching it), empty on PostgreSQL.
  const std::filesystem::path &file() const noexcept { return file_; }
  // Where the store is, safe to show (a URL's password replaced by ***).
  const std::string &location() const noexcept { return backend_->location(); }
  // The location as it was given, a URL's password included: only for opening another
  // connection to the same store (the daemon's LISTEN), never for showing.
  const std::string &connect_location() const noexcept { return options_.location; }
  store::sql::Dialect dialect() const noexcept { return backend_->dialect(); }

private:
  using Session = store::sql::Session;
  ScheduleStore(std::unique_ptr<store::sql::Backend> backend, ScheduleStoreOptions options);
  // The bodies below run inside one Backend transaction on `s` (write ones under the write
  // lock). A statement's failure is kept by the session and reported by the Backend, which
  // wins over whatever the body returns; `t` is the transaction's instant (Session::now()).
  static void bump_generation(Session &s);
  static Result<std::optional<Schedule>> find_in(Session &s, std::string_view id);
  static Result<Schedule> insert_in(Session &s, const ScheduleDraft &draft, const std::string &id,
                                    Instant t);
  static void update_from_draft_in(Session &s, const ScheduleDraft &draft, Instant t);
  static Result<std::optional<Run>> find_run_in(Session &s, std::string_view id);
  // AH_CONFLICT unless the run is still running under this claim (same worker, attempt).
  static Result<Done> check_claim_in(Session &s, const Claim &claim);
  // The id of the run claim_next takes next ("" when none), giving up on stale runs that
  // have used all their attempts on the way.
  Result<std::string> next_claimable_in(Session &s, std::int64_t now_s);
  // Whether ending a claim moves the generation (and wakes the daemons): always, or on
  // PostgreSQL only when a pending run of the same schedule may have waited for it (a
  // completion frees nothing else another daemon could claim; its own worker claims on).
  enum class Wakes { always, if_schedule_waits };
  // The frame of every write that ends or hands back a claim: one transaction in which the
  // claim must still hold, `change`, the generation bump, the run as it is then, and
  // `then_claim` runs claimed for claim.worker.
  Result<Finished> end_claim(const Claim &claim, Instant now, const std::string &doing,
                             const std::function<void(Session &, Instant t)> &change,
                             int then_claim = 0, Wakes wakes = Wakes::always);
  // claim_batch's work inside a write transaction.
  Result<std::vector<Claim>> claim_in(Session &s, std::string_view worker, Instant t, int n);
  // PostgreSQL (schedule_store_claim_pg.cpp), without the store-wide lock: up to `n` runs
  // claimed in one statement (stale runs first, then pending ones in claim order; rows locked
  // with SKIP LOCKED, so concurrent claims take disjoint runs), late runs marked missed and
  // runs out of attempts failed on the way. Pending runs of a skip or queue schedule that
  // has another run pending or running are left to claim_in's locked path.
  std::vector<Claim> claim_rows_pg(Session &s, std::string_view worker, Instant t, int n);
  // Whether such a run is ready now and none of its schedule runs.
  static bool blocked_claimable_pg(Session &s, std::int64_t now_s);
  // Locks the other pending and running runs of `run_id`'s schedule when it is skip or
  // queue; true when one of them is running (then `run_id` must wait).
  static bool other_run_running_pg(Session &s, const std::string &run_id);
  // bump_generation() when a run of `schedule_id` is pending.
  static void bump_generation_if_pending(Session &s, const std::string &schedule_id);

  std::unique_ptr<store::sql::Backend> backend_;
  ScheduleStoreOptions options_;
  std::filesystem::path file_;
};

} // namespace autohost::scheduler
