// Headers lookup and the method table of the request/response values.
#include "http/message.hpp"

#include "http/ascii.hpp"

#include <algorithm>
#include <charconv>

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

std::string request_text(const Request &request, std::string_view target, std::string_view host,
                         std::string_view user_agent) {
  const bool typed = !request.content_type.empty();
  const bool sized =
      !request.body.empty() || request.method == Method::post || request.method == Method::put;
  std::size_t size = 96 + target.size() + host.size() + user_agent.size() +
                     request.content_type.size() + request.body.size();
  for (const auto &[name, value] : request.headers)
    size += name.size() + value.size() + 4;
  std::string out;
  out.reserve(size);
  auto field = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  out.append(to_string(request.method)).append(" ").append(target).append(" HTTP/1.1\r\n");
  field("Host", host);
  field("User-Agent", user_agent);
  for (const auto &[name, value] : request.headers) {
    if (!typed || !ascii::iequals(name, "content-type")) // Content-Type below replaces it
      field(name, value);
  }
  if (typed)
    field("Content-Type", request.content_type);
  if (sized) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, request.body.size()).ptr;
    field("Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  out.append("\r\n").append(request.body);
  return out;
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
