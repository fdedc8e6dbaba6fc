// JSON answers, errors and body parsing shared by the control API handlers.
#include "control_support.hpp"

#include "context.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace sandbox::control {
namespace json = boost::json;

Reply ok(const json::value &body) { return json_reply(body); }

Reply fail(unsigned status, std::string message) {
  return json_reply(json::object{{"error", std::move(message)}}, status);
}

Reply method_not_allowed(std::string_view method, std::string_view path) {
  return fail(405, std::string(method) + " is not supported on " + std::string(path));
}

Expected<json::object, Reply> body_object(const Request &request) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return json::object{};
  }
  boost::system::error_code ec;
  json::value doc = json::parse(request.body, ec);
  if (ec || !doc.is_object()) {
    return unexpected(fail(400, "the body must be a JSON object"));
  }
  return std::move(doc.get_object());
}

std::optional<double> as_number(const json::value &v) {
  if (v.is_int64()) {
    return static_cast<double>(v.get_int64());
  }
  if (v.is_uint64()) {
    return static_cast<double>(v.get_uint64());
  }
  if (v.is_double() && std::isfinite(v.get_double())) {
    return v.get_double();
  }
  return std::nullopt;
}

Millis seconds_to_millis(double s) {
  return Millis{static_cast<std::int64_t>(std::llround(s * 1000))};
}

// Boost.JSON would print 1.0 as 1E0.
json::value millis_to_seconds(Millis m) {
  if (m.count() % 1000 == 0) {
    return m.count() / 1000;
  }
  return static_cast<double>(m.count()) / 1000.0;
}

} // namespace sandbox::control
