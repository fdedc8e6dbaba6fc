// JSON-lines logging for the host and its plugins.
#include "log.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <ctime>

namespace autohost::host {
namespace json = boost::json;

std::optional<ah_log_level> parse_log_level(std::string_view text) {
  if (text == "debug")
    return AH_LOG_DEBUG;
  if (text == "info")
    return AH_LOG_INFO;
  if (text == "warn")
    return AH_LOG_WARN;
  if (text == "error")
    return AH_LOG_ERROR;
  return std::nullopt;
}

namespace {
std::string_view level_name(ah_log_level level) {
  switch (level) {
  case AH_LOG_DEBUG:
    return "debug";
  case AH_LOG_INFO:
    return "info";
  case AH_LOG_WARN:
    return "warn";
  case AH_LOG_ERROR:
    return "error";
  }
  return "info";
}

std::string utc_timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t secs = system_clock::to_time_t(now);
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(millis));
  return buf;
}
} // namespace

void Logger::log(ah_log_level level, std::string_view source, std::string_view message,
                 std::string_view fields_json) {
  if (!enabled(level))
    return;
  json::object line;
  line["ts"] = utc_timestamp();
  line["level"] = level_name(level);
  line["source"] = source;
  line["msg"] = message;
  if (!fields_json.empty()) {
    boost::system::error_code ec;
    json::value fields = json::parse(fields_json, ec);
    if (!ec && fields.is_object()) {
      for (auto &[k, v] : fields.as_object()) {
        if (!line.contains(k))
          line[k] = v;
      }
    }
  }
  const std::string text = json::serialize(line) + "\n";
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

} // namespace autohost::host
