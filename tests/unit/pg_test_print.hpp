// Lets Boost.Test print PostgreSQL failure kinds by name in the pg suites.
#pragma once

#include "store/pg/pg_error.hpp"

#include <ostream>

namespace autohost::store::pg {

inline std::ostream &boost_test_print_type(std::ostream &out, PgFailure kind) {
  return out << failure_name(kind);
}

} // namespace autohost::store::pg
