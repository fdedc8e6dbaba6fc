// Structured logging through the caller's LogSink, with fields rendered as a JSON object.
#pragma once

#include "http/options.hpp"

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <variant>

namespace threads::http {

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t> value;
};

class Logger {
public:
  explicit Logger(LogSink sink, LogLevel min_level = LogLevel::debug)
      : sink_(std::move(sink)), min_(min_level) {}

  // Whether a line at `level` is written: test it before building an expensive one.
  bool enabled(LogLevel level) const noexcept { return sink_ && level >= min_; }

  // Never throws: a failing sink loses the line, not the request. Callers pass redacted
  // URLs only, and never header values.
  void write(LogLevel level, std::string_view message,
             std::initializer_list<LogField> fields) const noexcept;

private:
  LogSink sink_;
  LogLevel min_;
};

} // namespace threads::http
