// Bounding what a plugin sends back (errors, output, log fields) before the host prints,
// logs or stores it.
#pragma once

#include <autohost/result.hpp>

#include <string>

namespace autohost::host {

// A plugin's error with every text in its body cut to max_error_text_bytes (cut_text) and
// the body at most a few of those, so a third-party plugin that passes a server's 7 MB text
// on never floods stderr, a log line or the runs table. A body that is not a JSON object
// becomes {"code": status name, "message": the body, cut}. The status is kept.
Error bound_plugin_error(Error error);
// The most bytes of a successful output the host takes: as much as it accepts as input.
inline constexpr std::size_t max_plugin_output_bytes = 16 * 1024 * 1024;

// `result` bounded: an error as above; an output that is JSON with every string cut to
// max_error_text_bytes (a server's 7 MB "text" is cut, a post's 500 characters are not),
// other text cut whole to max_plugin_output_bytes. An output still over that is an error
// (AH_INTERNAL, code "output_too_large") naming its size.
Result<std::string> bound_plugin_result(Result<std::string> result);

// A plugin's log-line fields (a JSON object) with every string cut as above; fields over a
// few KiB even so become {"fields_cut": their size in bytes}.
std::string bound_log_fields(std::string_view fields_json);

} // namespace autohost::host
