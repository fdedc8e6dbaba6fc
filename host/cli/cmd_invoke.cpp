// `autohost invoke PLUGIN.ACTION`: JSON in (flag, file or stdin), JSON out, exit per status.
#include "command.hpp"

#include "../errors.hpp"
#include "../services.hpp"
#include "input.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

namespace autohost::cli {
namespace json = boost::json;

int report_broken(const host::PluginRegistry &registry);

namespace {

std::atomic<int> interrupted{0};

extern "C" void on_interrupt(int) { interrupted.store(1); }

int is_interrupted(void *) { return interrupted.load(); }

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Shows plugin progress events ({"stage", "detail", "elapsed_s"}) on an interactive
// terminal only, as "[threads] processing: IN_PROGRESS (3.5 s)"; pipelines get clean stderr.
void show_progress(void *plugin, const char *data, size_t len) {
  boost::system::error_code ec;
  const json::value event = json::parse(std::string_view(data, len), ec);
  std::cerr << "[" << *static_cast<const std::string *>(plugin) << "] ";
  if (ec || !event.is_object()) {
    std::cerr << std::string_view(data, len) << std::endl;
    return;
  }
  const json::object &o = event.as_object();
  auto text = [&](std::string_view k) {
    const json::value *v = o.if_contains(k);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  std::cerr << text("stage");
  if (!text("detail").empty()) std::cerr << ": " << text("detail");
  if (const json::value *t = o.if_contains("elapsed_s"); t != nullptr && t->is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%.1f s)", t->to_number<double>());
    std::cerr << buf;
  }
  std::cerr << std::endl;
}

} // namespace

int run_invoke(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()
      ("account", po::value<std::string>(), "the account to act for")
      ("input", po::value<std::string>(), "the input JSON object")
      ("input-file", po::value<std::string>(), "read the input JSON from a file ('-': stdin)")
      ("idempotency-key", po::value<std::string>(), "resume the operation started with this key")
      ("timeout", po::value<double>(), "give up after this many seconds");
  po::positional_options_description pos;
  pos.add("target", 1);
  int exit = exit_ok;
  auto vm = parse_command_args(
      "invoke",
      "invoke PLUGIN.ACTION [--account NAME] [--input JSON | --input-file FILE | < stdin]", args,
      options, pos, exit);
  if (!vm) return exit;
  if (vm->count("target") == 0) return usage_error("invoke", "missing PLUGIN.ACTION");
  const auto target = (*vm)["target"].as<std::string>();
  const auto dot = target.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == target.size()) {
    return usage_error("invoke", "'" + target + "' is not of the form PLUGIN.ACTION");
  }
  const std::string plugin = target.substr(0, dot);
  const std::string action = target.substr(dot + 1);

  auto input = read_input_json(*vm, "invoke");
  if (!input) return usage_error("invoke", host::error_message(input.error()));
  if (vm->count("timeout") != 0 && (*vm)["timeout"].as<double>() <= 0) {
    return usage_error("invoke", "--timeout must be a positive number of seconds");
  }

  const auto &registry = ctx.registry();
  auto library = registry.find(plugin);
  if (library == nullptr) {
    const int broken = report_broken(registry);
    return report_error(host::make_error(AH_NOT_FOUND, "plugin_not_found",
                                         "no plugin named '" + plugin +
                                             "' was found (see: autohost plugins)"),
                        broken != exit_ok ? broken : exit_not_found);
  }
  auto store = ctx.store();
  if (!store) return report_error(store.error(), exit_store);

  host::HostServices services(plugin, store.value(), ctx.logger(), &wall_ms);
  auto instance = Instance::create(library, services.table(), ctx.settings().plugin_config(plugin));
  if (!instance) {
    return report_error(host::make_error(instance.error().status, "plugin_start",
                                         "plugin " + plugin + " (" + library->path().string() +
                                             ") failed to start: " +
                                             host::error_message(instance.error())),
                        exit_plugin);
  }

  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  CallOptions call;
  std::string account = vm->count("account") != 0 ? (*vm)["account"].as<std::string>() : "";
  std::string key =
      vm->count("idempotency-key") != 0 ? (*vm)["idempotency-key"].as<std::string>() : "";
  call.account = account;
  call.idempotency_key = key;
  if (vm->count("timeout") != 0) {
    call.deadline_ms = wall_ms() + static_cast<std::int64_t>((*vm)["timeout"].as<double>() * 1000);
  }
  call.is_cancelled = &is_interrupted;
  if (isatty(STDERR_FILENO) != 0) {
    call.progress = ah_sink{const_cast<std::string *>(&plugin), &show_progress};
  }

  auto result = instance.value().invoke(action, input.value(), call);
  if (!result) return report_error(result.error());
  std::cout << result.value() << std::endl;
  return exit_ok;
}

} // namespace autohost::cli
