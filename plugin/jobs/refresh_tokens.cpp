// The `refresh_tokens` job: the refresh sweep.
#include "jobs/refresh_tokens.hpp"

#include "auth/rotation.hpp"
#include "auth/time_text.hpp"
#include "auth/token_endpoints.hpp"
#include "jobs/commit_rule.hpp"
#include "plain_number.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <list>
#include <span>
#include <utility>

namespace threads::jobs {
namespace json = boost::json;
using auth::RotationOutcome;
using autohost::Error;
using autohost::Result;

namespace {

// A token that keeps failing this close to its expiry deserves a warning every run.
constexpr std::int64_t expiry_warning_ms = 3 * auth::day_ms;
// Refresh answers stored in one durable commit at most (more with a higher concurrency); see
// CommitRule for when fewer are.
constexpr std::size_t store_batch = 256;
// Accounts listed in the report at most: it names those that need attention (failed,
// needs_reauth), and its size must not grow with the number of accounts; the rest are
// counted in "details_omitted" (each dead one also has its warning in the log).
constexpr std::size_t details_limit = 1000;

// Claimed accounts of a chunk and the refresh request of each.
struct Claimed {
  std::vector<auth::StoredAccount *> accounts;
  std::vector<std::string> refreshed_from;
  std::vector<graph::Call> calls;
};

// One chunk of records read, decided and claimed: the claimed accounts with their requests
// (the outcome of every other account it read is counted as it is decided).
struct Chunk {
  Chunk() = default;
  Chunk(Chunk &&) = default;
  Chunk &operator=(Chunk &&) = default;
  // A copy's `claimed` would point into the original's records.
  Chunk(const Chunk &) = delete;
  Chunk &operator=(const Chunk &) = delete;

  std::vector<auth::StoredAccount> due; // `claimed` points into it (a move keeps the records)
  Claimed claimed;
  std::size_t next = 0; // the first name not read
  bool stopped = false; // should_stop() ended the reading early; nothing was claimed
  // Once its requests are supplied: the index of its first one among all the sweep's, and
  // how many of its answers have not come yet.
  std::size_t first = 0;
  std::size_t unanswered = 0;
};

class Sweep {
public:
  explicit Sweep(const ActionContext &ctx)
      : ctx_(ctx), rotation_(ctx.host, ctx.refresh_rules(), auth::new_claimant()),
        started_(std::chrono::steady_clock::now()) {}

  Result<std::string> run();

private:
  void count(const std::string &account, const auth::RotationResult &result);
  void count_error(const std::string &account, const Error &error);
  // Lists an account that needs attention, up to details_limit.
  void list(const std::string &account, RotationOutcome outcome, const std::string &reason);
  // Reads names from `from` on until `chunk` due accounts are found, and claims them (one
  // batched CAS write) unless a stop came; counts the outcome of every account not claimed.
  Chunk prepare(const std::vector<std::string> &names, std::size_t from, std::size_t chunk);
  // Claims the chunk's due accounts, so that another sweep skips them.
  void claim(Chunk &chunk);
  // The next chunk's requests to send, read and claimed now, its other outcomes counted;
  // empty when no chunk is left to read or a stop came.
  std::span<const graph::Call> supply(const std::vector<std::string> &names);
  // The refresh answer to requests[index] of the sweep, to store.
  auth::RefreshAnswer answer(std::size_t index, graph::GraphResult<json::value> got);
  // Stores the refresh answers collected so far (one batched write), counts them and lets go
  // of the chunks all of whose answers are stored.
  void store_answers(std::vector<auth::RefreshAnswer> &pending);
  json::object report() const;

