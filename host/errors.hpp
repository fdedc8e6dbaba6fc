// Host-side construction and reading of JSON error bodies.
#pragma once

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace autohost::host {

// An Error whose body is {"code": code, "message": message}.
Error make_error(ah_status status, std::string_view code, std::string_view message);

// The "message" (or the raw body when it is not JSON) and the "code" of an error body.
std::string error_message(const Error &error);
std::string error_code(const Error &error);

} // namespace autohost::host
