// The link a run's output names (a published post's "permalink"), for tables and log lines.
#pragma once

#include <string>
#include <string_view>

namespace autohost::scheduler {

// The output's top-level "permalink" when it is an http(s) URL of at most 2048 characters
// with no spaces or control characters (so it is safe on a terminal and in a log line);
// else "" - no output, output that is not a JSON object, or a post published without one.
std::string permalink_of(std::string_view output_json);

} // namespace autohost::scheduler
