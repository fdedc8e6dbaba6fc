// Lets Boost.Test print a Result in a failed assertion (found through ADL).
#pragma once

#include <autohost/host.hpp>

#include <ostream>

namespace autohost {

inline std::ostream &boost_test_print_type(std::ostream &os, const Error &e) {
  return os << "error " << status_name(e.status) << ": " << e.body;
}
inline std::ostream &boost_test_print_type(std::ostream &os, const LoadError &e) {
  return os << "load error: " << e.message;
}
template <class T, class E>
std::ostream &boost_test_print_type(std::ostream &os, const Result<T, E> &r) {
  if (r.has_value())
    return os << "a value";
  return boost_test_print_type(os, r.error());
}

} // namespace autohost
