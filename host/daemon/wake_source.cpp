// Chooses the wake source by the store's location.
#include "daemon/wake_source.hpp"

#include "daemon/pg_wake.hpp"
#include "daemon/store_watch.hpp"

namespace autohost::daemon {

bool is_postgres_location(std::string_view location) noexcept {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::unique_ptr<WakeSource> make_wake_source(const std::string &location, host::Logger &logger) {
  if (is_postgres_location(location)) {
    PgWakeOptions options;
    options.url = location;
    return std::make_unique<PgWake>(std::move(options), logger);
  }
  return std::make_unique<StoreWatch>(location);
}

} // namespace autohost::daemon
