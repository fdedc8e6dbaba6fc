// `autohost schedule edit ID`: changes when a schedule fires, its input or its account in
// place, so its id and run history stay.
#include "cli/command.hpp"

#include "cli/input.hpp"
#include "cli/schedule_view.hpp"
#include "errors.hpp"
#include "scheduler/ids.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace autohost::cli {
namespace json = boost::json;
using namespace autohost::scheduler;

namespace {

constexpr std::string_view edit_synopsis =
    "schedule edit ID [--at TIME | --every DURATION [--start TIME] | --cron EXPR] [--tz ZONE]\n"
    "       [--account NAME] [--input JSON | --input-file FILE]\n\n"
    "Changes the schedule in place: its id and run history stay. A new --at, --every or\n"
    "--cron (in --tz, default TZ) sets the next fire time anew from now. A new input or\n"
    "account also goes to its pending runs that have not started; runs already started keep\n"
    "theirs. TIME, DURATION and EXPR are as for `schedule add`.";

// The edit from the flags; the input is checked against the schedule's action.
std::optional<ScheduleEdit> edit_from(Context &ctx, const po::variables_map &vm,
                                      const Schedule &was, int &exit) {
  ScheduleEdit edit;
  const bool when = vm.count("at") + vm.count("every") + vm.count("cron") != 0;
  if (!when && (vm.count("tz") != 0 || vm.count("start") != 0)) {
    exit = usage_error("schedule", "--tz and --start go with a new --at, --every or --cron");
    return std::nullopt;
  }
  if (when) {
    auto spec = spec_from_flags(vm, now_instant());
    if (!spec) {
      exit = usage_error("schedule", host::error_message(spec.error()));
      return std::nullopt;
    }
    edit.spec = std::move(spec).value();
  }
  if (vm.count("account") != 0) {
    edit.account = vm["account"].as<std::string>();
    if (auto ok = validate_account(*edit.account, "--account"); !ok) {
      exit = usage_error("schedule", host::error_message(ok.error()));
      return std::nullopt;
    }
  }
  if (vm.count("input") != 0 || vm.count("input-file") != 0) {
    if (was.kind == TargetKind::job) {
      exit = usage_error("schedule",
                         was.plugin + "." + was.target + " is a job; jobs take no --input");
      return std::nullopt;
    }
    auto input = read_input_json(vm, "schedule");
    if (!input) {
      exit = usage_error("schedule", host::error_message(input.error()));
      return std::nullopt;
    }
    auto stored = ScheduleSpec::from_stored(was.spec, was.time_zone);
    if (!stored) {
      exit = report_store_error(stored.error());
      return std::nullopt;
    }
    ScheduleDraft d(std::move(stored).value());
    d.plugin = was.plugin;
    d.kind = was.kind;
    d.target = was.target;
    d.input_json = json::serialize(json::parse(input.value()));
    SecretInputs secrets(ctx);
    if (!refuse_secret_inputs(secrets, d, "", exit))
      return std::nullopt;
    edit.input_json = std::move(d.input_json);
  }
  if (!edit.spec && !edit.account && !edit.input_json) {
    exit = usage_error("schedule", "schedule edit needs something to change: --at, --every, "
                                   "--cron, --account, --input or --input-file");
    return std::nullopt;
  }
  return edit;
}

} // namespace

int run_schedule_edit(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  add_when_options(options);
  options.add_options()("account", po::value<std::string>(), "the plugin account to act as")(
      "input", po::value<std::string>(), "the action's new input (a JSON object)")(
      "input-file", po::value<std::string>(), "read the new input from FILE ('-': stdin)");
  po::positional_options_description pos;
  pos.add("id", 1);
  int exit = exit_ok;
  auto vm = parse_command_args("schedule", edit_synopsis, args, options, pos, exit);
  if (!vm)
    return exit;
  if (vm->count("id") == 0)
    return usage_error("schedule", "schedule edit needs an ID");
  const auto id = (*vm)["id"].as<std::string>();
  auto store = open_schedule_store(ctx, exit);
  if (!store)
    return exit;
  auto found = store->find(id);
  if (!found)
    return report_store_error(found.error());
  if (!found.value()) {
    return report_error(
        host::make_error(AH_NOT_FOUND, "not_found",
                         "schedule '" + id + "' does not exist (see: autohost schedule list)"));
  }
  const auto edit = edit_from(ctx, *vm, *found.value(), exit);
  if (!edit)
    return exit;
  auto changed = store->edit(id, *edit, now_instant());
  if (!changed)
    return report_store_error(changed.error());
  InputRedactor redact(ctx);
  std::cout << json::serialize(schedule_json(changed.value(), redact)) << std::endl;
  return exit_ok;
}

} // namespace autohost::cli
