// Resolves settings from flags, environment, the config file and defaults, in that order.
#include "cli/settings.hpp"

#include "errors.hpp"
#include "scheduler/duration_text.hpp"
#include "store/sql/backend.hpp"

#include <boost/json.hpp>

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace autohost::cli {
namespace fs = std::filesystem;
namespace json = boost::json;
using host::make_error;

namespace {

std::optional<std::string> env(const char *name) {
  const char *value = std::getenv(name);
  if (value == nullptr || *value == '\0')
    return std::nullopt;
  return std::string(value);
}

// A secret given in the environment, taken out of it: the "NAME=value" text is wiped where
// it lies (so /proc/PID/environ no longer shows it) and the name unset, so neither a plugin
// (which runs in this process) nor a child process can read it there.
std::optional<std::string> take_env_secret(const char *name) {
  auto value = env(name);
  char *text = std::getenv(name);
  ::unsetenv(name); // drops the entry from environ; the text itself stays where it was
  if (text != nullptr) {
    // getenv pointed at the value; the name and '=' lie just before it.
    const std::size_t name_size = std::char_traits<char>::length(name) + 1;
    sodium_memzero(text - name_size, name_size + std::char_traits<char>::length(text));
  }
  return value;
}

Error config_error(const fs::path &file, std::string_view what) {
  return make_error(AH_INVALID_INPUT, "config",
                    "config file " + file.string() + ": " + std::string(what));
}

std::optional<fs::path> find_config(const GlobalFlags &flags) {
  if (flags.config)
    return fs::path(*flags.config);
  if (auto e = env("AUTOHOST_CONFIG"))
    return fs::path(*e);
  for (const auto &candidate : config_search_path()) {
    std::error_code ec;
    if (fs::exists(candidate, ec))
      return candidate;
  }
  return std::nullopt;
}

// Never the current directory: secrets would land wherever the command happened to run.
Result<fs::path> state_dir() {
  if (auto e = env("AUTOHOST_STATE_DIR"))
    return fs::path(*e);
  if (auto xdg = env("XDG_STATE_HOME"))
    return fs::path(*xdg) / "autohost";
  if (auto home = env("HOME"))
    return fs::path(*home) / ".local" / "state" / "autohost";
  return make_error(AH_INVALID_INPUT, "no_state_dir",
                    "no state directory for the secret store: HOME, XDG_STATE_HOME and "
                    "AUTOHOST_STATE_DIR are all unset; set AUTOHOST_STATE_DIR (or pass --store)");
}

struct ConfigFile {
  std::vector<fs::path> plugin_dirs;
  std::optional<fs::path> store;
  std::optional<fs::path> master_key_file;
  std::optional<std::string> log_level;
  json::object plugins;
  host::PluginPins plugin_pins;
  host::SecretGrants secret_grants;
  std::optional<std::chrono::seconds> retention;
};

// {"NAME": "64 hex digits", ...}, as sha256sum prints them.
Result<host::PluginPins> read_pins(const fs::path &file, const json::value &value) {
  if (!value.is_object())
    return config_error(file, "'plugin_pins' must be an object of plugin name -> SHA-256");
  host::PluginPins pins;
  for (const auto &[name, digest] : value.as_object()) {
    const std::string where = "'plugin_pins." + std::string(name) + "'";
    if (!digest.is_string())
      return config_error(file, where + " must be a SHA-256 as 64 hex digits");
    std::string hex(digest.as_string());
    const bool is_hex = std::all_of(hex.begin(), hex.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) != 0;
    });
    if (hex.size() != 64 || !is_hex) {
      const std::string what = " must be a SHA-256 as 64 hex digits (sha256sum FILE), not '";
      return config_error(file, where + what + hex + "'");
    }
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](char c) { return static_cast<char>(std::tolower(c)); });
    pins.emplace(std::string(name), std::move(hex));
  }
  return pins;
}

