// `autohost job PLUGIN.JOB`: run one plugin job now and print its report.
#include "cli/command.hpp"

#include "cli/number_flags.hpp"
#include "cli/plugin_call.hpp"
#include "errors.hpp"

namespace autohost::cli {

int run_job(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("idempotency-key", po::value<std::string>(),
                        "the run id passed to the job")("timeout", po::value<std::string>(),
                                                        "give up after this many seconds");
  po::positional_options_description pos;
  pos.add("target", 1);
  int exit = exit_ok;
  auto vm =
      parse_command_args("job", "job PLUGIN.JOB [--timeout SECONDS]", args, options, pos, exit);
  if (!vm)
    return exit;
  if (vm->count("target") == 0)
    return usage_error("job", "missing PLUGIN.JOB");
  auto target = split_target("job", (*vm)["target"].as<std::string>(), "JOB", exit);
  if (!target)
    return exit;
  auto timeout = optional_timeout(*vm);
  if (!timeout)
    return usage_error("job", host::error_message(timeout.error()));
  PluginCallRequest request;
  request.command = "job";
  request.kind = CallKind::job;
  request.plugin = target->first;
  request.name = target->second;
  if (vm->count("idempotency-key") != 0) {
    request.idempotency_key = (*vm)["idempotency-key"].as<std::string>();
  }
  request.timeout_s = timeout.value();
  return run_plugin_call(ctx, request);
}

} // namespace autohost::cli
