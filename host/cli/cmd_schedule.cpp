// `autohost schedule add|list|show|edit|rm|pause|resume|import`: scheduled actions and jobs.
#include "cli/command.hpp"
#include "cli/did_you_mean.hpp"

#include "cli/schedule_view.hpp"
#include "errors.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace autohost::cli {
namespace json = boost::json;
using namespace autohost::scheduler;

int run_schedule_add(Context &ctx, const std::vector<std::string> &args);
int run_schedule_import(Context &ctx, const std::vector<std::string> &args);
int run_schedule_edit(Context &ctx, const std::vector<std::string> &args);

namespace {

constexpr std::string_view schedule_overview =
    "usage: autohost schedule SUBCOMMAND ...\n\n"
    "subcommands:\n"
    "  add PLUGIN.ACTION|PLUGIN.JOB (--at TIME | --every DURATION | --cron EXPR) [--tz ZONE] ...\n"
    "                    schedule an action (with account and input) or a job\n"
    "  list [--json]     every schedule with its next fire time\n"
    "  show ID           one schedule as JSON, its next fire times and recent runs\n"
    "  edit ID [--at|--every|--cron ...] [--account NAME] [--input JSON]\n"
    "                    change it in place; its id and run history stay\n"
    "  rm ID             remove it; its pending runs are cancelled\n"
    "  pause ID          stop making and starting its runs\n"
    "  resume ID         start again from its next occurrence\n"
    "  import FILE       add or update the entries of a posting calendar (idempotent)\n\n"
    "`autohost schedule SUBCOMMAND --help` describes a subcommand.\n";

std::string state_of(const Schedule &s) {
  if (!s.problem.empty())
    return "problem";
  if (s.paused)
    return "paused";
  return s.next_fire ? "active" : "done";
}

int list(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("json", "print a JSON array");
  int exit = exit_ok;
  auto vm = parse_command_args("schedule", "schedule list [--json]", args, options, {}, exit);
  if (!vm)
    return exit;
  auto store = open_schedule_store(ctx, exit);
  if (!store)
    return exit;
  auto all = store->list();
  if (!all)
    return report_store_error(all.error());
  InputRedactor redact(ctx);
  if (vm->count("json") != 0) {
    json::array out;
    for (const auto &s : all.value())
      out.push_back(schedule_json(s, redact));
    return print_json(out);
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NEXT FIRE", "STATE", "SPEC", "ZONE", "TARGET", "ACCOUNT"}};
  for (const auto &s : all.value()) {
    const json::object o = schedule_json(s, redact);
    rows.push_back(
        {s.id, o.at("next_fire").is_string() ? std::string(o.at("next_fire").as_string()) : "-",
         state_of(s), s.spec, s.time_zone, s.plugin + "." + s.target,
         s.account.empty() ? "-" : s.account});
  }
  print_table(rows, {3});
  return exit_ok;
}

// show, rm, pause and resume: one schedule id.
int one(Context &ctx, const std::string &sub, const std::vector<std::string> &args) {
  po::options_description options("options");
  po::positional_options_description pos;
  pos.add("id", 1);
  int exit = exit_ok;
  auto vm = parse_command_args("schedule", "schedule " + sub + " ID", args, options, pos, exit);
  if (!vm)
    return exit;
  if (vm->count("id") == 0)
    return usage_error("schedule", "schedule " + sub + " needs an ID");
  const auto id = (*vm)["id"].as<std::string>();
  auto store = open_schedule_store(ctx, exit);
  if (!store)
    return exit;
  const Instant now = now_instant();
  InputRedactor redact(ctx);
  if (sub == "show") {
    auto found = store->find(id);
    if (!found)
      return report_store_error(found.error());
    if (!found.value()) {
      return report_error(host::make_error(AH_NOT_FOUND, "not_found",
                                           "schedule '" + id +
                                               "' does not exist (see: autohost "
                                               "schedule list)"));
    }
    json::object o = schedule_json(*found.value(), redact);
    json::array upcoming;
    for (const auto &t : upcoming_fires(*found.value(), now, 5))
      upcoming.emplace_back(t);
    o["upcoming"] = std::move(upcoming);
    auto recent = store->runs(RunFilter{id, std::nullopt, 10});
    if (!recent)
      return report_store_error(recent.error());
    json::array runs;
    for (const auto &r : recent.value())
      runs.push_back(run_json(r, redact));
    o["recent_runs"] = std::move(runs);
    return print_json(o);
  }
  if (sub == "rm") {
    auto removed = store->remove(id, now);
    if (!removed)
      return report_store_error(removed.error());
    return print_json(json::object{
        {"id", id}, {"removed", true}, {"cancelled_runs", removed.value().cancelled_runs}});
  }
  auto changed = store->set_paused(id, sub == "pause", now);
  if (!changed)
    return report_store_error(changed.error());
  return print_json(schedule_json(changed.value(), redact));
}

} // namespace

int run_schedule(Context &ctx, const std::vector<std::string> &args) {
  if (args.empty()) {
    return usage_error("schedule", "missing add, list, show, edit, rm, pause, resume or import");
  }
  if (args.front() == "--help" || args.front() == "-h") {
    std::cout << schedule_overview << std::flush;
    return exit_ok;
  }
  const std::string sub = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "add")
    return run_schedule_add(ctx, rest);
  if (sub == "import")
    return run_schedule_import(ctx, rest);
  if (sub == "list")
    return list(ctx, rest);
  if (sub == "edit")
    return run_schedule_edit(ctx, rest);
  if (sub == "show" || sub == "rm" || sub == "pause" || sub == "resume")
    return one(ctx, sub, rest);
  return usage_error(
      "schedule",
      "unknown subcommand '" + sub + "' (add, list, show, edit, rm, pause, resume " + "or import)" +
          did_you_mean(sub, {"add", "list", "show", "edit", "rm", "pause", "resume", "import"}));
}

} // namespace autohost::cli
