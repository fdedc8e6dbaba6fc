// The `refresh_tokens` job: the refresh sweep.
#include "jobs/refresh_tokens.hpp"

#include "auth/rotation.hpp"
#include "auth/time_text.hpp"
#include "auth/token_endpoints.hpp"
#include "plain_number.hpp"

#include <boost/json.hpp>

#include <chrono>

namespace threads::jobs {
namespace json = boost::json;
using auth::RotationOutcome;
using autohost::Error;
using autohost::Result;

namespace {

// A token that keeps failing this close to its expiry deserves a warning every run.
constexpr std::int64_t expiry_warning_ms = 3 * auth::day_ms;
// Refresh answers stored per batched write at most (more with a higher concurrency); fewer
// whenever the sweep would otherwise wait for more answers.
constexpr std::size_t store_batch = 16;
// Accounts listed in the report at most: it names those that need attention (failed,
// needs_reauth), and its size must not grow with the number of accounts; the rest are
// counted in "details_omitted" (each dead one also has its warning in the log).
constexpr std::size_t details_limit = 1000;

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
  void select(const std::string &name);
  // Claims and refreshes the accounts in due_.
  void refresh_chunk();
  // Stores the refresh answers collected so far (one batched write) and counts them.
  void store_answers(std::vector<auth::RefreshAnswer> &pending);
  json::object report() const;

  const ActionContext &ctx_;
  const auth::Rotation rotation_;
  std::chrono::steady_clock::time_point started_;
  std::vector<auth::StoredAccount> due_; // the chunk being refreshed
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

// Reads one record and decides; due ones are refreshed later, in chunks.
void Sweep::select(const std::string &name) {
  auto account = ctx_.accounts.load(name, auth::Usability::any);
  if (!account)
    return count_error(name, account.error());
  const auth::RefreshDecision d =
      auth::decide_refresh(account->record, rotation_.now_ms(), rotation_.rules());
  switch (d.action) {
  case auth::RefreshAction::refresh:
    due_.push_back(std::move(account).value());
    return;
  case auth::RefreshAction::mark_needs_reauth: {
    auto marked = rotation_.mark_expired(account.value());
    if (!marked)
      return count_error(name, marked.error());
    return count(name, marked.value());
  }
  case auth::RefreshAction::skip:
    if (d.reason == "needs_reauth") {
      return count(name, {RotationOutcome::needs_reauth, account->record.last_refresh_error});
    }
    return count(name, {RotationOutcome::skipped, d.reason});
  }
}

void Sweep::refresh_chunk() {
  // Claim first (one batched CAS write for the chunk), so another sweep skips these
  // accounts; then send.
  std::vector<auth::StoredAccount *> due;
  due.reserve(due_.size());
  for (auto &account : due_)
    due.push_back(&account);
  auto claims = rotation_.claim_many(due, auth::Urgency::sweep);
  std::vector<auth::StoredAccount *> claimed;
  std::vector<std::string> refreshed_from;
  std::vector<graph::Call> calls;
  for (std::size_t k = 0; k < due.size(); ++k) {
    auth::StoredAccount &account = *due[k];
    if (!claims[k]) {
      count_error(account.name, claims[k].error());
      continue;
    }
    if (claims[k]->outcome != RotationOutcome::claimed) {
      count(account.name, claims[k].value());
      continue;
    }
    claimed.push_back(&account);
    refreshed_from.push_back(account.record.access_token);
    calls.push_back(
        auth::refresh_call(ctx_.make_call(http::Method::get, "", graph::Operation::token, ""),
                           account.record.access_token));
  }
  if (calls.empty())
    return;
  // Answers are stored in batches of about one round of requests in flight, and whenever
  // no answer has come for a moment (http::bulk_idle_after): few durable commits, and no
  // answer waits for a stalled or retried request.
  const auto concurrency = static_cast<std::size_t>(ctx_.config.refresh_concurrency);
  const std::size_t batch = std::max(concurrency, store_batch);
  std::vector<auth::RefreshAnswer> answers;
  auto on_answer = [&](std::size_t k, graph::GraphResult<json::value> got) {
    auth::RefreshAnswer answer;
    answer.account = claimed[k];
    answer.refreshed_from = refreshed_from[k];
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
    }
    answers.push_back(std::move(answer));
    if (answers.size() >= batch)
      store_answers(answers);
  };
  ctx_.graph.call_all(calls, concurrency, on_answer, [&] { store_answers(answers); });
  store_answers(answers);
}

void Sweep::store_answers(std::vector<auth::RefreshAnswer> &pending) {
  // Taken out first, so nothing is stored twice even if counting below fails.
  std::vector<auth::RefreshAnswer> answers;
  answers.swap(pending);
  if (answers.empty())
    return;
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
  // Records are read a chunk of due ones at a time, just before they are claimed: claims
  // stay young (far inside the lease), requests stay in flight, and memory does not grow
  // with the number of accounts.
  const std::size_t chunk =
      std::max<std::size_t>(64, static_cast<std::size_t>(ctx_.config.refresh_concurrency) * 16);
  bool complete = true;
  for (std::size_t next = 0; complete && next < names.size();) {
    due_.clear();
    while (complete && next < names.size() && due_.size() < chunk) {
      complete = !ctx_.should_stop();
      if (complete)
        select(names[next++]);
    }
    complete = complete && !ctx_.should_stop();
    if (complete)
      refresh_chunk();
  }
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