// "secret_grants": {"PLUGIN": ["NAMESPACE", "NAMESPACE:read", ...]}. Only the config file
// grants: a plugin cannot widen its own scope through the environment it runs in.
Result<host::SecretGrants> read_secret_grants(const fs::path &file, const json::value &value) {
  const std::string shape = "'secret_grants' must map plugin names to lists of namespaces";
  if (!value.is_object())
    return config_error(file, shape);
  host::SecretGrants grants;
  for (const auto &[plugin, list] : value.as_object()) {
    const std::string where = "secret_grants." + std::string(plugin);
    if (std::string problem = host::namespace_name_problem(plugin); !problem.empty())
      return config_error(file, where + ": not a plugin name: " + problem);
    if (!list.is_array())
      return config_error(file, shape);
    auto &out = grants[std::string(plugin)];
    for (const auto &item : list.as_array()) {
      if (!item.is_string())
        return config_error(file, where + ": each namespace must be a string");
      auto grant = host::parse_secret_grant(item.as_string());
      if (!grant)
        return config_error(file, where + ": " + host::error_message(grant.error()));
      out.push_back(std::move(grant).value());
    }
  }
  return grants;
}

// "retention": "90d": a duration of at least a day, so a slip of the unit cannot prune
// yesterday's history.
Result<std::optional<std::chrono::seconds>> read_retention(const fs::path &file,
                                                           const json::value &value) {
  if (!value.is_string())
    return config_error(file, "'retention' must be a duration such as \"90d\"");
  auto age = scheduler::parse_duration(value.as_string(), "'retention'");
  if (!age)
    return config_error(file, host::error_message(age.error()));
  if (age.value() < std::chrono::hours{24})
    return config_error(file, "'retention' must be at least 1d, not '" +
                                  std::string(value.as_string()) + "'");
  return std::optional<std::chrono::seconds>(age.value());
}

Result<ConfigFile> read_config(const fs::path &file) {
  std::ifstream in(file);
  if (!in)
    return config_error(file, "cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec);
  if (ec)
    return config_error(file, "is not valid JSON (" + ec.message() + ")");
  if (!doc.is_object())
    return config_error(file, "must hold a JSON object");
  const fs::path base = file.parent_path();
  auto path_of = [&](const json::value &v) { return base / fs::path(std::string(v.as_string())); };
  ConfigFile config;
  for (const auto &[key, value] : doc.as_object()) {
    const std::string k(key);
    if (k == "plugin_dirs") {
      if (!value.is_array())
        return config_error(file, "'plugin_dirs' must be a list of paths");
      for (const auto &dir : value.as_array()) {
        if (!dir.is_string())
          return config_error(file, "'plugin_dirs' must be a list of paths");
        config.plugin_dirs.push_back(path_of(dir));
      }
    } else if (k == "store" || k == "master_key_file" || k == "log_level") {
      if (!value.is_string())
        return config_error(file, "'" + k + "' must be a string");
      if (k == "store") // a URL as it is; a path relative to the config file
        config.store = store::sql::is_postgres_location(value.as_string())
                           ? fs::path(std::string(value.as_string()))
                           : path_of(value);
      if (k == "master_key_file")
        config.master_key_file = path_of(value);
      if (k == "log_level")
        config.log_level = std::string(value.as_string());
    } else if (k == "plugins") {
      if (!value.is_object())
        return config_error(file, "'plugins' must be an object");
      for (const auto &[name, cfg] : value.as_object()) {
        if (!cfg.is_object()) {
          return config_error(file, "'plugins." + std::string(name) + "' must be an object");
        }
      }
      config.plugins = value.as_object();
    } else if (k == "plugin_pins") {
      AH_TRY_ASSIGN(config.plugin_pins, read_pins(file, value));
    } else if (k == "secret_grants") {
      AH_TRY_ASSIGN(config.secret_grants, read_secret_grants(file, value));
    } else if (k == "retention") {
      AH_TRY_ASSIGN(config.retention, read_retention(file, value));
    } else {
      return config_error(file, "unknown setting '" + k + "'");
    }
  }
  return config;
}

// A relative entry would load code from wherever the command happens to be run.
Result<std::vector<fs::path>> split_plugin_path(const std::string &list) {
  std::vector<fs::path> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ':')) {
    if (item.empty())
      continue;
    if (fs::path(item).is_relative()) {
      return make_error(AH_INVALID_INPUT, "usage",
                        "AUTOHOST_PLUGIN_PATH must list absolute directories, but '" + item +
                            "' is relative (it would load plugins from the current directory); "
                            "use an absolute path or --plugin-dir");
    }
    out.emplace_back(item);
  }
  return out;
}

} // namespace

