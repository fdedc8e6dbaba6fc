// `autohost run [--once]`: the scheduler daemon (host/daemon/).
#include "cli/command.hpp"
#include "cli/number_flags.hpp"
#include "cli/run_reload.hpp"

#include "daemon/daemon.hpp"
#include "daemon/metrics_pages.hpp"
#include "daemon/metrics_server.hpp"
#include "daemon/retention.hpp"
#include "daemon/run_worker.hpp"
#include "errors.hpp"
#include "scheduler/backoff.hpp"
#include "scheduler/duration_text.hpp"
#include "services.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace autohost::cli {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view run_synopsis =
    "run [--once [--fail-on-attention]] [--workers N] [--lease D] [--job-jitter D] [--grace D]\n"
    "    [--max-attempts N] [--retry-delay D] [--max-retry-delay D] [--metrics [ADDR:]PORT]\n\n"
    "Runs the schedules: sleeps until the next run is due (or another process changes the\n"
    "schedules), runs due actions and jobs on N workers, records each run (see: autohost\n"
    "runs). JSON-lines log on stderr. SIGTERM/SIGINT: no new runs, running calls stop at a\n"
    "checkpoint and are released, exit 0 within the grace; a second signal exits at once.\n"
    "SIGHUP (systemctl reload) re-reads the config: the log level changes at once, other\n"
    "changes at the next start; a config with errors is logged and the old one kept.\n"
    "Under a Type=notify systemd unit it reports READY=1, STATUS= (runs in flight, next\n"
    "wake), RELOADING=1 and STOPPING=1, and pings the watchdog (WatchdogSec=).\n"
    "--once runs what is due now (and runs left by dead daemons), waits for them, exits 0;\n"
    "it logs only warnings and errors unless a level is chosen, so cron mails only problems.\n"
    "With --fail-on-attention it exits 12 when one of its runs failed or needs attention.\n"
    "A run the plugin asks to retry waits the plugin's retry_after_s, else --retry-delay\n"
    "(default 30s) doubling with each attempt up to --max-retry-delay (default 1h).\n"
    "--metrics serves GET /metrics (Prometheus text) and /healthz (200 while ready, the\n"
    "store reachable and the loop turning; else 503) on ADDR:PORT; a bare PORT listens on\n"
    "127.0.0.1, [::1]:PORT on IPv6, port 0 on a free port (logged as \"metrics listening\").\n"
    "Durations: 90s, 2m, 1h30m.";

// A duration flag; "0" is allowed where `zero_ok`.
std::optional<std::chrono::seconds> duration_flag(const po::variables_map &vm, const char *name,
                                                  std::chrono::seconds fallback, bool zero_ok,
                                                  int &exit) {
  if (vm.count(name) == 0)
    return fallback;
  const auto text = vm[name].as<std::string>();
  if (zero_ok && (text == "0" || text == "0s"))
    return std::chrono::seconds{0};
  auto parsed = scheduler::parse_duration(text, std::string("--") + name);
  if (!parsed) {
    exit = usage_error("run", host::error_message(parsed.error()));
    return std::nullopt;
  }
  return parsed.value();
}

} // namespace

int report_broken(const host::PluginRegistry &registry);

