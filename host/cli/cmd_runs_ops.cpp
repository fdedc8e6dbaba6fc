// `autohost runs retry RUN_ID` and `autohost runs prune --older-than AGE`: what operators do
// to the run history by hand.
#include "cli/command.hpp"

#include "cli/schedule_view.hpp"
#include "daemon/retention.hpp"
#include "errors.hpp"
#include "scheduler/duration_text.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace autohost::cli {
namespace json = boost::json;
using namespace autohost::scheduler;

int run_runs_retry(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  po::positional_options_description pos;
  pos.add("run", 1);
  int exit = exit_ok;
  auto vm = parse_command_args(
      "runs",
      "runs retry RUN_ID\n\n"
      "Puts a run that needs attention (or failed) back as pending, due now, under the same\n"
      "run id: a post that was partly done resumes from its checkpoint instead of posting twice.",
      args, options, pos, exit);
  if (!vm)
    return exit;
  if (vm->count("run") == 0)
    return usage_error("runs", "runs retry needs a RUN_ID (see: autohost runs)");
  auto store = open_schedule_store(ctx, exit);
  if (!store)
    return exit;
  auto run = store->retry_run((*vm)["run"].as<std::string>(), now_instant());
  if (!run)
    return report_store_error(run.error());
  InputRedactor redact(ctx);
  std::cout << json::serialize(run_json(run.value(), redact)) << std::endl;
  return exit_ok;
}

int run_runs_prune(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("older-than", po::value<std::string>(),
                        "prune what finished more than DURATION ago, e.g. 90d");
  int exit = exit_ok;
  auto vm = parse_command_args(
      "runs",
      "runs prune --older-than DURATION\n\n"
      "Removes runs that finished (succeeded, failed, missed, cancelled) more than DURATION\n"
      "ago, and publish checkpoints of posts that were published more than DURATION ago.\n"
      "Runs pending, running or needing attention and checkpoints of unfinished posts are\n"
      "kept, whatever their age. The config's \"retention\" does this in `autohost run`.",
      args, options, {}, exit);
  if (!vm)
    return exit;
  if (vm->count("older-than") == 0)
    return usage_error("runs", "runs prune needs --older-than DURATION, e.g. 90d");
  const auto text = (*vm)["older-than"].as<std::string>();
  auto age = parse_duration(text, "--older-than");
  if (!age)
    return usage_error("runs", host::error_message(age.error()));
  auto secrets = ctx.store();
  if (!secrets)
    return report_error(secrets.error(), exit_store);
  auto store = open_schedule_store(ctx, exit);
  if (!store)
    return exit;
  auto pruned = daemon::prune_history(*store, *secrets.value(), age.value(), now_instant());
  if (!pruned)
    return report_store_error(pruned.error());
  std::cout << json::serialize(json::object{{"older_than", text},
                                            {"runs_pruned", pruned.value().runs},
                                            {"checkpoints_pruned", pruned.value().checkpoints}})
            << std::endl;
  return exit_ok;
}

} // namespace autohost::cli
