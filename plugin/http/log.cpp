// Renders log fields as a JSON object and hands the line to the sink.
#include "http/log.hpp"

#include <array>
#include <cstdio>
#include <string>

namespace threads::http {
namespace {

// Hand-written rather than Boost.JSON: the plugin compiles Boost.JSON in its own folder,
// and two flat kinds of value do not justify tying this library to that. Nor is it
// autohost::json_escape (api/autohost/result.hpp): this HTTP library sits below the ABI
// and includes none of it, so it stays usable (and testable) without the seam.
void append_json_string(std::string &out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        std::array<char, 8> buf{};
        std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(c));
        out += buf.data();
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

struct AppendValue {
  std::string &out;
  void operator()(std::string_view text) const { append_json_string(out, text); }
  void operator()(std::int64_t number) const { out += std::to_string(number); }
};

} // namespace

void Logger::write(LogLevel level, std::string_view message,
                   std::initializer_list<LogField> fields) const noexcept {
  if (!enabled(level)) {
    return;
  }
  try {
    std::string json = "{";
    for (const LogField &f : fields) {
      if (json.size() > 1) {
        json += ',';
      }
      append_json_string(json, f.key);
      json += ':';
      std::visit(AppendValue{json}, f.value);
    }
    json += '}';
    sink_(level, message, json);
  } catch (...) { // NOLINT(bugprone-empty-catch): a log line is not worth failing a request
  }
}

} // namespace threads::http
