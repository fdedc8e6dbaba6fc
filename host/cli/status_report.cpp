// The `autohost status` report as JSON: accounts, upcoming runs, runs at risk, runs that
// need attention and what could not be checked.
#include "cli/status_report.hpp"

#include "cli/schedule_view.hpp"
#include "scheduler/duration_text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>

namespace autohost::cli {
namespace json = boost::json;
using namespace autohost::scheduler;

namespace {

json::object item_json(const UpcomingItem &item) {
  json::object o;
  o["at"] = format_utc(item.at);
  const date::time_zone *zone = nullptr;
  if (!item.zone.empty()) {
    if (auto found = find_zone(item.zone, "time zone"))
      zone = found.value();
  }
  o["at_local"] =
      zone != nullptr ? json::value(format_in_zone(item.at, *zone)) : json::value(nullptr);
  o["state"] = item.state;
  o["run"] = item.run_id.empty() ? json::value(nullptr) : json::value(item.run_id);
  o["schedule"] = item.schedule_id;
  o["target"] = item.plugin + "." + item.target;
  o["kind"] = name_of(item.kind);
  const std::string &account = item.resolved_account.empty() ? item.account : item.resolved_account;
  o["account"] = account.empty() ? json::value(nullptr) : json::value(account);
  o["input"] = stored_json(item.input_json);
  o["paused"] = item.paused;
  o["at_risk"] = !item.risks.empty();
  o["risks"] = item.risks;
  return o;
}

// Runs that ended needing a person: needs_attention, failed or missed, newest first.
Result<json::array> attention_runs(ScheduleStore &store, const StatusOptions &options) {
  const Instant since = options.now - options.recent;
  std::vector<Run> found;
  for (RunStatus status : {RunStatus::needs_attention, RunStatus::failed, RunStatus::missed}) {
    RunFilter filter;
    filter.status = status;
    filter.limit = 1000;
    AH_TRY_DECLARE(runs, store.runs(filter));
    for (auto &r : runs) {
      if (r.finished.value_or(r.updated) >= since)
        found.push_back(std::move(r));
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const Run &a, const Run &b) {
    return a.finished.value_or(a.updated) > b.finished.value_or(b.updated);
  });
  json::array out;
  for (const auto &r : found) {
    const json::value error = stored_json(r.error_json);
    auto field = [&](const char *key) {
      const json::value *v = error.is_object() ? error.as_object().if_contains(key) : nullptr;
      return v != nullptr && v->is_string() ? json::value(v->as_string()) : json::value(nullptr);
    };
    out.push_back(json::object{
        {"run", r.id},
        {"schedule", r.schedule_id},
        {"target", r.plugin + "." + r.target},
        {"account", r.account.empty() ? json::value(nullptr) : json::value(r.account)},
        {"status", name_of(r.status)},
        {"due", format_utc(r.due)},
        {"finished", r.finished ? json::value(format_utc(*r.finished)) : json::value(nullptr)},
        {"attempts", r.attempts},
        {"code", field("code")},
        {"message", error.is_string() ? error : field("message")},
        {"error", error}});
  }
  return out;
}

// A recurring schedule's spec without what only its first fire needs: "every 1d" (not
// "... from 2026-12-04T08:00:00Z"), "cron 0 9 * * *"; "" for a one-shot ("at ...").
std::string repeats_of(const std::string &spec) {
  if (spec.starts_with("at "))
    return "";
  return spec.substr(0, spec.find(" from "));
}

// Folds a schedule's fire time (not a run yet) into its entry of `recurring`, the one row
// `status` shows for all of a recurring schedule's fire times within the horizon.
void fold_recurring(json::array &recurring, std::map<std::string, std::size_t> &entry_of,
                    const std::map<std::string, const Schedule *> &schedules,
                    const json::object &item) {
  const std::string schedule(item.at("schedule").as_string());
  auto found = schedules.find(schedule);
  const std::string repeats = found == schedules.end() ? "" : repeats_of(found->second->spec);
  if (!item.at("run").is_null() || repeats.empty())
    return;
  auto [at, fresh] = entry_of.emplace(schedule, recurring.size());
  if (fresh) {
    recurring.push_back(json::object{{"schedule", schedule},
                                     {"target", item.at("target")},
                                     {"account", item.at("account")},
                                     {"repeats", repeats},
                                     {"time_zone", found->second->time_zone},
                                     {"next", item.at("at")},
                                     {"next_local", item.at("at_local")},
                                     {"last", item.at("at")},
                                     {"count", 0},
                                     {"at_risk", 0},
                                     {"risks", json::array()}});
  }
  json::object &entry = recurring[at->second].as_object();
  entry["last"] = item.at("at");
  entry["count"] = entry.at("count").as_int64() + 1;
  if (item.at("risks").as_array().empty())
    return;
  entry["at_risk"] = entry.at("at_risk").as_int64() + 1;
  json::array &names = entry["risks"].as_array();
  for (const auto &r : item.at("risks").as_array()) {
    const json::value &name = r.as_object().at("risk");
    if (std::find(names.begin(), names.end(), name) == names.end())
      names.push_back(name);
  }
}

} // namespace

Result<json::object> collect_status(Context &ctx, ScheduleStore &store,
                                    const StatusOptions &options, host::Clock clock) {
  bool truncated = false;
  AH_TRY_DECLARE(items, upcoming_items(store, options, truncated));
  AH_TRY_DECLARE(attention, attention_runs(store, options));
  AH_TRY_DECLARE(schedules, store.list());

  json::array problems;
  for (const auto &s : schedules) {
    if (!s.problem.empty())
      problems.emplace_back("schedule " + s.id + " stopped: " + s.problem);
  }
  json::array accounts = assess_risks(ctx, items, options, clock, problems);

  std::map<std::string, const Schedule *> by_id;
  for (const auto &s : schedules)
    by_id[s.id] = &s;
  InputRedactor redact(ctx);
  json::array upcoming, at_risk, recurring;
  std::map<std::string, std::size_t> recurring_entry;
  for (auto &item : items) {
    item.input_json = redact(item.plugin, item.kind, item.target, item.input_json);
    json::object o = item_json(item);
    if (!item.risks.empty())
      at_risk.push_back(o);
    fold_recurring(recurring, recurring_entry, by_id, o);
    upcoming.push_back(std::move(o));
  }
  return json::object{{"now", format_utc(options.now)},
                      {"horizon", format_duration(options.horizon)},
                      {"until", format_utc(options.now + options.horizon)},
                      {"accounts", std::move(accounts)},
                      {"upcoming", std::move(upcoming)},
                      {"upcoming_truncated", truncated},
                      {"recurring", std::move(recurring)},
                      {"at_risk", std::move(at_risk)},
                      {"attention", std::move(attention)},
                      {"problems", std::move(problems)}};
}

} // namespace autohost::cli
