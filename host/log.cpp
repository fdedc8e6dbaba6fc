// JSON-lines logging for the host and its plugins.
#include "log.hpp"

#include <boost/json.hpp>

#include <sys/stat.h>

#include <chrono>
#include <cinttypes>
#include <cstdlib>
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

bool is_journal_stream(std::FILE *stream) {
  const char *expected = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (expected == nullptr || fstat(fileno(stream), &st) != 0)
    return false;
  // systemd writes both numbers in decimal, "DEVICE:INODE".
  char actual[48];
  std::snprintf(actual, sizeof actual, "%" PRIu64 ":%" PRIu64,
                static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino));
  return std::string_view(expected) == actual;
}

std::string_view journal_prefix(ah_log_level level) {
  switch (level) {
  case AH_LOG_DEBUG:
    return "<7>";
  case AH_LOG_INFO:
    return "<6>";
  case AH_LOG_WARN:
    return "<4>";
  case AH_LOG_ERROR:
    return "<3>";
  }
  return "<6>";
}

std::string_view log_level_name(ah_log_level level) {
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

namespace {
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
  line["level"] = log_level_name(level);
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
  const std::string text = (journal_ ? std::string(journal_prefix(level)) : std::string()) +
                           json::serialize(line) + "\n";
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

} // namespace autohost::host
