// Forward migrations per component under the store's write transaction.
#include "store/sql/schema.hpp"

#include "errors.hpp"

namespace autohost::store::sql {

Result<std::int64_t> migrate(Backend &backend, std::string_view component,
                             std::span<const Migration> migrations,
                             const std::function<Result<Done>(Session &)> &then) {
  const std::int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  const std::string doing = "bringing the " + std::string(component) + " schema up to date";
  return backend.write(doing, [&](Session &s) -> Result<std::int64_t> {
    s.exec("CREATE TABLE IF NOT EXISTS autohost_schema ("
           "component TEXT PRIMARY KEY, version BIGINT NOT NULL)");
    std::int64_t version = 0;
    {
      Statement read(s, "SELECT version FROM autohost_schema WHERE component = ?1");
      read.bind(1, component);
      if (read.step())
        version = read.column_int(0);
    }
    if (!s.ok())
      return version;
    if (version > latest) {
      return backend.store_error("holds the " + std::string(component) +
                                 " schema of a newer autohost (version " + std::to_string(version) +
                                 "); it was left untouched");
    }
    for (const Migration &m : migrations) {
      if (m.version > version && !s.exec(m.sql))
        return version;
    }
    if (latest > version) {
      Statement record(s, "INSERT INTO autohost_schema(component, version) VALUES (?1, ?2) "
                          "ON CONFLICT(component) DO UPDATE SET version = excluded.version");
      record.bind(1, component).bind(2, latest).step();
    }
    if (then)
      AH_TRY(then(s));
    return latest;
  });
}

} // namespace autohost::store::sql
