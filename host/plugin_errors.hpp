// Bounding what a plugin sends back as an error before the host prints, logs or stores it.
#pragma once

#include <autohost/result.hpp>

#include <string>

namespace autohost::host {

// A plugin's error with every text in its body cut to max_error_text_bytes (cut_text) and
// the body at most a few of those, so a third-party plugin that passes a server's 7 MB text
// on never floods stderr, a log line or the runs table. A body that is not a JSON object
// becomes {"code": status name, "message": the body, cut}. The status is kept.
Error bound_plugin_error(Error error);
// `result`, with its error (if any) bounded as above.
Result<std::string> bound_plugin_result(Result<std::string> result);

} // namespace autohost::host
