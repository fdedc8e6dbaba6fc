// The /__sandbox/ control API: plain JSON, no auth; tests drive and inspect the sandbox with it.
#pragma once

#include "http_message.hpp"
#include "params.hpp"
#include "sandbox.hpp"

#include <string_view>

namespace sandbox {

// `path` is the decoded request path, starting with /__sandbox. The caller holds sandbox.mutex.
Reply handle_control(Sandbox &sandbox, const Request &request, std::string_view path,
                     const Params &query);

} // namespace sandbox
