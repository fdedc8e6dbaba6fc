// Classifying PostgreSQL failures by SQLSTATE and turning them into the store's errors.
#include "store/pg/pg_error.hpp"

#include "errors.hpp"

namespace autohost::store::pg {

std::string_view failure_name(PgFailure kind) noexcept {
  switch (kind) {
  case PgFailure::connection:
    return "connection";
  case PgFailure::timeout:
    return "timeout";
  case PgFailure::retryable:
    return "retryable";
  case PgFailure::constraint:
    return "constraint";
  case PgFailure::usage:
    return "usage";
  case PgFailure::unknown_commit:
    return "unknown_commit";
  case PgFailure::other:
    break;
  }
  return "other";
}

PgFailure failure_of(std::string_view sqlstate) noexcept {
  if (sqlstate == "40001" || sqlstate == "40P01")
    return PgFailure::retryable;
  if (sqlstate == "57014")
    return PgFailure::timeout;
  if (sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03")
    return PgFailure::connection;
  if (sqlstate.starts_with("23"))
    return PgFailure::constraint;
  return PgFailure::other;
}

Error to_error(const PgError &error, std::string_view doing) {
  ah_status status = AH_INTERNAL;
  std::string_view code = "store_failed";
  switch (error.kind) {
  case PgFailure::connection:
  case PgFailure::timeout:
  case PgFailure::retryable:
    status = AH_RETRY_LATER;
    code = "store_unavailable";
    break;
  case PgFailure::unknown_commit: // every store write is a compare-and-set: retrying is safe
    status = AH_RETRY_LATER;
    code = "store_outcome_unknown";
    break;
  case PgFailure::constraint:
    status = AH_CONFLICT;
    code = "store_conflict";
    break;
  default:
    break;
  }
  std::string message = std::string(doing) + ": " + error.message;
  if (!error.sqlstate.empty())
    message += " (SQLSTATE " + error.sqlstate + ")";
  return host::make_error(status, code, message);
}

} // namespace autohost::store::pg
