// `systemctl reload` for `autohost run`: SIGHUP re-reads the config the daemon started with.
#pragma once

#include "cli/settings.hpp"
#include "log.hpp"

namespace autohost::cli {

// The daemon's log level: as configured, else info, or warn for --once (cron mails only
// problems then).
ah_log_level daemon_log_level(const Settings &settings, bool once);

// Resolves the settings again from the flags and environment `running` came from. A config
// that does not read or validate is logged as an error and changes nothing. Otherwise the log
// level takes effect at once, and the other settings that differ from `running` (they shape
// the open store and the started plugins) are logged as taking effect at the next start.
void reload_settings(const Settings &running, host::Logger &logger);

} // namespace autohost::cli
