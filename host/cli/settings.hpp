// Resolves where plugins, the store, the master key and plugin configs come from.
#pragma once

#include "log.hpp"
#include "plugin_registry.hpp"
#include "secret_scope.hpp"
#include "store/master_key.hpp"

#include <autohost/result.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace autohost::cli {

// What the global command-line flags said; unset fields fall back to the environment, the
// config file, then built-in defaults.
struct GlobalFlags {
  std::vector<std::string> plugin_files;
  std::vector<std::string> plugin_dirs;
  std::optional<std::string> store;
  std::optional<std::string> config;
  std::optional<std::string> log_level;
};

struct Settings {
  GlobalFlags flags; // what they were resolved from (`run` resolves them again on a reload)
  host::PluginSearch plugin_search;
  std::filesystem::path store_file;
  std::optional<Error> no_store_reason; // set (and store_file empty) when no location is known
  store::KeySource master_key;
  ah_log_level log_level = AH_LOG_WARN;
  bool log_level_set = false;                       // by a flag, the environment or the config file
  std::optional<std::filesystem::path> config_file; // the file that was read, if any
  std::string plugin_configs_json = "{}";           // object: plugin name -> config object
  host::SecretGrants secret_grants; // beyond each plugin's own namespace (config file only)
  // The config's "retention": `autohost run` prunes finished runs and finished publish
  // checkpoints older than this (at start, then hourly). Unset: nothing is pruned.
  std::optional<std::chrono::seconds> retention;

  // The config object for one plugin as JSON text ("" when none).
  std::string plugin_config(std::string_view plugin) const;
};

// Errors (unreadable or invalid config file, bad log level) name the file or flag.
Result<Settings> resolve_settings(const GlobalFlags &flags);

// Where a config file is looked for when neither --config nor AUTOHOST_CONFIG names one, the
// first that exists wins (files are not merged): the user's ($XDG_CONFIG_HOME, else
// ~/.config), then each absolute directory of $XDG_CONFIG_DIRS (default /etc/xdg), each with
// autohost/config.json appended, then /etc/autohost/config.json.
std::vector<std::filesystem::path> config_search_path();

} // namespace autohost::cli
