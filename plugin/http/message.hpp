// The request and response values that cross the HTTP layer's API.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace threads::http {

enum class Method { get, head, post, put, patch, delete_ };

// The method as sent on the wire ("GET", "DELETE").
std::string_view to_string(Method method) noexcept;

// Header fields in arrival order. Names compare case-insensitively, values are kept as sent.
class Headers {
public:
  using Field = std::pair<std::string, std::string>;

  void add(std::string name, std::string value);
  void reserve(std::size_t fields) { fields_.reserve(fields); }
  // Replaces every field called `name` with one field.
  void set(std::string name, std::string value);
  // The first field called `name`, case-insensitively; nullopt when absent.
  [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const noexcept;
  [[nodiscard]] bool contains(std::string_view name) const noexcept {
    return find(name).has_value();
  }

  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
  [[nodiscard]] std::vector<Field>::const_iterator begin() const noexcept {
    return fields_.begin();
  }
  [[nodiscard]] std::vector<Field>::const_iterator end() const noexcept { return fields_.end(); }

private:
  std::vector<Field> fields_;
};

struct Request {
  Method method = Method::get;
  // Absolute URL. https only, unless ClientOptions::plain_http allows http (tests).
  std::string url;
  // Host, Content-Length, Transfer-Encoding and Connection are managed by the client and
  // refused here. Authorization values are never logged.
  Headers headers;
  std::string body;
  // Sent as Content-Type when not empty.
  std::string content_type;
  // Whether sending the request twice is harmless, which is what allows retries. Unset:
  // GET, HEAD, PUT and DELETE are idempotent, POST and PATCH are not.
  std::optional<bool> idempotent;
  // Absolute deadline for the whole call, retries and waits included. The earlier of this
  // and now + ClientOptions::total_timeout applies.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Polled on the client's io thread (every ClientOptions::cancel_poll_interval and between
  // attempts); returning true ends the call with ErrorKind::cancelled. Must be cheap,
  // thread-safe and must not block.
  std::function<bool()> cancelled;
};

// The idempotency the client assumes for `request` (see Request::idempotent).
bool is_idempotent(const Request &request) noexcept;

// `request` as HTTP/1.1 puts it on the wire, in one string: the request line with `target`
// (origin form), Host, User-Agent, the caller's fields in order, Content-Type, and
// Content-Length for a body (and for any POST or PUT), then the body. The fields are what
// Beast's serializer writes for the same message; the caller has refused names and values
// that cannot be sent (the client's validate_headers).
std::string request_text(const Request &request, std::string_view target, std::string_view host,
                         std::string_view user_agent);

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
  // Attempts it took, 1 when the first one answered. Retried statuses (429, 502-504) are
  // returned as responses once the retry budget or the deadline runs out.
  int attempts = 1;
};

} // namespace threads::http