std::vector<fs::path> config_search_path() {
  std::vector<fs::path> out;
  if (auto xdg = env("XDG_CONFIG_HOME")) {
    out.push_back(fs::path(*xdg) / "autohost" / "config.json");
  } else if (auto home = env("HOME")) {
    out.push_back(fs::path(*home) / ".config" / "autohost" / "config.json");
  }
  // The XDG Base Directory rules: relative entries are ignored, unset or empty means /etc/xdg.
  std::stringstream dirs(env("XDG_CONFIG_DIRS").value_or("/etc/xdg"));
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && fs::path(dir).is_absolute())
      out.push_back(fs::path(dir) / "autohost" / "config.json");
  }
  out.emplace_back("/etc/autohost/config.json"); // where the systemd unit's config lives
  return out;
}

std::string Settings::plugin_config(std::string_view plugin) const {
  const json::value all = json::parse(plugin_configs_json);
  const json::value *cfg = all.as_object().if_contains(plugin);
  return cfg == nullptr ? std::string() : json::serialize(*cfg);
}

Result<Settings> resolve_settings(const GlobalFlags &flags) {
  Settings settings;
  settings.flags = flags;
  ConfigFile config;
  settings.config_file = find_config(flags);
  if (settings.config_file) {
    AH_TRY_ASSIGN(config, read_config(*settings.config_file));
  }
  settings.plugin_configs_json = json::serialize(config.plugins);
  settings.secret_grants = std::move(config.secret_grants);
  settings.retention = config.retention;

  for (const auto &f : flags.plugin_files)
    settings.plugin_search.files.emplace_back(f);
  for (const auto &d : flags.plugin_dirs)
    settings.plugin_search.required_dirs.emplace_back(d);
  if (auto list = env("AUTOHOST_PLUGIN_PATH")) {
    AH_TRY_DECLARE(dirs, split_plugin_path(*list));
    for (auto &d : dirs)
      settings.plugin_search.required_dirs.push_back(d);
  }
  for (auto &d : config.plugin_dirs)
    settings.plugin_search.required_dirs.push_back(d);
  settings.plugin_search.optional_dirs.emplace_back(AH_PLUGINDIR);
  settings.plugin_search.pins = std::move(config.plugin_pins);

  std::string store_origin;
  if (flags.store) {
    settings.store_file = *flags.store;
    store_origin = "--store";
  } else if (auto e = env("AUTOHOST_STORE")) {
    settings.store_file = *e;
    store_origin = "AUTOHOST_STORE";
  } else if (config.store) {
    settings.store_file = *config.store;
    store_origin = "'store' in " + settings.config_file->string();
  } else {
    // Only commands that open the store need it (see Settings::no_store_reason).
    auto dir = state_dir();
    if (dir)
      settings.store_file = *dir / "store.db";
    else
      settings.no_store_reason = dir.error();
  }

  if (!store_origin.empty())
    AH_TRY(store::sql::check_location(settings.store_file.string(), store_origin));
  const bool on_postgres = store::sql::is_postgres_location(settings.store_file.string());

  settings.master_key.env_value = take_env_secret("AUTOHOST_MASTER_KEY");
  if (auto e = env("AUTOHOST_MASTER_KEY_FILE")) {
    settings.master_key.key_file = *e;
  } else if (config.master_key_file) {
    settings.master_key.key_file = *config.master_key_file;
  } else if (!on_postgres) {
    settings.master_key.key_file = settings.store_file.parent_path() / "master.key";
  } else if (auto dir = state_dir()) {
    // A URL has no folder to keep the key beside: the state directory keeps it.
    settings.master_key.key_file = *dir / "master.key";
  }

  std::optional<std::string> level = flags.log_level;
  std::string level_origin = "--log-level";
  if (!level) {
    level = env("AUTOHOST_LOG_LEVEL");
    level_origin = "AUTOHOST_LOG_LEVEL";
  }
  if (!level) {
    level = config.log_level;
    level_origin = "log_level in the config file";
  }
  if (level) {
    auto parsed = host::parse_log_level(*level);
    if (!parsed) {
      return make_error(AH_INVALID_INPUT, "usage",
                        level_origin + " must be debug, info, warn or error, not '" + *level + "'");
    }
    settings.log_level = *parsed;
    settings.log_level_set = true;
  }
  return settings;
}

} // namespace autohost::cli
