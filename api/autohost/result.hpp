// Result<T> and Error: the value-based error type shared by the C++ helpers of the ABI.
#pragma once

#include <autohost/abi.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace autohost {

// The stable lower-case name of a status, as used in JSON error bodies and the CLI.
constexpr std::string_view status_name(ah_status status) noexcept {
  switch (status) {
  case AH_OK:
    return "ok";
  case AH_INVALID_INPUT:
    return "invalid_input";
  case AH_NOT_FOUND:
    return "not_found";
  case AH_AUTH_REQUIRED:
    return "auth_required";
  case AH_RETRY_LATER:
    return "retry_later";
  case AH_RATE_LIMITED:
    return "rate_limited";
  case AH_CONFLICT:
    return "conflict";
  case AH_CANCELLED:
    return "cancelled";
  case AH_INTERNAL:
    return "internal";
  }
  return "internal";
}

// Escapes `text` for use inside a JSON string literal (without the quotes).
inline std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out += buf;
      } else {
        out += c;
      }
    }
  }
  return out;
}

// A failed call: the status tells the caller what to do, `body` is the JSON error body
// ({"code": ..., "message": ...}) as it crossed the ABI.
struct Error {
  ah_status status = AH_INTERNAL;
  std::string body;

  // Builds a body from a status and a message; the code is the status name.
  static Error make(ah_status status, std::string_view message) {
    std::string body = "{\"code\":\"";
    body += status_name(status);
    body += "\",\"message\":\"";
    body += json_escape(message);
    body += "\"}";
    return Error{status, std::move(body)};
  }
};

// Either a value or an error. Deliberately small: has_value / value / error.
template <class T, class E = Error> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T &value() & { return std::get<0>(v_); }
  const T &value() const & { return std::get<0>(v_); }
  T &&value() && { return std::get<0>(std::move(v_)); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }
  T &operator*() & { return value(); }
  const E &error() const & { return std::get<1>(v_); }
  E &&error() && { return std::get<1>(std::move(v_)); }

private:
  std::variant<T, E> v_;
};

// For calls with no value on success.
struct Done {};

} // namespace autohost

// Propagating failures. Each macro evaluates a Result expression once; if it holds an error,
// the enclosing function returns that error (its return type must be constructible from the
// Error, as any Result<U> is). They are statements, for functions that return a Result.
//
//   AH_TRY(store.save(record));                  // the value, if any, is dropped
//   AH_TRY_ASSIGN(record.id, r.string("id"));    // the value is assigned to an lvalue
//   AH_TRY_DECLARE(doc, parse_input(name, in));  // declares `auto doc` holding the value

// Returns the error of a Result expression, or carries on.
#define AH_TRY(expr)                                                                               \
  do {                                                                                             \
    auto ah_try_r_ = (expr);                                                                       \
    if (!ah_try_r_)                                                                                \
      return std::move(ah_try_r_).error();                                                         \
  } while (false)

// Assigns the value of a Result expression to `target`, or returns its error.
#define AH_TRY_ASSIGN(target, expr)                                                                \
  do {                                                                                             \
    auto ah_try_r_ = (expr);                                                                       \
    if (!ah_try_r_)                                                                                \
      return std::move(ah_try_r_).error();                                                         \
    target = std::move(ah_try_r_).value();                                                         \
  } while (false)

// Declares `auto name` from the value of a Result expression, or returns its error. It expands
// to several statements in the enclosing scope, so it must not be the body of an unbraced if.
#define AH_TRY_DECLARE(name, expr)                                                                 \
  auto ah_try_##name##_ = (expr);                                                                  \
  if (!ah_try_##name##_)                                                                           \
    return std::move(ah_try_##name##_).error();                                                    \
  auto name = std::move(ah_try_##name##_).value()
