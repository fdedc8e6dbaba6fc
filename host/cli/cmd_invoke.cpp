// `autohost invoke PLUGIN.ACTION`: JSON in (flag, file or stdin), JSON out, exit per status.
#include "cli/command.hpp"

#include "cli/input.hpp"
#include "cli/number_flags.hpp"
#include "cli/plugin_call.hpp"
#include "errors.hpp"

namespace autohost::cli {

int run_invoke(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("account", po::value<std::string>(), "the account to act for")(
      "input", po::value<std::string>(), "the input JSON object")(
      "input-file", po::value<std::string>(), "read the input JSON from a file ('-': stdin)")(
      "idempotency-key", po::value<std::string>(), "resume the operation started with this key")(
      "timeout", po::value<std::string>(), "give up after this many seconds");
  po::positional_options_description pos;
  pos.add("target", 1);
  int exit = exit_ok;
  auto vm = parse_command_args(
      "invoke",
      "invoke PLUGIN.ACTION [--account NAME] [--input JSON | --input-file FILE | < stdin]", args,
      options, pos, exit);
  if (!vm)
    return exit;
  if (vm->count("target") == 0)
    return usage_error("invoke", "missing PLUGIN.ACTION");
  auto target = split_target("invoke", (*vm)["target"].as<std::string>(), "ACTION", exit);
  if (!target)
    return exit;

  auto input = read_input_json(*vm, "invoke");
  if (!input)
    return usage_error("invoke", host::error_message(input.error()));
  auto timeout = optional_timeout(*vm);
  if (!timeout)
    return usage_error("invoke", host::error_message(timeout.error()));

  PluginCallRequest request;
  request.command = "invoke";
  request.kind = CallKind::action;
  request.plugin = target->first;
  request.name = target->second;
  request.input = std::move(input).value();
  if (vm->count("account") != 0)
    request.account = (*vm)["account"].as<std::string>();
  if (vm->count("idempotency-key") != 0) {
    request.idempotency_key = (*vm)["idempotency-key"].as<std::string>();
  }
  request.timeout_s = timeout.value();
  ctx.one_call();
  return run_plugin_call(ctx, request);
}

} // namespace autohost::cli