namespace {

// The daemon's options from the command line (and the retry policy, which is the schedule
// store's); nullopt after a usage error (`exit` set).
std::optional<daemon::DaemonOptions> daemon_options(const po::variables_map &vm,
                                                    scheduler::RetryPolicy &retry, int &exit) {
  daemon::DaemonOptions opts;
  opts.once = vm.count("once") != 0;
  if (vm.count("metrics") != 0 && opts.once) {
    exit = usage_error("run", "--metrics needs a daemon, not --once (nothing would be scraped)");
    return std::nullopt;
  }
  if (vm.count("fail-on-attention") != 0 && !opts.once) {
    exit = usage_error("run", "--fail-on-attention needs --once (a daemon has no end to report)");
    return std::nullopt;
  }
  auto workers = parse_count(vm["workers"].as<std::string>(), "--workers", 1, 64);
  auto attempts = parse_count(vm["max-attempts"].as<std::string>(), "--max-attempts", 1, 1000000);
  for (const auto *count : {&workers, &attempts}) {
    if (!*count) {
      exit = usage_error("run", host::error_message(count->error()));
      return std::nullopt;
    }
  }
  opts.workers = static_cast<int>(workers.value());
  retry.max_attempts = static_cast<int>(attempts.value());
  auto lease = duration_flag(vm, "lease", 120s, false, exit);
  auto jitter = duration_flag(vm, "job-jitter", 300s, true, exit);
  auto grace = duration_flag(vm, "grace", 10s, false, exit);
  auto first_retry = duration_flag(vm, "retry-delay", retry.first_delay, false, exit);
  // Unless given, the longest wait is the default's or the first wait, whichever is longer.
  auto max_retry =
      duration_flag(vm, "max-retry-delay",
                    std::max(retry.max_delay, first_retry.value_or(retry.max_delay)), false, exit);
  if (!lease || !jitter || !grace || !first_retry || !max_retry)
    return std::nullopt;
  if (*max_retry < *first_retry) {
    exit = usage_error("run", "--max-retry-delay " + scheduler::format_duration(*max_retry) +
                                  " is shorter than --retry-delay " +
                                  scheduler::format_duration(*first_retry));
    return std::nullopt;
  }
  retry.first_delay = *first_retry;
  retry.max_delay = *max_retry;
  opts.lease = *lease;
  opts.job_jitter = *jitter;
  opts.grace = *grace;
  return opts;
}

// Starts every plugin that loads; plugin files that do not load are reported and left out.
// Returns exit_ok, or the exit code after reporting a plugin that failed to start.
int start_plugins(Context &ctx, daemon::PluginPool &plugins, host::Logger &logger) {
  const auto &registry = ctx.registry();
  report_broken(registry);
  for (const auto &library : registry.plugins()) {
    if (auto started = plugins.start(library, ctx.settings().plugin_config(library->name()));
        !started) {
      return report_error(started.error(), exit_plugin);
    }
  }
  if (registry.plugins().empty()) {
    daemon::daemon_log(logger, AH_LOG_WARN, "no plugins found; runs of any plugin will fail",
                       {{"see", "autohost plugins"}});
  }
  return exit_ok;
}

// The config's retention, applied by the daemon; a failure is logged and tried next time.
void apply_retention(scheduler::ScheduleStore &runs, store::SqlSecretStore &secrets,
                     std::chrono::seconds age, scheduler::Instant now, host::Logger &logger) {
  auto pruned = daemon::prune_history(runs, secrets, age, now);
  if (!pruned) {
    daemon::daemon_log(logger, AH_LOG_WARN, "pruning history failed",
                       {{"error", host::error_message(pruned.error())}});
    return;
  }
  daemon::daemon_log(logger, AH_LOG_INFO, "pruned history",
                     {{"older_than_s", age.count()},
                      {"runs", pruned.value().runs},
                      {"checkpoints", pruned.value().checkpoints}});
}

} // namespace

