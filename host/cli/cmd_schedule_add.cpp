// `autohost schedule add`: schedules PLUGIN.ACTION (with account and input) or PLUGIN.JOB.
#include "cli/command.hpp"

#include "cli/input.hpp"
#include "cli/schedule_view.hpp"
#include "errors.hpp"
#include "scheduler/duration_text.hpp"
#include "scheduler/ids.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace autohost::cli {
namespace json = boost::json;
using namespace autohost::scheduler;

namespace {

constexpr std::string_view add_synopsis =
    "schedule add PLUGIN.ACTION|PLUGIN.JOB (--at TIME | --every DURATION [--start TIME] |\n"
    "       --cron EXPR) [--tz ZONE] [--account NAME] [--input JSON | --input-file FILE]\n"
    "       [--id ID] [--name NAME] [--missed catch_up_once|skip] [--overlap skip|queue|allow]\n"
    "       [--max-lateness DURATION] [--jitter DURATION] [--paused]\n\n"
    "TIME is RFC 3339 (2026-05-04T09:00:00+02:00, ...Z) or a local time (2026-05-04T09:00)\n"
    "in --tz. DURATION is like 90s, 15m, 6h, 1d, 1h30m. EXPR has 5 fields (minute hour\n"
    "day-of-month month day-of-week) or is @hourly, @daily, @weekly, @monthly or @yearly.\n"
    "--tz defaults to TZ, else the system zone, else UTC; the resolved name is stored.";

std::string opt(const po::variables_map &vm, const char *name) {
  return vm.count(name) != 0 ? vm[name].as<std::string>() : std::string();
}

Error usage(std::string message) { return host::make_error(AH_INVALID_INPUT, "usage", message); }

// The draft's when, target-independent parts and policies from the flags.
Result<ScheduleDraft> draft_from(const po::variables_map &vm, Instant now) {
  const int whens = static_cast<int>(vm.count("at") + vm.count("every") + vm.count("cron"));
  if (whens != 1)
    return usage("give exactly one of --at, --every or --cron");
  AH_TRY_DECLARE(spec, spec_from_flags(vm, now));
  ScheduleDraft d(std::move(spec));
  if (vm.count("id") != 0) {
    d.id = opt(vm, "id");
    AH_TRY(validate_schedule_id(d.id, "--id"));
  }
  if (vm.count("name") != 0) {
    d.name = opt(vm, "name");
    AH_TRY(validate_schedule_name(d.name, "--name"));
  }
  if (vm.count("account") != 0) {
    d.account = opt(vm, "account");
    AH_TRY(validate_account(d.account, "--account"));
  }
  if (vm.count("missed") != 0) {
    auto p = missed_policy_named(opt(vm, "missed"));
    if (!p)
      return usage("--missed must be catch_up_once or skip, not '" + opt(vm, "missed") + "'");
    d.missed = *p;
  }
  if (vm.count("overlap") != 0) {
    auto p = overlap_policy_named(opt(vm, "overlap"));
    if (!p) {
      return usage("--overlap must be skip, queue or allow, not '" + opt(vm, "overlap") + "'");
    }
    d.overlap = *p;
  }
  if (vm.count("max-lateness") != 0) {
    AH_TRY_DECLARE(v, parse_duration(opt(vm, "max-lateness"), "--max-lateness"));
    d.max_lateness = v;
  }
  if (vm.count("jitter") != 0) {
    AH_TRY_DECLARE(v, parse_duration(opt(vm, "jitter"), "--jitter"));
    d.jitter = v;
  }
  d.paused = vm.count("paused") != 0;
  if (!d.spec.recurring()) {
    const Instant when = *d.spec.first_fire(now);
    if (now - when > d.max_lateness) {
      return usage("--at " + opt(vm, "at") + " (" + format_utc(when) +
                   ") is further in the past than the max lateness (" +
                   format_duration(d.max_lateness) + "); it would only be recorded as missed");
    }
  }
  return d;
}

} // namespace

