// `autohost runs [RUN_ID] [--schedule ID] [--status S]`: run history with outputs and errors.
#include "cli/command.hpp"
#include "cli/did_you_mean.hpp"
#include "cli/number_flags.hpp"

#include "cli/schedule_view.hpp"
#include "errors.hpp"
#include "scheduler/run_link.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace autohost::cli {
namespace json = boost::json;
using namespace autohost::scheduler;

namespace {

constexpr std::string_view runs_synopsis =
    "runs [RUN_ID] [--schedule ID] [--status STATUS] [--limit N] [--json]\n"
    "       runs retry RUN_ID | runs prune --older-than DURATION\n\n"
    "Lists runs newest first (one run in full when RUN_ID is given). STATUS is pending,\n"
    "running, succeeded, failed, needs_attention, missed or cancelled. `runs retry` runs\n"
    "again a run that needs attention; `runs prune` removes old finished history\n"
    "(`autohost runs retry --help`, `autohost runs prune --help`).";

// The error's message, else the link to what the run made (a post's permalink). The table
// cuts it to the terminal's width.
std::string detail_of(const Run &r) {
  if (r.error_json.empty())
    return permalink_of(r.output_json);
  boost::system::error_code ec;
  const json::value v = json::parse(r.error_json, ec);
  if (!ec && v.is_object()) {
    if (const json::value *m = v.as_object().if_contains("message");
        m != nullptr && m->is_string()) {
      return std::string(m->as_string());
    }
  }
  return r.error_json;
}

} // namespace

int run_runs_retry(Context &ctx, const std::vector<std::string> &args);
int run_runs_prune(Context &ctx, const std::vector<std::string> &args);

int run_runs(Context &ctx, const std::vector<std::string> &args) {
  if (!args.empty() && (args.front() == "retry" || args.front() == "prune")) {
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    return args.front() == "retry" ? run_runs_retry(ctx, rest) : run_runs_prune(ctx, rest);
  }
  po::options_description options("options");
  options.add_options()("schedule", po::value<std::string>(), "only the runs of this schedule")(
      "status", po::value<std::string>(), "only runs with this status")(
      "limit", po::value<std::string>()->default_value("50"),
      "at most N runs")("json", "print a JSON array with inputs, outputs and errors");
  po::positional_options_description pos;
  pos.add("run", 1);
  int exit = exit_ok;
  auto vm = parse_command_args("runs", runs_synopsis, args, options, pos, exit);
  if (!vm)
    return exit;
  RunFilter filter;
  if (vm->count("schedule") != 0)
    filter.schedule_id = (*vm)["schedule"].as<std::string>();
  if (vm->count("status") != 0) {
    const auto name = (*vm)["status"].as<std::string>();
    filter.status = run_status_named(name);
    if (!filter.status) {
      return usage_error("runs", "--status must be pending, running, succeeded, failed, "
                                 "needs_attention, missed or cancelled, not '" +
                                     name + "'");
    }
  }
  auto limit = parse_count((*vm)["limit"].as<std::string>(), "--limit", 1, 1000000);
  if (!limit)
    return usage_error("runs", host::error_message(limit.error()));
  filter.limit = static_cast<int>(limit.value());

  auto store = open_schedule_store(ctx, exit);
  if (!store)
    return exit;
  InputRedactor redact(ctx);
  if (vm->count("run") != 0) {
    const auto id = (*vm)["run"].as<std::string>();
    auto run = store->find_run(id);
    if (!run)
      return report_store_error(run.error());
    if (!run.value()) {
      return report_error(host::make_error(AH_NOT_FOUND, "not_found",
                                           "run '" + id + "' does not exist (see: autohost runs)" +
                                               did_you_mean(id, {"retry", "prune"})));
    }
    std::cout << json::serialize(run_json(*run.value(), redact)) << std::endl;
    return exit_ok;
  }
  auto runs = store->runs(filter);
  if (!runs)
    return report_store_error(runs.error());
  if (vm->count("json") != 0) {
    json::array out;
    for (const auto &r : runs.value())
      out.push_back(run_json(r, redact));
    std::cout << json::serialize(out) << std::endl;
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows = {
      {"RUN", "STATUS", "DUE", "ATTEMPTS", "FINISHED", "DETAIL"}};
  for (const auto &r : runs.value()) {
    rows.push_back({r.id, std::string(name_of(r.status)), format_utc(r.due),
                    std::to_string(r.attempts), r.finished ? format_utc(*r.finished) : "-",
                    detail_of(r)});
  }
  print_table(rows, {5});
  return exit_ok;
}

} // namespace autohost::cli
