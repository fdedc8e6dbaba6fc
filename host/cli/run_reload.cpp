// Re-reading the config on SIGHUP; what a reload changes at once and what waits for a restart.
#include "cli/run_reload.hpp"

#include "daemon/run_worker.hpp"
#include "errors.hpp"

#include <boost/json.hpp>

namespace autohost::cli {
namespace json = boost::json;

ah_log_level daemon_log_level(const Settings &settings, bool once) {
  if (settings.log_level_set)
    return settings.log_level;
  return once ? AH_LOG_WARN : AH_LOG_INFO;
}

namespace {

// The settings that differ, by the name an operator knows them by (the config file's keys).
json::array needing_restart(const Settings &running, const Settings &next) {
  json::array out;
  if (next.config_file != running.config_file)
    out.emplace_back("config file");
  if (next.store_file != running.store_file)
    out.emplace_back("store");
  if (next.master_key.key_file != running.master_key.key_file)
    out.emplace_back("master_key_file");
  if (next.plugin_search.required_dirs != running.plugin_search.required_dirs)
    out.emplace_back("plugin_dirs");
  if (next.plugin_search.pins != running.plugin_search.pins)
    out.emplace_back("plugin_pins");
  if (next.plugin_configs_json != running.plugin_configs_json)
    out.emplace_back("plugins");
  if (next.secret_grants != running.secret_grants)
    out.emplace_back("secret_grants");
  return out;
}

} // namespace

void reload_settings(const Settings &running, host::Logger &logger) {
  auto fresh = resolve_settings(running.flags);
  if (!fresh) {
    daemon::daemon_log(logger, AH_LOG_ERROR, "config not reloaded; the running config stays",
                       {{"error", host::error_message(fresh.error())}});
    return;
  }
  const Settings &next = fresh.value();
  const ah_log_level level = daemon_log_level(next, false);
  logger.set_min_level(level);
  json::object fields{
      {"config", next.config_file ? next.config_file->string() : std::string("(none)")},
      {"log_level", host::log_level_name(level)}};
  json::array later = needing_restart(running, next);
  if (later.empty()) {
    daemon::daemon_log(logger, AH_LOG_INFO, "config reloaded", fields);
    return;
  }
  fields["restart_needed"] = std::move(later);
  daemon::daemon_log(logger, AH_LOG_WARN,
                     "config reloaded; the changed settings listed take effect at the next start",
                     fields);
}

} // namespace autohost::cli