Result<ScheduleSpec> spec_from_flags(const po::variables_map &vm, Instant now) {
  if (vm.count("at") + vm.count("every") + vm.count("cron") > 1)
    return usage("give only one of --at, --every or --cron");
  if (vm.count("start") != 0 && vm.count("every") == 0)
    return usage("--start only goes with --every");
  const std::string zone = vm.count("tz") != 0 ? opt(vm, "tz") : default_zone_name();
  AH_TRY(find_zone(zone, "--tz"));
  if (vm.count("at") != 0)
    return ScheduleSpec::at(opt(vm, "at"), zone, "--at");
  if (vm.count("every") != 0) {
    return ScheduleSpec::every(opt(vm, "every"),
                               vm.count("start") != 0
                                   ? std::optional<std::string_view>(vm["start"].as<std::string>())
                                   : std::nullopt,
                               zone, now, "--every");
  }
  return ScheduleSpec::cron(opt(vm, "cron"), zone, "--cron");
}

void add_when_options(po::options_description &options) {
  options.add_options()("at", po::value<std::string>(), "run once at TIME")(
      "every", po::value<std::string>(), "run every DURATION of elapsed time")(
      "start", po::value<std::string>(),
      "--every: first run at TIME (default: one interval from now)")(
      "cron", po::value<std::string>(), "run when the cron expression matches, in --tz")(
      "tz", po::value<std::string>(), "IANA time zone, e.g. Europe/Berlin");
}

int run_schedule_add(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  add_when_options(options);
  options.add_options()("account", po::value<std::string>(), "the plugin account to act as")(
      "input", po::value<std::string>(), "the action's input (a JSON object)")(
      "input-file", po::value<std::string>(), "read the input from FILE ('-': stdin)")(
      "id", po::value<std::string>(), "the schedule's id (default: s- and random letters)")(
      "name", po::value<std::string>(), "a label (default: PLUGIN.ACTION)")(
      "missed", po::value<std::string>(), "catch_up_once (default) or skip")(
      "overlap", po::value<std::string>(), "skip (default), queue or allow")(
      "max-lateness", po::value<std::string>(), "how late a run may still start (default 1h)")(
      "jitter", po::value<std::string>(),
      "start each run up to DURATION after its time")("paused", "add it paused");
  po::positional_options_description pos;
  pos.add("target", 1);
  int exit = exit_ok;
  auto vm = parse_command_args("schedule", add_synopsis, args, options, pos, exit);
  if (!vm)
    return exit;
  if (vm->count("target") == 0) {
    return usage_error("schedule", "schedule add needs PLUGIN.ACTION or PLUGIN.JOB");
  }
  const auto target = (*vm)["target"].as<std::string>();
  const size_t dot = target.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == target.size()) {
    return usage_error("schedule",
                       "'" + target + "' is not of the form PLUGIN.ACTION or PLUGIN.JOB");
  }
  auto draft = draft_from(*vm, now_instant());
  if (!draft)
    return usage_error("schedule", host::error_message(draft.error()));
  ScheduleDraft &d = draft.value();
  d.plugin = target.substr(0, dot);
  d.target = target.substr(dot + 1);

  const auto kind = check_target(ctx, d.plugin, d.target, exit);
  if (!kind)
    return exit;
  d.kind = *kind;
  if (d.kind == TargetKind::job) {
    if (vm->count("input") != 0 || vm->count("input-file") != 0) {
      return usage_error("schedule", target + " is a job; jobs take no --input");
    }
  } else {
    auto input = read_input_json(*vm, "schedule");
    if (!input)
      return usage_error("schedule", host::error_message(input.error()));
    d.input_json = json::serialize(json::parse(input.value()));
    SecretInputs secrets(ctx);
    if (!refuse_secret_inputs(secrets, d, "", exit))
      return exit;
  }

  auto store = open_schedule_store(ctx, exit);
  if (!store)
    return exit;
  auto added = store->add(d, now_instant());
  if (!added)
    return report_store_error(added.error());
  InputRedactor redact(ctx);
  std::cout << json::serialize(schedule_json(added.value(), redact)) << std::endl;
  return exit_ok;
}

} // namespace autohost::cli
