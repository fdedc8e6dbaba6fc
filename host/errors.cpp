// Host-side construction and reading of JSON error bodies.
#include "errors.hpp"

#include <boost/json.hpp>

namespace autohost::host {
namespace json = boost::json;

Error make_error(ah_status status, std::string_view code, std::string_view message) {
  json::object body;
  body["code"] = code;
  body["message"] = message;
  return Error{status, json::serialize(body)};
}

namespace {
std::string field(const Error &error, std::string_view name) {
  boost::system::error_code ec;
  const json::value body = json::parse(error.body, ec);
  if (ec || !body.is_object())
    return {};
  const json::value *v = body.as_object().if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}
} // namespace

std::string error_message(const Error &error) {
  std::string message = field(error, "message");
  return message.empty() ? error.body : message;
}

std::string error_code(const Error &error) {
  std::string code = field(error, "code");
  return code.empty() ? std::string(status_name(error.status)) : code;
}

} // namespace autohost::host