int run_run(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("once", "run what is due now, wait for it, and exit")(
      "fail-on-attention", "with --once: exit 12 when a run failed or needs attention")(
      "workers", po::value<std::string>()->default_value("4"), "runs in flight at once (1-64)")(
      "lease", po::value<std::string>(), "claim lease, renewed every third of it (default 2m)")(
      "job-jitter", po::value<std::string>(),
      "plugin job defaults start up to this late (default 5m; 0 for none)")(
      "grace", po::value<std::string>(),
      "after SIGTERM/SIGINT, how long running calls get to stop (default 10s)")(
      "max-attempts", po::value<std::string>()->default_value("6"),
      "claims of one run (tries, retries, resumptions) before it fails")(
      "retry-delay", po::value<std::string>(),
      "first wait of a retry the plugin gave no retry_after_s for (default 30s)")(
      "max-retry-delay", po::value<std::string>(),
      "the longest such wait; it doubles with each attempt up to this (default 1h, or the "
      "first wait when longer)")(
      "metrics", po::value<std::string>(),
      "serve /metrics and /healthz on [ADDR:]PORT (default address 127.0.0.1)");
  int exit = exit_ok;
  auto vm = parse_command_args("run", run_synopsis, args, options, {}, exit);
  if (!vm)
    return exit;

  scheduler::RetryPolicy retry;
  auto parsed = daemon_options(*vm, retry, exit);
  if (!parsed)
    return exit;
  daemon::DaemonOptions opts = *parsed;
  const bool fail_on_attention = vm->count("fail-on-attention") != 0;
  std::optional<daemon::ListenAddress> listen;
  if (vm->count("metrics") != 0) {
    auto parsed_listen =
        daemon::parse_listen_address((*vm)["metrics"].as<std::string>(), "--metrics");
    if (!parsed_listen)
      return usage_error("run", host::error_message(parsed_listen.error()));
    listen = parsed_listen.value();
  }

  // First, so that a stop asked for while plugins load is a clean stop, not a kill.
  auto stop = daemon::StopSignal::install();
  if (!stop)
    return report_error(stop.error(), exit_internal);

  auto clock = host::host_clock_from_env();
  if (!clock)
    return usage_error("run", host::error_message(clock.error()));
  // The daemon's start and end of each run are info lines: shown unless a level was chosen,
  // or for --once, which cron runs and which must be silent when all is well.
  host::Logger logger(stderr, daemon_log_level(ctx.settings(), opts.once));
  if (!opts.once) {
    // Until here SIGHUP ends the process, as it does for every other command.
    if (auto watched = stop.value()->watch_reload(); !watched)
      return report_error(watched.error(), exit_internal);
    opts.reload = [&ctx, &logger] { reload_settings(ctx.settings(), logger); };
  }

  auto secrets = ctx.store();
  if (!secrets)
    return report_error(secrets.error(), exit_store);
  scheduler::ScheduleStoreOptions store_options;
  // The location as configured: a URL keeps its password here (location() hides it).
  store_options.location = ctx.settings().store_file.string();
  store_options.lease = opts.lease;
  store_options.retry = retry;
  auto store = scheduler::ScheduleStore::open(store_options);
  if (!store)
    return report_error(store.error(), exit_store);

  // Plugin files that do not load are reported and left out; the rest run.
  const auto &registry = ctx.registry();
  report_broken(registry);
  // Declared before the plugins, which count into it until they are destroyed.
  daemon::Metrics metrics;
  daemon::PluginPool plugins(secrets.value(), logger, clock.value(), ctx.settings().secret_grants,
                             listen ? &metrics : nullptr);
  if (const int failed = start_plugins(ctx, plugins, logger); failed != exit_ok)
    return failed;

  daemon::RunTally tally;
  opts.tally = &tally;
  // Declared after the plugins: the server (whose pages call them) stops first.
  std::unique_ptr<daemon::MetricsServer> server;
  if (listen) {
    // A loop three of its longest unwatched sleeps (3 min) past its planned turn is stuck.
    auto started = daemon::MetricsServer::start(
        *listen, daemon::metrics_pages(metrics, plugins, clock.value(), 3 * opts.max_sleep));
    if (!started)
      return report_error(started.error(), exit_usage);
    server = std::move(started.value());
    opts.metrics = &metrics;
    daemon::daemon_log(logger, AH_LOG_INFO, "metrics listening",
                       {{"address", server->bound()}, {"paths", "/metrics /healthz"}});
  }
  if (const auto age = ctx.settings().retention)
    opts.housekeeping = [&, age = *age] {
      apply_retention(*store.value(), *secrets.value(), age, daemon::instant_of(clock.value()),
                      logger);
    };
  const auto end =
      daemon::run_daemon(*store.value(), plugins, logger, clock.value(), *stop.value(), opts);
  switch (end) {
  case daemon::DaemonEnd::finished:
    return fail_on_attention && tally.failed + tally.needs_attention > 0 ? exit_attention : exit_ok;
  case daemon::DaemonEnd::store_failed:
    return exit_store;
  case daemon::DaemonEnd::workers_stuck:
    // Calls still run inside the plugins: leave without destroying them. Their runs stay
    // `running` until their lease ends and are then resumed under the same key.
    std::fflush(nullptr);
    std::_Exit(exit_ok);
  }
  return exit_ok;
}

} // namespace autohost::cli
