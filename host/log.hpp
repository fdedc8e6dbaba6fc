// JSON-lines logging for the host and, through the host services, for plugins.
#pragma once

#include <autohost/abi.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string_view>

namespace autohost::host {

// Parses "debug", "info", "warn" or "error".
std::optional<ah_log_level> parse_log_level(std::string_view text);
// "debug", "info", "warn" or "error": parse_log_level's inverse.
std::string_view log_level_name(ah_log_level level);

// True when `stream` is the systemd journal: JOURNAL_STREAM (set by systemd for a unit
// whose output goes to the journal) names the device and inode of the stream's file. A
// child whose stderr was redirected elsewhere inherits the variable, so both must match.
bool is_journal_stream(std::FILE *stream);

// "<N>", the syslog priority prefix of sd-daemon(3) that journald reads from the start of
// a line on a stream (err 3, warning 4, info 6, debug 7).
std::string_view journal_prefix(ah_log_level level);

// Writes one JSON object per line: {"ts", "level", "source", "msg", ...fields}; on the
// journal (see is_journal_stream) each line starts with its priority, so `journalctl -p`
// filters them. Thread-safe. Callers must never pass secret values.
class Logger {
public:
  Logger(std::FILE *out, ah_log_level min_level)
      : out_(out), min_(min_level), journal_(is_journal_stream(out)) {}

  bool enabled(ah_log_level level) const noexcept { return level >= min_.load(); }
  ah_log_level min_level() const noexcept { return min_.load(); }
  // A reload of the config changes it while other threads log.
  void set_min_level(ah_log_level level) noexcept { min_.store(level); }
  // `fields_json` is a JSON object text whose members are added to the line (ignored
  // when it is not an object).
  void log(ah_log_level level, std::string_view source, std::string_view message,
           std::string_view fields_json = {});

private:
  std::FILE *out_;
  std::atomic<ah_log_level> min_;
  bool journal_;
  std::mutex mutex_;
};

} // namespace autohost::host
