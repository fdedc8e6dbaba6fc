// Error lines for people at a terminal: a sentence, coloured only where colour is welcome.
#include "cli/error_style.hpp"

#include <cstdlib>
#include <string_view>

#include <unistd.h>

namespace autohost::cli {
namespace json = boost::json;

namespace {

bool json_forced = false;

std::string text_of(const json::value &v) {
  return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
}

} // namespace

void force_json_errors() { json_forced = true; }

bool readable_errors() { return !json_forced && isatty(STDERR_FILENO) != 0; }

bool colour_allowed() {
  const char *no_colour = std::getenv("NO_COLOR");
  const char *term = std::getenv("TERM");
  return (no_colour == nullptr || *no_colour == '\0') &&
         (term == nullptr || std::string_view(term) != "dumb");
}

std::string readable_error(const json::object &line, bool colour) {
  const auto field = [&](std::string_view key) {
    const json::value *v = line.if_contains(key);
    return v == nullptr ? std::string() : text_of(*v);
  };
  const std::string status = field("status");
  const std::string code = field("code");
  std::string details;
  if (status != "usage") {
    details = status;
    if (!code.empty() && code != status)
      details += ", code " + code;
  }
  for (const auto &[key, value] : line) {
    if (key == "status" || key == "code" || key == "message")
      continue;
    details += (details.empty() ? "" : "; ") + std::string(key) + ": " + text_of(value);
  }
  std::string text = colour ? "\033[1;31merror:\033[0m " : "error: ";
  text += field("message");
  if (!details.empty())
    text += " (" + details + ")";
  return text;
}

} // namespace autohost::cli
