// Running one plugin action or job for the CLI.
#include "cli/plugin_call.hpp"

#include "errors.hpp"
#include "plugin_errors.hpp"
#include "started_plugin.hpp"

#include <autohost/idempotency_key.hpp>

#include <boost/json.hpp>

#include <unistd.h>

#include <atomic>
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
  if (!text("detail").empty())
    std::cerr << ": " << text("detail");
  if (const json::value *t = o.if_contains("elapsed_s"); t != nullptr && t->is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%.1f s)", t->to_number<double>());
    std::cerr << buf;
  }
  std::cerr << std::endl;
}

} // namespace

std::optional<std::pair<std::string, std::string>> split_target(std::string_view command,
                                                                const std::string &target,
                                                                std::string_view what, int &exit) {
  const auto dot = target.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == target.size()) {
    exit = usage_error(command, "'" + target + "' is not of the form PLUGIN." + std::string(what));
    return std::nullopt;
  }
  return std::pair{target.substr(0, dot), target.substr(dot + 1)};
}

int run_plugin_call(Context &ctx, const PluginCallRequest &request) {
  auto clock = host::host_clock_from_env();
  if (!clock)
    return usage_error(request.command, host::error_message(clock.error()));
  // abi.h: a host never passes a key outside the rule, so no plugin has to guess.
  if (!request.idempotency_key.empty() && !valid_idempotency_key(request.idempotency_key)) {
    return report_error(
        host::make_error(AH_INVALID_INPUT, "invalid_input",
                         "--idempotency-key: " + idempotency_key_problem(request.idempotency_key)));
  }

  const auto &registry = ctx.registry(request.plugin);
  auto library = registry.find(request.plugin);
  if (library == nullptr) {
    const int broken = report_broken(registry);
    return report_error(host::make_error(AH_NOT_FOUND, "plugin_not_found",
                                         "no plugin named '" + request.plugin +
                                             "' was found (see: autohost plugins)"),
                        broken != exit_ok ? broken : exit_not_found);
  }
  auto store = ctx.store();
  if (!store)
    return report_error(store.error(), exit_store);

  auto plugin = host::StartedPlugin::start(library, store.value(), ctx.logger(), clock.value(),
                                           ctx.settings().plugin_config(request.plugin),
                                           ctx.settings().secret_grants);
  if (!plugin)
    return report_error(plugin.error(), exit_plugin);

  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  CallOptions call;
  call.account = request.account;
  call.idempotency_key = request.idempotency_key;
  if (request.timeout_s) {
    // The deadline is on the host clock, which is what the plugin compares it with.
    call.deadline_ms = clock.value()() + static_cast<std::int64_t>(*request.timeout_s * 1000);
  }
  call.is_cancelled = &is_interrupted;
  if (isatty(STDERR_FILENO) != 0) {
    call.progress = ah_sink{const_cast<std::string *>(&request.plugin), &show_progress};
  }

  auto result = host::bound_plugin_result(
      request.kind == CallKind::action
          ? plugin.value()->instance().invoke(request.name, request.input, call)
          : plugin.value()->instance().run_job(request.name, call));
  if (!result)
    return report_error(result.error());
  std::cout << result.value() << std::endl;
  return exit_ok;
}

} // namespace autohost::cli
