// Numbers in the plugin's own output print plainly: 30, not Boost.JSON's 3E1 for a double.
#pragma once

#include <boost/json/value.hpp>

#include <cmath>
#include <cstdint>

namespace threads {

// A whole number (below 1e15, where a double is exact) as an integer, anything else as the
// double itself. Callers pass finite values.
inline boost::json::value plain_number(double d) {
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e15)
    return static_cast<std::int64_t>(d);
  return d;
}

} // namespace threads