  const ActionContext &ctx_;
  const auth::Rotation rotation_;
  std::chrono::steady_clock::time_point started_;
  std::size_t chunk_size_ = 0;
  // Chunks whose requests were supplied and whose answers are not all stored (a list: an
  // answer points into its chunk's records, and chunks go in any order).
  std::list<Chunk> chunks_;
  std::size_t next_name_ = 0;
  std::size_t supplied_ = 0; // requests supplied
  bool ended_ = false;       // no chunk is left to read, or a stop came
  bool all_read_ = false;    // every name was read without a stop
  std::size_t accounts_ = 0;
  int refreshed_ = 0, skipped_ = 0, failed_ = 0, needs_reauth_ = 0;
  json::array details_;
  std::size_t details_omitted_ = 0;
};

void Sweep::count(const std::string &account, const auth::RotationResult &result) {
  switch (result.outcome) {
  case RotationOutcome::refreshed:
    ++refreshed_;
    break;
  case RotationOutcome::failed:
    ++failed_;
    break;
  case RotationOutcome::needs_reauth:
    ++needs_reauth_;
    break;
  case RotationOutcome::adopted:
  case RotationOutcome::skipped:
  case RotationOutcome::claimed:
    ++skipped_;
    break;
  }
  if (result.outcome == RotationOutcome::failed || result.outcome == RotationOutcome::needs_reauth)
    list(account, result.outcome, result.reason);
}

void Sweep::count_error(const std::string &account, const Error &error) {
  ++failed_;
  list(account, RotationOutcome::failed, auth::error_message(error));
}

void Sweep::list(const std::string &account, RotationOutcome outcome, const std::string &reason) {
  if (details_.size() >= details_limit) {
    ++details_omitted_;
    return;
  }
  json::object detail{{"account", account}, {"outcome", auth::to_string(outcome)}};
  if (!reason.empty())
    detail["reason"] = reason;
  details_.push_back(std::move(detail));
}

Chunk Sweep::prepare(const std::vector<std::string> &names, std::size_t from, std::size_t chunk) {
  Chunk out;
  out.next = from;
  auto decided = [this](const std::string &name, RotationOutcome outcome, std::string reason) {
    count(name, auth::RotationResult{outcome, std::move(reason)});
  };
  while (out.next < names.size() && out.due.size() < chunk) {
    if (ctx_.should_stop()) {
      out.stopped = true;
      return out;
    }
    // As many records as the chunk still needs, in one read (each may turn out not due).
    const std::span<const std::string> batch(
        names.data() + out.next, std::min(chunk - out.due.size(), names.size() - out.next));
    out.next += batch.size();
    auto loaded = ctx_.accounts.load_many(batch);
    for (std::size_t k = 0; k < batch.size(); ++k) {
      const std::string &name = batch[k];
      auto &account = loaded[k];
      if (!account) {
        decided(name, RotationOutcome::failed, auth::error_message(account.error()));
        continue;
      }
      const auth::RefreshDecision d =
          auth::decide_refresh(account->record, rotation_.now_ms(), rotation_.rules());
      switch (d.action) {
      case auth::RefreshAction::refresh:
        out.due.push_back(std::move(account).value());
        break;
      case auth::RefreshAction::mark_needs_reauth: {
        auto marked = rotation_.mark_expired(account.value());
        if (marked)
          count(name, marked.value());
        else
          decided(name, RotationOutcome::failed, auth::error_message(marked.error()));
        break;
      }
      case auth::RefreshAction::skip:
        if (d.reason == "needs_reauth")
          decided(name, RotationOutcome::needs_reauth, account->record.last_refresh_error);
        else
          decided(name, RotationOutcome::skipped, d.reason);
        break;
      }
    }
  }
  if (ctx_.should_stop()) {
    out.stopped = true;
    return out;
  }
  claim(out);
  return out;
}

void Sweep::claim(Chunk &chunk) {
  std::vector<auth::StoredAccount *> accounts;
  accounts.reserve(chunk.due.size());
  for (auto &account : chunk.due)
    accounts.push_back(&account);
  auto claims = rotation_.claim_many(accounts, auth::Urgency::sweep);
  Claimed &out = chunk.claimed;
  for (std::size_t k = 0; k < accounts.size(); ++k) {
    auth::StoredAccount &account = *accounts[k];
    if (!claims[k]) {
      count(account.name,
            auth::RotationResult{RotationOutcome::failed, auth::error_message(claims[k].error())});
      continue;
    }
    if (claims[k]->outcome != RotationOutcome::claimed) {
      count(account.name, claims[k].value());
      continue;
    }
    out.accounts.push_back(&account);
    out.refreshed_from.push_back(account.record.access_token);
    out.calls.push_back(
        auth::refresh_call(ctx_.make_call(http::Method::get, "", graph::Operation::token, ""),
                           account.record.access_token));
  }
}

std::span<const graph::Call> Sweep::supply(const std::vector<std::string> &names) {
  while (!ended_) {
    Chunk chunk = prepare(names, next_name_, chunk_size_);
    next_name_ = chunk.next;
    if (chunk.stopped || next_name_ >= names.size() || ctx_.should_stop()) {
      ended_ = true;
      all_read_ = !chunk.stopped && next_name_ >= names.size();
    }
    if (chunk.claimed.calls.empty())
      continue;
    chunk.first = supplied_;
    chunk.unanswered = chunk.claimed.calls.size();
    supplied_ += chunk.unanswered;
    chunks_.push_back(std::move(chunk));
    return chunks_.back().claimed.calls;
  }
  return {};
}

auth::RefreshAnswer Sweep::answer(std::size_t index, graph::GraphResult<json::value> got) {
  const auto chunk = std::find_if(chunks_.begin(), chunks_.end(), [index](const Chunk &c) {
    return index >= c.first && index - c.first < c.claimed.calls.size();
  });
  const std::size_t k = index - chunk->first;
  --chunk->unanswered;
  auth::RefreshAnswer answer;
  answer.account = chunk->claimed.accounts[k];
  answer.refreshed_from = chunk->claimed.refreshed_from[k];
  if (got) {
    auto parsed = auth::parse_token_answer(got.value(), "refresh");
    if (parsed) {
      answer.token = std::move(parsed).value();
    } else {
      answer.failure = auth::RefreshFailure::transient;
      answer.message = auth::error_message(parsed.error());
    }
  } else {
    answer.failure = auth::classify_refresh_failure(got.error());
    answer.message = auth::error_message(got.error().error);
    // Stopped (cancelled or past the deadline) before it went out: no failure to record.
    answer.unsent = got.error().error.status == AH_CANCELLED &&
                    got.error().delivery == http::Delivery::not_sent;
  }
  return answer;
}

void Sweep::store_answers(std::vector<auth::RefreshAnswer> &pending) {
  // Taken out first, so nothing is stored twice even if counting below fails.
  std::vector<auth::RefreshAnswer> answers;
  answers.swap(pending);
  if (answers.empty())
    return;
  // Every answer that came is stored below, so a chunk none of whose answers is awaited
  // is no longer pointed into once this returns (or throws).
  struct LetGo {
    std::list<Chunk> &chunks;
    ~LetGo() {
      std::erase_if(chunks, [](const Chunk &c) { return c.unanswered == 0; });
    }
  } let_go{chunks_};
  auto stored = rotation_.store_answers(answers);
  for (std::size_t k = 0; k < answers.size(); ++k) {
    const auth::StoredAccount &account = *answers[k].account;
    if (!stored[k]) {
      count_error(account.name, stored[k].error());
      continue;
    }
    if (stored[k]->outcome == RotationOutcome::failed &&
        account.record.expires_at_ms - rotation_.now_ms() < expiry_warning_ms) {
      ctx_.log(
          AH_LOG_WARN, "a Threads token close to expiry could not be refreshed",
          json::serialize(json::object{{"account", account.name},
                                       {"expires_at", auth::iso8601(account.record.expires_at_ms)},
                                       {"error", stored[k]->reason}}));
    }
    count(account.name, stored[k].value());
  }
}

json::object Sweep::report() const {
  return json::object{
      {"refreshed", refreshed_},
      {"skipped", skipped_},
      {"failed", failed_},
      {"needs_reauth", needs_reauth_},
      {"accounts", accounts_},
      {"details", details_},
      {"details_omitted", details_omitted_},
      {"refresh_window_days", plain_number(static_cast<double>(rotation_.rules().window_ms) /
                                           static_cast<double>(auth::day_ms))},
      {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started_)
                          .count()}};
}

Result<std::string> Sweep::run() {
  AH_TRY_DECLARE(names, ctx_.accounts.names());
  accounts_ = names.size();
  // Records are read and claimed a chunk of due ones at a time, when the bulk call asks for
  // more requests (fewer than http::bulk_waiting_per_worker a connection wait to be sent):
  // the HTTP thread works through those while this thread reads and claims the next chunk,
  // so the requests flow from one chunk into the next without a pause for reads, claims
  // or the last answers' commit, with no thread of the sweep's own. Claims stay young (far
  // inside the lease) and memory does not grow with the number of accounts. Answers are stored
  // in batches (CommitRule), and whenever no answer has come for a moment
  // (http::bulk_idle_after): few durable commits, and no answer waits for a stalled or
  // retried request. Nothing is claimed after a stop; what was claimed is sent all the
  // same, and a request the stop kept from going out ends its claim without a failure
  // recorded against the account (counted as skipped).
  const auto concurrency = static_cast<std::size_t>(ctx_.config.refresh_concurrency);
  chunk_size_ = std::max<std::size_t>(64, concurrency * 16);
  CommitRule rule(std::max(concurrency, store_batch), http::bulk_idle_after);
  std::vector<auth::RefreshAnswer> answers;
  auto on_answer = [&](std::size_t index, graph::GraphResult<json::value> got) {
    answers.push_back(answer(index, std::move(got)));
    if (rule.store_now(answers.size(), CommitRule::Clock::now()))
      store_answers(answers);
  };
  try {
    ctx_.graph.call_all([&] { return supply(names); }, concurrency, on_answer,
                        [&] { store_answers(answers); });
  } catch (...) {
    store_answers(answers); // what came is stored before the failure is reported
    throw;
  }
  store_answers(answers);
  const bool complete = all_read_ && !ctx_.should_stop();
  json::object out = report();
  out["complete"] = complete;
  ctx_.log(complete ? AH_LOG_INFO : AH_LOG_WARN, "token refresh sweep finished",
           json::serialize(json::object{{"refreshed", refreshed_},
                                        {"skipped", skipped_},
                                        {"failed", failed_},
                                        {"needs_reauth", needs_reauth_}}));
  if (!complete) {
    out["code"] = ctx_.stop_code();
    out["message"] = "the refresh sweep was stopped before it finished; the next run continues";
    return Error{AH_CANCELLED, json::serialize(out)};
  }
  return json::serialize(out);
}

} // namespace

Result<std::string> run_refresh_tokens(const ActionContext &ctx) {
  Sweep sweep(ctx);
  return sweep.run();
}

} // namespace threads::jobs
