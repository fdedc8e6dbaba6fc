// Headers lookup and the method table of the request/response values.
#include "http/message.hpp"

#include "http/ascii.hpp"

#include <algorithm>

namespace threads::http {

std::string_view to_string(Method method) noexcept {
  switch (method) {
  case Method::get:
    return "GET";
  case Method::head:
    return "HEAD";
  case Method::post:
    return "POST";
  case Method::put:
    return "PUT";
  case Method::patch:
    return "PATCH";
  case Method::delete_:
    return "DELETE";
  }
  return "GET";
}

bool is_idempotent(const Request &request) noexcept {
  if (request.idempotent) {
    return *request.idempotent;
  }
  return request.method != Method::post && request.method != Method::patch;
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  std::erase_if(fields_, [&](const Field &f) { return ascii::iequals(f.first, name); });
  add(std::move(name), std::move(value));
}

std::optional<std::string_view> Headers::find(std::string_view name) const noexcept {
  const auto it = std::find_if(fields_.begin(), fields_.end(),
                               [&](const Field &f) { return ascii::iequals(f.first, name); });
  if (it == fields_.end()) {
    return std::nullopt;
  }
  return std::string_view(it->second);
}

} // namespace threads::http
