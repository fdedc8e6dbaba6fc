// `autohost status [--json] [--horizon DURATION]`: accounts and their tokens, upcoming runs,
// runs at risk and runs that need attention, as tables or as one JSON object.
#include "cli/command.hpp"
#include "cli/number_flags.hpp"

#include "cli/schedule_view.hpp"
#include "cli/status_report.hpp"
#include "errors.hpp"
#include "scheduler/duration_text.hpp"

#include <boost/json.hpp>

#include <iostream>
#include <map>

namespace autohost::cli {
namespace json = boost::json;
using namespace autohost::scheduler;

namespace {

constexpr std::string_view status_synopsis =
    "status [--json] [--horizon DURATION] [--recent DURATION] [--timeout SECONDS]\n\n"
    "Shows each account with its token's expiry and status, the runs to come within the\n"
    "horizon (default 7d), the runs at risk - due while the account's token will have expired\n"
    "or needs re-authorisation, or beyond the publishing quota left for the next 24 h - and\n"
    "the runs that ended failed, missed or needing attention within --recent (default 7d).\n"
    "Plugins are asked through the actions their manifest declares as capabilities (accounts,\n"
    "quota); what could not be checked (e.g. no network) is listed under PROBLEMS. Exit 0\n"
    "whenever the report could be made. Tables fit the terminal; a recurring schedule's fire\n"
    "times are one row saying how many more fall within the horizon (--json lists each).";

constexpr size_t upcoming_rows_shown = 25;

std::string str(const json::value *v, std::string_view none = "-") {
  if (v == nullptr || v->is_null())
    return std::string(none);
  if (v->is_string())
    return std::string(v->as_string());
  return json::serialize(*v);
}

std::string field(const json::object &o, std::string_view key, std::string_view none = "-") {
  return str(o.if_contains(key), none);
}

// What a run does: the post's text, else its input (cut to the terminal's width).
std::string what(const json::object &item) {
  if (item.at("kind").as_string() == "job")
    return "(job)";
  const json::value &input = item.at("input");
  if (input.is_object()) {
    if (const json::value *t = input.as_object().if_contains("text"); t && t->is_string()) {
      return std::string(t->as_string());
    }
    if (input.as_object().empty())
      return "";
  }
  return json::serialize(input);
}

std::string when(const json::object &item) {
  return item.at("at_local").is_string() ? field(item, "at_local") : field(item, "at");
}

std::string risk_names(const json::object &item) {
  std::string out;
  for (const auto &r : item.at("risks").as_array()) {
    out += (out.empty() ? "" : ",") + field(r.as_object(), "risk");
  }
  return out.empty() ? "-" : out;
}

std::string quota_text(const json::object &account) {
  const json::value *q = account.if_contains("quota");
  if (q == nullptr || !q->is_object())
    return "-";
  const json::object &o = q->as_object();
  if (!o.at("checked").as_bool())
    return "not checked";
  std::string out;
  for (const char *kind : {"posts", "replies"}) {
    const std::string k(kind);
    // Replies only when some are due: most calendars have none.
    if (!o.contains(k + "_used") || (k == "replies" && field(o, "replies_due_24h") == "0")) {
      continue;
    }
    out += (out.empty() ? "" : "; ") + k + " " + field(o, k + "_used") + "/" +
           field(o, k + "_limit") + " used, " + field(o, k + "_due_24h") + " due";
  }
  return out;
}

void print_accounts(const json::object &report) {
  const auto &accounts = report.at("accounts").as_array();
  if (accounts.empty()) {
    std::cout << "\nACCOUNTS: none\n";
  } else {
    std::cout << "\nACCOUNTS\n";
    std::vector<std::vector<std::string>> rows = {
        {"PLUGIN", "ACCOUNT", "STATUS", "EXPIRES", "NEXT", "UPCOMING", "AT RISK", "QUOTA (24 H)"}};
    for (const auto &a : accounts) {
      const auto &o = a.as_object();
      rows.push_back({field(o, "plugin"), field(o, "account"), field(o, "status"),
                      field(o, "expires_at"), field(o, "next"), field(o, "upcoming"),
                      field(o, "at_risk"), quota_text(o)});
    }
    print_table(rows, {7});
    for (const auto &a : accounts) {
      const auto &o = a.as_object();
      if (o.contains("fix"))
        std::cout << "  " << field(o, "account") << ": " << field(o, "fix") << "\n";
    }
  }
}

// "cron 0 9 * * * Europe/Paris, 30 more in the window": how a recurring schedule repeats
// (its zone matters to cron only) and its fire times after the one shown.
std::string repeats_text(const json::object &entry) {
  std::string out = field(entry, "repeats");
  if (out.starts_with("cron "))
    out += " " + field(entry, "time_zone");
  const auto more = entry.at("count").as_int64() - 1;
  if (more > 0)
    out += ", " + std::to_string(more) + " more in the window";
  return out;
}

std::string risk_text(const json::object &entry) {
  std::string out;
  for (const auto &r : entry.at("risks").as_array())
    out += (out.empty() ? "" : ",") + str(&r);
  if (out.empty())
    return "-";
  return out + " (" + field(entry, "at_risk") + " of " + field(entry, "count") + ")";
}

// One row per run and per one-shot fire time; a recurring schedule's fire times are one row,
// at the first of them (--json lists each under "upcoming").
std::vector<std::vector<std::string>> upcoming_rows(const json::object &report) {
  std::map<std::string, const json::object *> recurring;
  for (const auto &entry : report.at("recurring").as_array())
    recurring[field(entry.as_object(), "schedule")] = &entry.as_object();
  std::vector<std::vector<std::string>> rows;
  for (const auto &item : report.at("upcoming").as_array()) {
    const auto &o = item.as_object();
    const json::object *repeats = nullptr;
    if (!o.at("run").is_string()) {
      auto found = recurring.find(field(o, "schedule"));
      if (found != recurring.end()) {
        if (found->second == nullptr)
          continue; // a later fire time of a schedule already shown
        repeats = found->second;
        found->second = nullptr;
      }
    }
    const std::string state = field(o, "state") + (o.at("paused").as_bool() ? " (paused)" : "");
    rows.push_back({when(o), state, field(o, "target"), field(o, "account", "(default)"),
                    o.at("run").is_string() ? field(o, "run") : field(o, "schedule"),
                    repeats != nullptr ? repeats_text(*repeats) : "-", what(o),
                    repeats != nullptr ? risk_text(*repeats) : risk_names(o)});
  }
  return rows;
}

void print_upcoming(const json::object &report) {
  const auto &upcoming = report.at("upcoming").as_array();
  if (upcoming.empty()) {
    std::cout << "\nUPCOMING: nothing within " << field(report, "horizon") << "\n";
    return;
  }
  std::cout << "\nUPCOMING (" << upcoming.size()
            << (report.at("upcoming_truncated").as_bool() ? "+" : "") << ")\n";
  const auto found = upcoming_rows(report);
  std::vector<std::vector<std::string>> rows = {
      {"AT", "STATE", "TARGET", "ACCOUNT", "RUN OR SCHEDULE", "REPEATS", "WHAT", "RISK"}};
  for (size_t i = 0; i < found.size() && i < upcoming_rows_shown; ++i)
    rows.push_back(found[i]);
  print_table(rows, {5, 6});
  if (found.size() > upcoming_rows_shown) {
    std::cout << "  ... and " << found.size() - upcoming_rows_shown
              << " more rows (--json lists them all)\n";
  }
}

void print_at_risk(const json::object &report) {
  const auto &at_risk = report.at("at_risk").as_array();
  if (at_risk.empty()) {
    std::cout << "\nAT RISK: none\n";
  } else {
    std::cout << "\nAT RISK (" << at_risk.size() << ")\n";
    // A recurring schedule's occurrences with the same risk are one row: the first of them,
    // and how many there are (--json lists each).
    std::vector<std::vector<std::string>> rows = {
        {"AT", "TARGET", "ACCOUNT", "RUN OR SCHEDULE", "RISK", "COUNT", "WHY"}};
    std::map<std::pair<std::string, std::string>, size_t> row_of;
    for (const auto &item : at_risk) {
      const auto &o = item.as_object();
      const std::string source = o.at("run").is_string() ? field(o, "run") : field(o, "schedule");
      for (const auto &r : o.at("risks").as_array()) {
        const std::string risk = field(r.as_object(), "risk");
        auto [at, fresh] = row_of.emplace(std::pair{source, risk}, rows.size());
        if (!fresh) {
          auto &count = rows[at->second][5];
          count = std::to_string(std::stoi(count) + 1);
          continue;
        }
        rows.push_back({when(o), field(o, "target"), field(o, "account", "(default)"), source, risk,
                        "1", field(r.as_object(), "message")});
      }
    }
    print_table(rows, {6});
  }
}

void print_attention(const json::object &report) {
  const auto &attention = report.at("attention").as_array();
  if (attention.empty()) {
    std::cout << "\nNEEDS ATTENTION: none\n";
  } else {
    std::cout << "\nNEEDS ATTENTION (" << attention.size() << ")\n";
    std::vector<std::vector<std::string>> rows = {
        {"RUN", "STATUS", "FINISHED", "ACCOUNT", "CODE", "MESSAGE"}};
    for (const auto &run : attention) {
      const auto &o = run.as_object();
      rows.push_back({field(o, "run"), field(o, "status"), field(o, "finished"),
                      field(o, "account", "(default)"), field(o, "code"), field(o, "message")});
    }
    print_table(rows, {5});
  }
}

void print_text(const json::object &report) {
  std::cout << "now " << field(report, "now") << ", looking ahead " << field(report, "horizon")
            << " (until " << field(report, "until") << ")\n";
  print_accounts(report);
  print_upcoming(report);
  print_at_risk(report);
  print_attention(report);
  const auto &problems = report.at("problems").as_array();
  if (!problems.empty()) {
    std::cout << "\nPROBLEMS (what could not be checked)\n";
    for (const auto &p : problems)
      std::cout << "  " << str(&p) << "\n";
  }
  std::cout << std::flush;
}

} // namespace

int run_status(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("json", "print one JSON object (see the README for its shape)")(
      "horizon", po::value<std::string>()->default_value("7d"),
      "list runs due up to this far ahead")("recent", po::value<std::string>()->default_value("7d"),
                                            "list runs that ended this far back needing attention")(
      "timeout", po::value<std::string>()->default_value("20"),
      "bound on each plugin call, in seconds");
  int exit = exit_ok;
  const po::positional_options_description no_positionals;
  auto vm = parse_command_args("status", status_synopsis, args, options, no_positionals, exit);
  if (!vm)
    return exit;

  StatusOptions opts;
  using Flag = std::pair<const char *, std::chrono::seconds *>;
  for (auto [flag, target] : {Flag{"horizon", &opts.horizon}, Flag{"recent", &opts.recent}}) {
    auto d = parse_duration((*vm)[flag].as<std::string>(), std::string("--") + flag);
    if (!d)
      return usage_error("status", host::error_message(d.error()));
    *target = d.value();
  }
  auto timeout = parse_seconds((*vm)["timeout"].as<std::string>(), "--timeout", max_timeout_s);
  if (!timeout)
    return usage_error("status", host::error_message(timeout.error()));
  opts.call_timeout_s = timeout.value();

  // The host clock: the one plugins judge token expiry by (shifted in tests).
  auto clock = host::host_clock_from_env();
  if (!clock)
    return usage_error("status", host::error_message(clock.error()));
  opts.now =
      Instant(std::chrono::floor<std::chrono::seconds>(std::chrono::milliseconds(clock.value()())));

  auto store = open_schedule_store(ctx, exit);
  if (!store)
    return exit;
  auto report = collect_status(ctx, *store, opts, clock.value());
  if (!report)
    return report_store_error(report.error());
  if (vm->count("json") != 0) {
    std::cout << json::serialize(report.value()) << std::endl;
  } else {
    print_text(report.value());
  }
  return exit_ok;
}

} // namespace autohost::cli
