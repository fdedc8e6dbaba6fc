// JSON-lines logging for the host and, through the host services, for plugins.
#pragma once

#include <autohost/abi.h>

#include <cstdio>
#include <mutex>
#include <optional>
#include <string_view>

namespace autohost::host {

// Parses "debug", "info", "warn" or "error".
std::optional<ah_log_level> parse_log_level(std::string_view text);

// Writes one JSON object per line: {"ts", "level", "source", "msg", ...fields}.
// Thread-safe. Callers must never pass secret values.
class Logger {
public:
  Logger(std::FILE *out, ah_log_level min_level) : out_(out), min_(min_level) {}

  bool enabled(ah_log_level level) const noexcept { return level >= min_; }
  ah_log_level min_level() const noexcept { return min_; }
  // `fields_json` is a JSON object text whose members are added to the line (ignored
  // when it is not an object).
  void log(ah_log_level level, std::string_view source, std::string_view message,
           std::string_view fields_json = {});

private:
  std::FILE *out_;
  ah_log_level min_;
  std::mutex mutex_;
};

} // namespace autohost::host
