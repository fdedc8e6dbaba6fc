// Schema versions per component (secrets, scheduler) in one `autohost_schema` table, with
// forward migrations applied by whichever host opens an older store first.
#pragma once

#include "store/sql/backend.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

namespace autohost::store::sql {

// Brings a component from version N-1 to N (the SQL may hold several statements).
struct Migration {
  std::int64_t version = 0;
  std::string_view sql;
};

// In one write transaction: creates `autohost_schema` when missing, applies the migrations
// of `component` above its stored version in order, records the last one, then runs `then`
// (checks that belong with the schema, such as the key fingerprint). A failure of any step,
// `then` included, rolls all of it back. On PostgreSQL the write transaction's advisory lock
// makes concurrent first openers wait for each other, so each migration runs once. A stored
// version above the last migration (a newer autohost) is refused, nothing written. Returns
// the version the component is at.
Result<std::int64_t> migrate(Backend &backend, std::string_view component,
                             std::span<const Migration> migrations,
                             const std::function<Result<Done>(Session &)> &then = {});

} // namespace autohost::store::sql
