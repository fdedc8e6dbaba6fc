// Names of error kinds and the throwing hook that Result<T>::value() needs.
#include "http/error.hpp"

#include <stdexcept>

namespace threads::http {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
  case ErrorKind::invalid_argument:
    return "invalid_argument";
  case ErrorKind::dns:
    return "dns";
  case ErrorKind::connect:
    return "connect";
  case ErrorKind::tls:
    return "tls";
  case ErrorKind::proxy:
    return "proxy";
  case ErrorKind::proxy_refused:
    return "proxy_refused";
  case ErrorKind::timeout:
    return "timeout";
  case ErrorKind::reset:
    return "reset";
  case ErrorKind::response_too_large:
    return "response_too_large";
  case ErrorKind::malformed_response:
    return "malformed_response";
  case ErrorKind::cancelled:
    return "cancelled";
  case ErrorKind::internal:
    return "internal";
  }
  return "internal";
}

void throw_exception_from_error(const Error &error, const boost::source_location & /*loc*/) {
  throw std::runtime_error(error.message);
}

} // namespace threads::http
