// Shared by the /__sandbox/ handlers: JSON answers and errors, body and number parsing, and
// the handlers themselves (control_accounts.cpp, control_settings.cpp, control_records.cpp).
#pragma once

#include "clock.hpp"
#include "expected.hpp"
#include "http_message.hpp"
#include "params.hpp"
#include "sandbox.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sandbox::control {

Reply ok(const boost::json::value &body);
// {"error": message} with `status`.
Reply fail(unsigned status, std::string message);
Reply method_not_allowed(std::string_view method, std::string_view path);

// The request body as a JSON object; an empty body is {}.
Expected<boost::json::object, Reply> body_object(const Request &request);
std::optional<double> as_number(const boost::json::value &v);
Millis seconds_to_millis(double s);
// Whole seconds as integers, fractions as doubles.
boost::json::value millis_to_seconds(Millis m);

// The handlers, by control path; the caller holds sandbox.mutex.
// GET, POST /users
Reply users(Sandbox &sandbox, const Request &request);
// POST /tokens
Reply issue_token(Sandbox &sandbox, const Request &request);
// GET /tokens/check
Reply check_token(Sandbox &sandbox, const Params &query);
// GET, POST /clock
Reply clock(Sandbox &sandbox, const Request &request);
// GET, POST /config (everything) and /container_delays
enum class ConfigPart { everything, container_delays };
Reply config(Sandbox &sandbox, const Request &request, ConfigPart part);
// GET, POST, DELETE /faults
Reply faults(Sandbox &sandbox, const Request &request);
// GET /stats, /posts, /containers
Reply stats(const Sandbox &sandbox);
Reply posts(const Sandbox &sandbox, const Params &query);
Reply containers(const Sandbox &sandbox);
// POST /posts/{id}/metrics
Reply post_metrics(Sandbox &sandbox, const Request &request, std::string_view id);

} // namespace sandbox::control
